"""Poll vendor requests: claim a due one (its next_poll_at pushed out as a lease), ask the vendor for the
status of its open tasks, apply what it says, and decide when it is worth asking again (engine.timing).

A status query may be per request (chargeAndDischargeStatus by requestID, NBI V7 9.3.5), limited to
once a minute per account, so the unit of polling is the request, and due requests are taken in
next_poll_at order: those most likely to have finished first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from dispatch.engine import timing
from dispatch.engine.codec import command_from_json
from dispatch.engine.finish import job_finish_if_done
from dispatch.engine.lanes import lane_run
from dispatch.engine.rows import update_rows
from dispatch.engine.targets import plant_targets
from dispatch.models import DispatchLane, DispatchTask, VendorRequest
from fleets.adapters import adapter_for, call_context
from vendors import base
from vendors.errors import AuthFailed, RateLimited, VendorRejected
from webhooks import hooks as webhook_hooks

log = logging.getLogger(__name__)
R = VendorRequest.State
T = DispatchTask.State
_STATES = {
    base.TaskState.COMPLETED: T.COMPLETED,
    base.TaskState.FAILED: T.FAILED,
    base.TaskState.TIMED_OUT: T.TIMED_OUT,
}


def due_polls(*, account_id: int | None = None, now: datetime | None = None):
    qs = VendorRequest.objects.filter(
        state=R.SENT, purpose=VendorRequest.Purpose.COMMAND, next_poll_at__lte=now or timezone.now()
    )
    return qs if account_id is None else qs.filter(vendor_account_id=account_id)


def request_claim_due_poll(*, account_id: int) -> VendorRequest | None:
    """Claim the account's most overdue poll; the claim moves next_poll_at out by a lease."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.DISPATCH_SEND_LEASE_S)
    qs = due_polls(account_id=account_id, now=now).order_by("next_poll_at", "pk")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        for pk, due_at in list(qs.values_list("pk", "next_poll_at")[:8]):
            if VendorRequest.objects.filter(pk=pk, state=R.SENT, next_poll_at=due_at).update(
                next_poll_at=lease
            ):
                return VendorRequest.objects.select_related("job", "vendor_account").get(pk=pk)
    return None


def vendor_request_poll(*, request: VendorRequest) -> float | None:
    """Poll one claimed request. Returns a retry-after when the account's poll slot is not free yet."""
    job = request.job
    account = request.vendor_account
    now = timezone.now()
    mine = VendorRequest.objects.filter(pk=request.pk, state=R.SENT, next_poll_at=request.next_poll_at)
    tasks = list(
        DispatchTask.objects.filter(request=request, state__in=DispatchTask.RUNNING_STATES)
        .select_related("plant")
        .order_by("pk")
    )
    if not tasks:
        mine.update(next_poll_at=None)
        job_finish_if_done(job.pk)
        return None
    speed = account.clock_speed
    refresh = timing.refresh_s(account.vendor, job.command_kind)
    step = timing.real(refresh, speed)
    command = command_from_json(request.command or job.command)
    targets = plant_targets([t.plant for t in tasks])
    sent = [
        base.SentTask(target=targets[t.plant_id], remote_id=t.remote_id or None, sent_at=t.sent_at or now)
        for t in tasks
    ]
    try:
        with call_context(requested_by=job.created_by_id, job=job.pk, vendor_request=request.pk):
            statuses = adapter_for(account).poll(
                command, request.vendor_request_id or request.request_id, sent
            )
    except RateLimited as exc:
        retry_s = max(exc.retry_after_s, 0.05)
        mine.update(next_poll_at=now + timedelta(seconds=retry_s), last_error=f"rate limited: {exc}"[:500])
        return retry_s
    except VendorRejected as exc:  # the vendor does not know this request: its tasks cannot end otherwise
        open_tasks = DispatchTask.objects.filter(pk__in=[t.pk for t in tasks])
        with transaction.atomic():  # the webhook outbox rows commit with the tasks' end
            open_tasks.filter(state__in=DispatchTask.RUNNING_STATES).update(
                state=T.FAILED, vendor_code=exc.code[:32], vendor_message=(exc.message or str(exc))[:500],
                finished_at=now, next_poll_at=None,
            )  # fmt: skip
            webhook_hooks.tasks_failed(open_tasks.filter(state=T.FAILED, finished_at=now))
        mine.update(next_poll_at=None, last_polled_at=now, last_error=str(exc)[:500])
        job_finish_if_done(job.pk)
        return None
    except Exception as exc:  # TransientError, AuthFailed, a bug: again a refresh later (timeouts bound it)
        if not isinstance(exc, base.VendorError) or isinstance(exc, AuthFailed):
            log.warning("poll of request %s failed: %s", request.pk, exc, exc_info=True)
        mine.update(
            next_poll_at=now + step, last_polled_at=now, last_error=f"{type(exc).__name__}: {exc}"[:500]
        )
        return None
    _apply_statuses(request, tasks, statuses, now=now, refresh=refresh, speed=speed, mine=mine)
    return None


def _apply_statuses(request, tasks, statuses, *, now, refresh, speed, mine) -> None:
    by_code = {t.plant.plant_code: t for t in tasks}
    progress: dict[int, dict] = {}
    ended: dict[str, dict[int, dict]] = {}
    for status in statuses:
        task = by_code.get(status.plant_code)
        if task is None:
            continue
        row = {
            "remote_id": (status.remote_id or task.remote_id or "")[:64],
            "charged_kwh": status.charged_kwh,
            "discharged_kwh": status.discharged_kwh,
            "energy_source": (
                DispatchTask.EnergySource.VENDOR
                if status.charged_kwh is not None or status.discharged_kwh is not None
                else DispatchTask.EnergySource.UNKNOWN
            ),
            "exec_start": status.exec_start,
            "vendor_code": (status.vendor_code or "")[:32],
            "vendor_message": (status.message or "")[:500],
        }
        if status.state == base.TaskState.IN_PROGRESS:
            progress[task.pk] = row
        else:
            ended.setdefault(_STATES[status.state], {})[task.pk] = {**row, "exec_end": status.exec_end}
    running = DispatchTask.RUNNING_STATES
    with transaction.atomic():  # the webhook outbox rows commit with the tasks' end
        for state, rows in ended.items():
            update_rows(
                DispatchTask, running, rows, {"state": state, "finished_at": now, "next_poll_at": None}
            )
        webhook_hooks.tasks_failed(
            DispatchTask.objects.filter(pk__in=ended.get(T.FAILED, ()), state=T.FAILED, finished_at=now)
        )
    still_open = [t for t in tasks if not any(t.pk in rows for rows in ended.values())]
    next_poll = None
    if still_open:
        expected = [t.expected_done_at for t in still_open if t.expected_done_at]
        next_poll = timing.next_poll_at(
            now=now,
            sent_at=request.sent_at or now,
            expected_done=max(expected) if expected else None,
            last_polled_at=now,
            refresh=refresh,
            clock_speed=speed,
        )
        asked = [s.poll_by for s in statuses if s.state == base.TaskState.IN_PROGRESS]
        next_poll = timing.poll_by(next_poll, asked, now=now)
        update_rows(DispatchTask, running, progress, {"state": T.IN_PROGRESS, "next_poll_at": next_poll})
        silent = [t.pk for t in still_open if t.pk not in progress]
        DispatchTask.objects.filter(pk__in=silent, state__in=running).update(next_poll_at=next_poll)
    mine.update(next_poll_at=next_poll, last_polled_at=now, poll_count=F("poll_count") + 1, last_error="")
    if ended:
        job_finish_if_done(request.job_id)


def next_poll_in_s(*, account_id: int, horizon_s: float | None = None) -> float | None:
    horizon_s = 2 * settings.DISPATCH_SWEEP_S if horizon_s is None else horizon_s
    now = timezone.now()
    soonest = (
        VendorRequest.objects.filter(
            vendor_account_id=account_id,
            state=R.SENT,
            purpose=VendorRequest.Purpose.COMMAND,
            next_poll_at__lte=now + timedelta(seconds=horizon_s),
        )
        .order_by("next_poll_at")
        .values_list("next_poll_at", flat=True)
        .first()
    )
    return max((soonest - now).total_seconds(), 0.0) if soonest else None


def poll_lane_run(*, account_id: int, budget_s: float | None = None) -> float | None:
    """Poll this account's due requests, most overdue first, for up to `budget_s`."""

    def step() -> tuple[bool, float | None]:
        request = request_claim_due_poll(account_id=account_id)
        if request is None:
            return False, None
        return True, vendor_request_poll(request=request)

    return lane_run(
        account_id=account_id,
        kind=DispatchLane.Kind.POLL,
        lease_s=settings.DISPATCH_SEND_LEASE_S,
        budget_s=settings.DISPATCH_LANE_BUDGET_S if budget_s is None else budget_s,
        step=step,
        next_due_in_s=lambda: next_poll_in_s(account_id=account_id),
    )
