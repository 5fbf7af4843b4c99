"""Send vendor requests: claim one (pending -> sending, with a lease), call the adapter, apply the results.

The request's `request_id` was stored when the job was created and never changes, so whatever happens
between the vendor taking the command and us recording it (a SIGKILL, a dropped answer, a lease that ran
out), the next attempt re-sends the SAME identity and the vendor answers "duplicate" (NBI V7 9.3.4 failCode
20048), which the adapter reports as accepted: a plant is never commanded twice.

`attempts` is the request's fencing token: the claim increments it, and every later write of this attempt
is conditional on it, so a worker whose lease ran out cannot overwrite what the re-sender recorded.
"""

from __future__ import annotations

import functools
import logging
import random
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone

from dispatch import kinds
from dispatch.engine import timing
from dispatch.engine.codec import STOP, command_from_json
from dispatch.engine.finish import job_finish_if_done
from dispatch.engine.kick import kick_poll, kick_send
from dispatch.engine.lanes import lane_run
from dispatch.engine.rows import update_rows
from dispatch.engine.targets import plant_targets
from dispatch.models import DispatchJob, DispatchLane, DispatchTask, VendorRequest
from fleets.adapters import adapter_for, call_context
from fleets.models import VendorAccount
from vendors import base
from vendors.errors import (
    AuthFailed,
    RateLimited,
    SessionExpired,
    TransientError,
    VendorAnswerInvalid,
    VendorRejected,
)
from webhooks import hooks as webhook_hooks

log = logging.getLogger(__name__)
R = VendorRequest.State
T = DispatchTask.State
DONE_BEFORE = (R.SENT, R.FAILED, R.CANCELLED)  # an `after` request in these states no longer holds us up
# A stop goes to tasks the vendor runs, and to those that timed out at their job's deadline (stops.py).
STOP_TARGET_STATES = (*DispatchTask.RUNNING_STATES, T.TIMED_OUT)
POLL_KICK_HORIZON_S = 60.0  # a first poll due sooner than this gets its own (ETA) message


@dataclass(frozen=True)
class SendOutcome:
    sent: bool = False
    retry_after_s: float | None = None  # rate limited: the account's next slot is this far away


# --- claiming --------------------------------------------------------------------------------------------


def due_requests(*, account_id: int | None = None, now: datetime | None = None):
    """Pending requests that may go now: past their not_before, after the request they wait for, and, for
    a command, after every stop created before it on its account (a stop may wait for a command in flight;
    the newer command must not overtake it, or the stop would end the newer command)."""
    now = now or timezone.now()
    qs = VendorRequest.objects.filter(state=R.PENDING)
    if account_id is not None:
        qs = qs.filter(vendor_account_id=account_id)
    earlier_stops = VendorRequest.objects.filter(
        vendor_account_id=OuterRef("vendor_account_id"),
        purpose=VendorRequest.Purpose.STOP,
        state__in=(R.PENDING, R.SENDING),
        pk__lt=OuterRef("pk"),
    )
    return (
        qs.filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .filter(Q(after__isnull=True) | Q(after__state__in=DONE_BEFORE))
        .filter(Q(purpose=VendorRequest.Purpose.STOP) | ~Exists(earlier_stops))
    )


def request_claim_next(*, account_id: int) -> VendorRequest | None:
    """Claim the account's next due request: stops first (cancel, replace), then in creation order.

    PostgreSQL: FOR UPDATE SKIP LOCKED keeps two claimers off the same row. Everywhere: the claim itself
    is a conditional update from (pending, attempts) and only the worker that changed the row goes on.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.DISPATCH_SEND_LEASE_S)
    priority = Case(When(purpose=VendorRequest.Purpose.STOP, then=Value(0)), default=Value(1))
    qs = due_requests(account_id=account_id, now=now).annotate(priority=priority).order_by("priority", "pk")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        candidates = list(qs.values_list("pk", "attempts")[:8])
        for pk, attempts in candidates:
            claimed = VendorRequest.objects.filter(pk=pk, state=R.PENDING, attempts=attempts).update(
                state=R.SENDING, attempts=attempts + 1, lease_until=lease
            )
            if claimed == 1:
                return VendorRequest.objects.select_related("job", "vendor_account").get(pk=pk)
    return None


# --- sending ---------------------------------------------------------------------------------------------


def _mine(request: VendorRequest):
    return VendorRequest.objects.filter(pk=request.pk, state=R.SENDING, attempts=request.attempts)


def _backoff_s(attempts: int) -> float:
    base_s = settings.DISPATCH_RETRY_BASE_S * (2 ** max(attempts - 1, 0))
    return min(base_s, settings.DISPATCH_RETRY_MAX_S) * random.uniform(0.8, 1.2)


@transaction.atomic
def _release(request: VendorRequest, *, delay_s: float, error: str, count_attempt: bool = True) -> None:
    """Back to pending (same request_id) to be sent again after `delay_s`."""
    now = timezone.now()
    updated = _mine(request).update(
        state=R.PENDING,
        not_before=now + timedelta(seconds=delay_s),
        lease_until=None,
        last_error=error[:500],
        attempts=F("attempts") if count_attempt else F("attempts") - 1,
    )
    if updated and request.purpose == VendorRequest.Purpose.COMMAND:
        DispatchTask.objects.filter(request=request, state=T.SENDING).update(state=T.PENDING)


@transaction.atomic
def _fail(request: VendorRequest, *, code: str, message: str, task_state: str) -> None:
    """The request is over: its tasks end `task_state` with the vendor's code (stopped tasks run on)."""
    now = timezone.now()
    if not _mine(request).update(state=R.FAILED, lease_until=None, last_error=f"{code}: {message}"[:500]):
        return
    if request.purpose == VendorRequest.Purpose.COMMAND:
        DispatchTask.objects.filter(request=request, state__in=(T.PENDING, T.SENDING)).update(
            state=task_state, vendor_code=code[:32], vendor_message=message[:500], finished_at=now
        )
        webhook_hooks.tasks_failed(
            DispatchTask.objects.filter(request=request, state=task_state, finished_at=now)
        )
        job_finish_if_done(request.job_id)
    else:
        DispatchTask.objects.filter(stop_request=request).update(
            vendor_message=f"stop failed: {code} {message}"[:500]
        )


def _tasks_to_send(request: VendorRequest) -> list[DispatchTask]:
    if request.purpose == VendorRequest.Purpose.COMMAND:
        DispatchTask.objects.filter(request=request, state=T.PENDING).update(state=T.SENDING)
        qs = DispatchTask.objects.filter(request=request, state=T.SENDING)
    else:
        qs = DispatchTask.objects.filter(stop_request=request, state__in=STOP_TARGET_STATES)
    return list(qs.select_related("plant").order_by("pk"))


def vendor_request_send(
    *, request: VendorRequest, defer: Callable[[Callable[[], None]], None] | None = None
) -> SendOutcome:
    """Send one claimed request and record what the vendor said, plant by plant.

    `defer` takes the recording of an accepted answer to run it elsewhere (the lane's applier thread), so
    the next request can be claimed and sent meanwhile; errors are recorded at once either way.
    """
    job: DispatchJob = request.job
    tasks = _tasks_to_send(request)
    if not tasks:  # cancelled or timed out while it waited: nothing left to say to the vendor
        _mine(request).update(state=R.CANCELLED, lease_until=None)
        return SendOutcome()
    is_stop = request.purpose == VendorRequest.Purpose.STOP
    command = STOP if is_stop else command_from_json(request.command or job.command)
    targets = plant_targets([t.plant for t in tasks])
    adapter = adapter_for(request.vendor_account)
    requested_by = (job.cancelled_by_id or job.created_by_id) if is_stop else job.created_by_id
    log.info(
        "sending request %s (%s, job %s, %d plants, attempt %d)",
        request.pk, request.purpose, job.pk, len(tasks), request.attempts,
    )  # fmt: skip
    try:
        with call_context(requested_by=requested_by, job=job.pk, vendor_request=request.pk):
            result = adapter.send(
                command, [targets[t.plant_id] for t in tasks], request_id=request.request_id
            )
    except RateLimited as exc:
        retry_s = max(exc.retry_after_s, 0.05)
        # A 407 the vendor actually answered wasted a call: it counts; our own limiter's "not yet" does not.
        _release(request, delay_s=retry_s, error=f"rate limited: {exc}", count_attempt=exc.vendor_said)
        return SendOutcome(retry_after_s=retry_s)
    except VendorAnswerInvalid as exc:  # an answer we cannot read: the task ends, the answer recorded
        _fail(request, code=exc.code, message=exc.message or str(exc), task_state=T.FAILED)
        return SendOutcome()
    except VendorRejected as exc:
        _fail(request, code=exc.code, message=exc.message or str(exc), task_state=T.REJECTED)
        return SendOutcome()
    except AuthFailed as exc:
        _fail(request, code="auth_failed", message=str(exc), task_state=T.FAILED)
        return SendOutcome()
    except Exception as exc:  # TransientError, SessionExpired after the adapter's own retries, or a bug
        if not isinstance(exc, TransientError | SessionExpired):
            log.exception("unexpected error sending request %s", request.pk)
        code = error_code(exc)
        if request.attempts >= settings.DISPATCH_SEND_MAX_ATTEMPTS:
            _fail(request, code=str(code), message=str(exc), task_state=T.FAILED)
        else:
            _release(request, delay_s=_backoff_s(request.attempts), error=f"{code}: {exc}")
        return SendOutcome()
    # When the vendor answered, not when the answer is recorded (the applier may be a moment behind): the
    # first poll is timed from it.
    answered_at = timezone.now()
    if is_stop:
        apply = functools.partial(_apply_stop, request, tasks, result, answered_at)
    else:
        apply = functools.partial(_apply_send, request, job, command, tasks, result, answered_at)
    if defer is None:
        apply()
    else:
        defer(apply)
    return SendOutcome(sent=True)


def _apply_send(
    request: VendorRequest,
    job: DispatchJob,
    command: base.Command,
    tasks: list[DispatchTask],
    result,
    answered_at: datetime,
) -> None:
    now = answered_at
    account = request.vendor_account
    speed = account.clock_speed
    refresh = timing.refresh_s(account.vendor, job.command_kind)
    timeout_at = timing.task_timeout_at(
        sent_at=now, clock_speed=speed, deadline=job.deadline, refresh=refresh
    )
    by_code = {t.plant.plant_code: t for t in tasks}
    answered = {r.plant_code: r for r in result.results}
    accepted: dict[int, dict] = {}
    ended: dict[str, dict[int, dict]] = {}
    for code, task in by_code.items():
        r = answered.get(code)
        # A plant the answer leaves out (a duplicate re-send answers for the request as a whole) is taken as
        # accepted: the status query of the request tells the rest, and the timeout bounds it.
        if r is None or (r.outcome == base.Outcome.ACCEPTED and not r.final):
            expected = now + timing.real(kinds.expected_duration_s(command, task.plant), speed)
            accepted[task.pk] = {
                "remote_id": (r.remote_id if r else None) or "",
                "expected_done_at": expected,
                "vendor_code": (r.vendor_code if r else None) or "",
                "vendor_message": ((r.message if r else "") or "")[:500],
            }
            continue
        if (
            r.outcome == base.Outcome.ACCEPTED
        ):  # final: the vendor's answer is the result (DoD, a raw setting)
            state = T.COMPLETED if r.state in (None, base.TaskState.COMPLETED) else _task_state(r.state)
        elif r.outcome == base.Outcome.UNSUPPORTED:
            state = T.UNSUPPORTED
        else:
            state = T.REJECTED
        ended.setdefault(state, {})[task.pk] = {
            "remote_id": r.remote_id or "",
            "vendor_code": (r.vendor_code or "")[:32],
            "vendor_message": (r.message or "")[:500],
        }
    next_poll = None
    if accepted:
        slowest = max(row["expected_done_at"] for row in accepted.values())
        next_poll = timing.next_poll_at(
            now=now,
            sent_at=now,
            expected_done=slowest,
            last_polled_at=None,
            refresh=refresh,
            clock_speed=speed,
        )
    # The request and its tasks change together: a worker killed in between would leave accepted tasks
    # under a request still `sending`, which the re-send finds empty and cancels, and nothing polls them.
    with transaction.atomic():
        recorded = _mine(request).update(
            state=R.SENT,
            sent_at=now,
            lease_until=None,
            last_error="",
            vendor_request_id=(result.vendor_request_id or "")[:64],
            next_poll_at=next_poll,
        )
        if not recorded:  # our lease ran out and another attempt took the request over: it records
            return
        sending = (T.SENDING,)
        for state, rows in ended.items():
            update_rows(DispatchTask, sending, rows, {"state": state, "sent_at": now, "finished_at": now})
        not_done = [*ended.get(T.FAILED, ()), *ended.get(T.REJECTED, ())]
        webhook_hooks.tasks_failed(
            DispatchTask.objects.filter(pk__in=not_done, state__in=(T.FAILED, T.REJECTED), finished_at=now)
        )
        if accepted:
            update_rows(
                DispatchTask,
                sending,
                accepted,
                {"state": T.ACCEPTED, "sent_at": now, "timeout_at": timeout_at, "next_poll_at": next_poll},
            )
        if ended:
            job_finish_if_done(job.pk)
    if (
        next_poll is not None
        and (wait_s := (next_poll - timezone.now()).total_seconds()) <= POLL_KICK_HORIZON_S
    ):
        kick_poll([account.pk], countdown=wait_s)  # be there when it is due; the sweep is the fallback
    if accepted and DispatchJob.objects.filter(pk=job.pk, cancel_requested_at__isnull=False).exists():
        from dispatch.engine.stops import tasks_stop  # cancelled while this request was in flight

        kick_send(tasks_stop(job_ids=[job.pk]))


def error_code(exc: Exception) -> str:
    """The most specific code an error carries: the vendor's failCode / error_code, else the HTTP status."""
    if getattr(exc, "code", None):
        return str(exc.code)
    text = str(exc)
    if match := re.search(r"failCode (\d+)", text):
        return match.group(1)
    if match := re.search(r"HTTP (\d{3})", text):
        return f"http_{match.group(1)}"
    return "transient" if isinstance(exc, TransientError | SessionExpired) else type(exc).__name__


def _task_state(state: base.TaskState) -> str:
    return {
        base.TaskState.COMPLETED: T.COMPLETED,
        base.TaskState.FAILED: T.FAILED,
        base.TaskState.TIMED_OUT: T.TIMED_OUT,
        base.TaskState.IN_PROGRESS: T.IN_PROGRESS,
    }[state]


def _apply_stop(request: VendorRequest, tasks: list[DispatchTask], result, answered_at: datetime) -> None:
    now = answered_at
    answered = {r.plant_code: r for r in result.results}
    stopped, refused = [], {}
    for task in tasks:
        r = answered.get(task.plant.plant_code)
        if r is None or r.outcome == base.Outcome.ACCEPTED:
            stopped.append(task.pk)
        else:
            refused[task.pk] = {"vendor_message": f"stop refused: {r.vendor_code or ''} {r.message}"[:500]}
    with transaction.atomic():  # the request and its tasks together, as in _apply_send
        if not _mine(request).update(
            state=R.SENT, sent_at=now, lease_until=None, last_error="", next_poll_at=None
        ):
            return  # another attempt took the request over: it records
        DispatchTask.objects.filter(pk__in=stopped, state__in=DispatchTask.RUNNING_STATES).update(
            state=T.CANCELLED, finished_at=now, vendor_message="stopped"
        )
        DispatchTask.objects.filter(pk__in=stopped, state=T.TIMED_OUT).update(
            vendor_message="no result before the deadline; stopped"
        )
        update_rows(DispatchTask, STOP_TARGET_STATES, refused, {})
        for job_id in {t.job_id for t in tasks}:
            job_finish_if_done(job_id)


# --- the lane --------------------------------------------------------------------------------------------


def _close_thread_connections() -> None:
    """Run ON the applier thread: Django's connections are per thread, and this one opened its own."""
    connections.close_all()


class Applier:
    """Records answers on a thread of its own, one at a time and in order, while the lane claims, loads and
    sends the next request: the database work of one request overlaps the vendor call of the next, so an
    account's requests follow each other as fast as its rate limit allows. At most one answer waits."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dispatch-apply")
        self._last: Future | None = None
        self._closed = False

    def __call__(self, apply: Callable[[], None]) -> None:
        self.wait()
        self._last = self._pool.submit(apply)

    def wait(self) -> None:
        if self._last is not None:
            last, self._last = self._last, None
            last.result()  # an error recording the previous answer surfaces here

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.wait()
        finally:
            self._pool.submit(_close_thread_connections).result()
            self._pool.shutdown()


def send_lane_run(*, account_id: int, budget_s: float | None = None) -> float | None:
    """Send this account's due requests for up to `budget_s` (the shared limiter paces the calls): one
    after the other, or `lane_threads` at once where the vendor allows it. Returns the countdown for the
    lane's next run, or None (see lanes.lane_run)."""
    budget_s = settings.DISPATCH_LANE_BUDGET_S if budget_s is None else budget_s
    threads = lane_threads(account_id)
    if threads > 1:
        step = functools.partial(_send_in_parallel, account_id, threads, time.monotonic() + budget_s)
        return _send_lane(account_id, budget_s, step)
    applier = Applier()

    def one_step() -> tuple[bool, float | None]:
        request = request_claim_next(account_id=account_id)
        if request is None:
            return False, None
        return True, vendor_request_send(request=request, defer=applier).retry_after_s

    try:
        return _send_lane(account_id, budget_s, one_step, before_release=applier.close)
    finally:
        applier.close()


def _send_lane(account_id: int, budget_s: float, step, before_release=None) -> float | None:
    return lane_run(
        account_id=account_id,
        kind=DispatchLane.Kind.SEND,
        lease_s=settings.DISPATCH_SEND_LEASE_S,
        budget_s=budget_s,
        step=step,
        next_due_in_s=lambda: next_due_in_s(account_id=account_id),
        before_release=before_release,
    )


def lane_threads(account_id: int) -> int:
    """How many requests the account's send lane has on their way at once (DISPATCH_SEND_THREADS, where the
    account's adapter sets no limit of its own; 1 on SQLite, which takes one writer at a time)."""
    if connection.vendor == "sqlite":
        return 1
    account = VendorAccount.objects.filter(pk=account_id).first()
    if account is None:
        return 1
    allowed = adapter_for(account).parallel_requests
    wanted = settings.DISPATCH_SEND_THREADS
    return max(1, wanted if allowed is None else min(allowed, wanted))


def _send_in_parallel(account_id: int, threads: int, stop_at: float) -> tuple[bool, float | None]:
    """One lane step: `threads` threads each claim, send and record the account's due requests until none
    is due or the budget is spent. A rate-limited request waits on its own (its not_before) while the
    others go on: this vendor's limits are per identical request, not per account."""

    def sender() -> bool:
        sent_any = False
        try:
            while time.monotonic() < stop_at:
                request = request_claim_next(account_id=account_id)
                if request is None:
                    break
                sent_any = True
                vendor_request_send(request=request)
        finally:
            connections.close_all()  # this thread's own connections
        return sent_any

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="dispatch-send") as pool:
        futures = [pool.submit(sender) for _ in range(threads)]
        did_work = any([future.result() for future in futures])
    return did_work, None


def next_due_in_s(*, account_id: int, horizon_s: float | None = None) -> float | None:
    """Seconds until the account's next pending request may go, if within the horizon (else the sweep)."""
    horizon_s = 2 * settings.DISPATCH_SWEEP_S if horizon_s is None else horizon_s
    now = timezone.now()
    pending = VendorRequest.objects.filter(vendor_account_id=account_id, state=R.PENDING)
    if due_requests(account_id=account_id, now=now).exists():
        return 0.0
    soonest = (
        pending.filter(not_before__gt=now, not_before__lte=now + timedelta(seconds=horizon_s))
        .order_by("not_before")
        .values_list("not_before", flat=True)
        .first()
    )
    return (soonest - now).total_seconds() if soonest else None
