"""The dispatch transitions write their webhook events into the outbox, in the transaction of the change,
in order; with no subscription nothing is written; a failing hook never breaks the transition."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.engine.sweep import jobs_start_due
from dispatch.models import DispatchJob, DispatchTask
from dispatch.services import dispatch_job_create, dispatch_tasks_retry
from tests.factories import PlantFactory, VendorAccountFactory, WebhookSubscriptionFactory
from vendors.base import ChargeDischarge
from webhooks import hooks
from webhooks.models import WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.django_db
CHARGE = ChargeDischarge(action="charge", control="soc", target_soc_pct=80)


def _job(org, plants, **kwargs):
    job, _ = dispatch_job_create(
        organization=org, created_by=None, command_kind="charge_discharge", params={"action": "charge"},
        command=CHARGE, plant_ids=[p.pk for p in plants], **kwargs,
    )  # fmt: skip
    return job


def _types(subscription):
    return list(
        WebhookDelivery.objects.filter(subscription=subscription)
        .order_by("pk")
        .values_list("event__type", flat=True)
    )


def test_a_job_that_fails_at_once_writes_created_failed_tasks_state_change_and_finished_in_order(org):
    subscription = WebhookSubscriptionFactory(organization=org)
    account = VendorAccountFactory(organization=org, enabled=False)
    plants = [PlantFactory(vendor_account=account) for _ in range(2)]

    job = _job(org, plants)

    assert job.state == DispatchJob.State.FAILED
    assert _types(subscription) == [
        "job.created",
        "task.failed",
        "task.failed",
        "job.state_changed",
        "job.finished",
    ]
    failed = WebhookEvent.objects.filter(type="task.failed").order_by("pk")
    assert [e.payload["task"]["vendor_code"] for e in failed] == ["account_disabled"] * 2
    changed = WebhookEvent.objects.get(type="job.state_changed").payload
    assert (changed["previous_state"], changed["state"]) == ("running", "failed")
    for event in WebhookEvent.objects.all():
        assert account.secret not in str(event.payload)


def test_a_scheduled_job_reports_its_start_and_a_retry_reports_running_again(org):
    subscription = WebhookSubscriptionFactory(organization=org, events=["job.state_changed"])
    account = VendorAccountFactory(organization=org)
    plants = [PlantFactory(vendor_account=account) for _ in range(2)]
    job = _job(org, plants, start_at=timezone.now() + timedelta(minutes=5))
    assert job.state == DispatchJob.State.SCHEDULED and _types(subscription) == []

    assert jobs_start_due(timezone.now() + timedelta(minutes=6)) == 1

    (started,) = WebhookEvent.objects.filter(type="job.state_changed")
    assert (started.payload["previous_state"], started.payload["state"]) == ("scheduled", "running")
    DispatchTask.objects.filter(job=job).update(state=DispatchTask.State.FAILED, finished_at=timezone.now())
    DispatchJob.objects.filter(pk=job.pk).update(state=DispatchJob.State.FAILED, finished_at=timezone.now())
    job.refresh_from_db()
    assert dispatch_tasks_retry(job=job, by=None) == 2
    retried = WebhookEvent.objects.filter(type="job.state_changed").order_by("pk").last()
    assert (retried.payload["previous_state"], retried.payload["state"]) == ("failed", "running")


def test_without_a_subscription_the_outbox_stays_empty(org, other_org):
    WebhookSubscriptionFactory(organization=other_org)  # someone else's
    account = VendorAccountFactory(organization=org, enabled=False)
    _job(org, [PlantFactory(vendor_account=account)])
    assert not WebhookEvent.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_failing_hook_never_breaks_the_transition(org, monkeypatch, caplog):
    WebhookSubscriptionFactory(organization=org)
    account = VendorAccountFactory(organization=org, enabled=False)

    def broken(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(hooks, "webhook_event_emit", broken)
    job = _job(org, [PlantFactory(vendor_account=account)])

    assert DispatchJob.objects.get(pk=job.pk).state == DispatchJob.State.FAILED
    assert "webhook hook" in caplog.text and not WebhookEvent.objects.exists()


def test_vendor_account_health_changes_are_emitted_without_the_secret(org):
    subscription = WebhookSubscriptionFactory(organization=org, events=["vendor_account.health_changed"])
    account = VendorAccountFactory(organization=org)

    hooks.vendor_account_health_changed(account=account, previous="ok", current="degraded", detail="407s")
    hooks.vendor_account_health_changed(account=account, previous="degraded", current="degraded")

    assert _types(subscription) == ["vendor_account.health_changed"]
    payload = WebhookEvent.objects.get().payload
    assert payload["vendor_account"]["id"] == account.pk and payload["health"] == "degraded"
    assert account.secret not in str(payload)


def test_old_settled_events_are_pruned_and_pending_ones_kept(org, settings):
    settings.WEBHOOK_RETENTION_DAYS = 30
    from webhooks.services import webhook_event_emit, webhook_events_prune

    WebhookSubscriptionFactory(organization=org)
    old_sent, old_pending, recent = (
        webhook_event_emit(organization_id=org.pk, event_type="job.finished", payload={}) for _ in range(3)
    )
    WebhookEvent.objects.filter(pk__in=[old_sent.pk, old_pending.pk]).update(
        created_at=timezone.now() - timedelta(days=31)
    )
    WebhookDelivery.objects.filter(event__in=[old_sent, recent]).update(state="delivered")

    assert webhook_events_prune() == 1

    assert set(WebhookEvent.objects.values_list("pk", flat=True)) == {old_pending.pk, recent.pk}
    assert WebhookDelivery.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_plants_the_vendor_rejects_are_reported_as_task_failed_with_the_vendors_code(
    world, huawei_sim, engine_settings
):
    from dispatch.engine.send import send_lane_run
    from tests.dispatch.engine.world import add_huawei

    subscription = WebhookSubscriptionFactory(organization=world.organization, events=["task.failed"])
    plants = add_huawei(world, huawei_sim, plants=4)
    no_battery = plants[:2]
    huawei_sim.control.no_battery([p.plant_code for p in no_battery])
    job = _job(world.organization, plants)

    for account_id in {p.vendor_account_id for p in plants}:
        send_lane_run(account_id=account_id, budget_s=30)

    rejected = DispatchTask.objects.filter(job=job, state=DispatchTask.State.REJECTED)
    assert set(rejected.values_list("plant_id", flat=True)) == {p.pk for p in no_battery}
    assert _types(subscription) == ["task.failed", "task.failed"]
    reported = [e.payload["task"] for e in WebhookEvent.objects.order_by("pk")]
    assert {t["plant"] for t in reported} == {p.pk for p in no_battery}
    assert all(t["state"] == "rejected" and t["vendor_code"] for t in reported)
