"""Through a real Celery worker on the real Redis broker ("sync" queue): discovery of the plants already bound
to an account, enrolment answered 202 and finished by the worker, telemetry handed out by the beat tick."""

import pytest

from fleets.models import Enrolment, Plant
from fleets.tasks import enrolment_run, telemetry_tick
from tests.plugins.celery_worker import wait_for
from tests.plugins.fleet_sims import vendor_account_on


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_discover_enrol_and_read_telemetry_through_a_worker(
    celery_worker_factory, huawei_enrol_sim, bob_api, org
):
    sim = huawei_enrol_sim
    worker = celery_worker_factory(queues="sync")
    account = vendor_account_on(sim, org)

    response = bob_api.post(f"/api/v1/vendor-accounts/{account.pk}/sync")
    assert response.status_code == 202
    wait_for(
        lambda: Plant.objects.filter(vendor_account=account, devices__isnull=False).distinct().count() == 30,
        timeout_s=90,
        message="the 30 bound plants and their devices",
    )
    assert set(Plant.objects.values_list("enrolment_method", flat=True)) == {"bound"}
    account.refresh_from_db()
    assert account.synced_at is not None and account.sync_error == ""

    waiting = sim.waiting(20)
    body = {"method": "ac", "items": [{"authorization_code": p["authorizationCode"]} for p in waiting]}
    response = bob_api.post(f"/api/v1/vendor-accounts/{account.pk}/enrolments", body, format="json")
    assert response.status_code == 202, response.json()
    enrolment_id = response.json()["id"]
    wait_for(
        lambda: Enrolment.objects.get(pk=enrolment_id).state == "completed",
        timeout_s=90,
        message="the enrolment to complete",
    )
    detail = bob_api.get(f"/api/v1/enrolments/{enrolment_id}").json()
    assert detail["succeeded_count"] == 20
    assert (
        Plant.objects.filter(vendor_account=account, enrolment_method="ac", devices__isnull=False)
        .distinct()
        .count()
        == 20
    )

    telemetry_tick.delay()
    wait_for(
        lambda: not Plant.objects.filter(vendor_account=account, telemetry_at__isnull=True).exists(),
        timeout_s=90,
        message="every plant's first reading",
    )
    assert Plant.objects.filter(soc_pct__isnull=False).count() == 50

    # A redelivered enrolment message (acks_late) finds the work done and sends nothing.
    commands = len(sim.control.commands())
    enrolment_run.delay(enrolment_id)
    wait_for(
        lambda: worker.log().count("fleets.enrolment_run[") >= 4,
        timeout_s=30,  # received + succeeded, x2
        message="the repeated enrolment message to run",
    )
    assert len(sim.control.commands()) == commands
    assert Plant.objects.filter(vendor_account=account).count() == 50
    assert sim.control.stats()["totals"]["rate_limited"] == 0
