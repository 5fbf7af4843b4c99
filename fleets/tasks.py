"""Celery entry points of fleets: a few lines each, logic in fleets.enrolments / discovery / telemetry.

All run on the "sync" queue (settings CELERY_TASK_ROUTES), apart from dispatch's queues, with acks_late:
each claims its work with a conditional update, so a redelivered message does no harm. Rescheduling after
a rate limit uses a short countdown; the periodic sweeps below pick up anything a lost message left behind.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from fleets import discovery, enrolments, telemetry
from fleets.models import VendorAccount
from fleets.selectors import enrolments_due

_TASK = {"ignore_result": True, "acks_late": True}
_LONG_TASK = {
    **_TASK,
    "time_limit": discovery.SYNC_TASK_TIME_LIMIT_S,
    "soft_time_limit": discovery.SYNC_TASK_TIME_LIMIT_S - 60,
}
# A countdown longer than this is left to the periodic sweeps (a long ETA on a Redis broker is redelivered
# after the visibility timeout); the claim refuses to start before the recorded time anyway.
MAX_COUNTDOWN_S = 900.0


@shared_task(name="fleets.enrolment_run", **_LONG_TASK)
def enrolment_run(enrolment_id: int) -> None:
    outcome = enrolments.enrolment_process(enrolment_id=enrolment_id)
    if outcome.retry_after_s is not None and outcome.retry_after_s <= MAX_COUNTDOWN_S:
        enrolment_run.apply_async((enrolment_id,), countdown=outcome.retry_after_s)


@shared_task(name="fleets.enrolments_resume", **_TASK)
def enrolments_resume() -> None:
    """Beat: enrolments nobody is running (a lost message, a dead worker, a due retry) get a worker again.
    New ones are left a minute to their own message."""
    now = timezone.now()
    for pk in enrolments_due(now=now, created_before=now - timedelta(minutes=1)).values_list("pk", flat=True):
        enrolment_run.delay(pk)


@shared_task(name="fleets.vendor_account_sync", **_LONG_TASK)
def vendor_account_sync(account_id: int, requested_by: int | None = None) -> None:
    outcome = discovery.vendor_account_sync(account_id=account_id, requested_by=requested_by)
    if outcome.retry_after_s is not None:
        countdown = min(outcome.retry_after_s, MAX_COUNTDOWN_S)
        vendor_account_sync.apply_async((account_id, requested_by), countdown=countdown)


@shared_task(name="fleets.vendor_accounts_sync_all", **_TASK)
def vendor_accounts_sync_all() -> None:
    """Beat, daily: the plant list and devices of every enabled account (NBI V7 9.2.1 suggests daily)."""
    for pk in VendorAccount.objects.filter(enabled=True).values_list("pk", flat=True):
        vendor_account_sync.delay(pk)


@shared_task(name="fleets.telemetry_sync_account", **_TASK)
def telemetry_sync_account(account_id: int) -> None:
    telemetry.telemetry_sync_account(account_id=account_id)


@shared_task(name="fleets.telemetry_tick", **_TASK)
def telemetry_tick() -> None:
    """Beat: one realtime-KPI run per account that has plants due; a message not started before the next
    tick expires, so a busy queue never piles up runs."""
    expires = float(getattr(settings, "VPP_TELEMETRY_TICK_S", 15.0))
    for pk in telemetry.accounts_due_for_telemetry(now=timezone.now()):
        telemetry_sync_account.apply_async((pk,), expires=expires)


@shared_task(name="fleets.telemetry_prune", **_TASK)
def telemetry_prune() -> None:
    telemetry.telemetry_prune()
