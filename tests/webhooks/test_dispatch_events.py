"""End to end: a real dispatch through real Celery workers against the Huawei simulator sends its signed
events, in order, to a real receiver on loopback that answers 500 three times first."""

from __future__ import annotations

import pytest

from dispatch.models import DispatchJob, DispatchTask
from dispatch.services import dispatch_job_create
from tests.dispatch.engine.conftest import ENGINE_ENV, wait_job_finished
from tests.dispatch.engine.world import add_huawei
from tests.factories import WebhookSubscriptionFactory
from tests.plugins.celery_worker import wait_for, worker_env
from vendors.base import ChargeDischarge
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.signing import verify

HOOK_ENV = {
    "WEBHOOK_URL_ALLOW_PRIVATE": "1",
    "WEBHOOK_RETRY_BASE_S": "0.2",
    "WEBHOOK_RETRY_MAX_S": "1",
    "WEBHOOK_TICK_S": "0.5",
    "WEBHOOK_TIMEOUT_S": "5",
}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_jobs_signed_events_reach_the_receiver_in_order_through_three_500s(
    start_engine, celery_worker_factory, world, huawei_sim, receiver
):
    plants = add_huawei(world, huawei_sim, plants=6)
    failing = plants[:2]
    huawei_sim.control.fail_tasks([p.plant_code for p in failing])
    subscription = WebhookSubscriptionFactory(organization=world.organization, url=receiver.url)
    receiver.answer(500, 500, 500)
    start_engine(workers=1, concurrency=2, env=HOOK_ENV)
    celery_worker_factory(name="hooks", queues="webhooks", env=worker_env(**ENGINE_ENV, **HOOK_ENV))

    job, _ = dispatch_job_create(
        organization=world.organization,
        created_by=None,
        command_kind="charge_discharge",
        params={"action": "charge"},
        command=ChargeDischarge(action="charge", control="duration", duration_min=10),
        plant_ids=[p.pk for p in plants],
    )
    wait_job_finished(job, timeout_s=90)
    assert job.state == DispatchJob.State.PARTIALLY_COMPLETED
    deliveries = WebhookDelivery.objects.filter(subscription=subscription)
    wait_for(
        lambda: (
            deliveries.count() == 5 and not deliveries.exclude(state=WebhookDelivery.State.DELIVERED).exists()
        ),
        timeout_s=60,
        message="every event delivered",
    )

    # In order, once each (the first was sent four times: three 500s, then 200).
    first_seen = list(dict.fromkeys(r.json["id"] for r in receiver.requests))
    events = {r.json["id"]: r.json for r in receiver.requests}
    types = [events[i]["type"] for i in first_seen]
    assert types == ["job.created", "task.failed", "task.failed", "job.state_changed", "job.finished"]
    assert [r.json["type"] for r in receiver.requests[:4]] == ["job.created"] * 4
    assert {events[i]["data"]["task"]["plant"] for i in first_seen[1:3]} == {p.pk for p in failing}
    changed = events[first_seen[3]]["data"]
    assert (changed["previous_state"], changed["state"]) == ("running", "partially_completed")
    finished = events[first_seen[4]]["data"]["job"]
    assert finished["id"] == job.pk and {k: n for k, n in finished["counts"].items() if n} == {
        "completed": 4,
        "failed": 2,
    }
    for request in receiver.requests:
        assert verify(subscription.secret, request.headers["X-VPP-Signature"], request.body)
        assert subscription.secret not in request.body.decode()

    # Every attempt recorded: as many rows as the receiver saw requests, each completed with its answer.
    attempts = WebhookAttempt.objects.filter(delivery__subscription=subscription)
    assert attempts.count() == len(receiver.requests) == 8
    assert sorted(attempts.values_list("http_status", flat=True)) == [200] * 5 + [500] * 3
    assert not attempts.filter(finished_at__isnull=True).exists()
    assert DispatchTask.objects.filter(job=job, state=DispatchTask.State.FAILED).count() == 2
