"""Send claimed vendor requests: call the adapter, within the account's rate limit, and hand on its answer.

Owns the vendor call: `vendor_request_send` sends one claimed request (claim.py chose and locked it) and
decides from the outcome what happens to it: an answer is recorded (apply.py), a rate limit or a
transient fault releases it to be sent again later, a refusal fails it. And the send lane of an account
(`send_lane_run`): claim, send, record, one request after the other as the shared limiter paces the calls,
or several at once where the vendor allows it.

The request's `request_id` was stored when the job was created and never changes, so whatever happens
between the vendor taking the command and us recording it (a SIGKILL, a dropped answer, a lease that ran
out), the next attempt re-sends the SAME identity and the vendor answers "duplicate" (NBI V7 9.3.4 failCode
20048), which the adapter reports as accepted: a plant is never commanded twice.
"""

from __future__ import annotations

import functools
import logging
import random
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from dispatch.engine.apply import (
    Applier,
    command_answer_apply,
    request_cancel,
    request_fail,
    request_release,
    stop_answer_apply,
)
from dispatch.engine.claim import next_due_in_s, request_claim_next, request_tasks_to_send
from dispatch.engine.codec import STOP, command_from_json
from dispatch.engine.lanes import lane_run
from dispatch.engine.targets import plant_targets
from dispatch.models import DispatchJob, DispatchLane, DispatchTask, VendorRequest
from fleets.adapters import adapter_for, call_context
from fleets.models import VendorAccount
from vendors.errors import (
    AuthFailed,
    RateLimited,
    SessionExpired,
    TransientError,
    VendorAnswerInvalid,
    VendorRejected,
)

log = logging.getLogger(__name__)
T = DispatchTask.State


@dataclass(frozen=True)
class SendOutcome:
    sent: bool = False
    retry_after_s: float | None = None  # rate limited: the account's next slot is this far away


def _backoff_s(attempts: int) -> float:
    base_s = settings.DISPATCH_RETRY_BASE_S * (2 ** max(attempts - 1, 0))
    return min(base_s, settings.DISPATCH_RETRY_MAX_S) * random.uniform(0.8, 1.2)


def vendor_request_send(
    *, request: VendorRequest, defer: Callable[[Callable[[], None]], None] | None = None
) -> SendOutcome:
    """Send one claimed request and record what the vendor said, plant by plant.

    `defer` takes the recording of an accepted answer to run it elsewhere (the lane's applier thread), so
    the next request can be claimed and sent meanwhile; errors are recorded at once either way.
    """
    job: DispatchJob = request.job
    tasks = request_tasks_to_send(request)
    if not tasks:  # cancelled or timed out while it waited: nothing left to say to the vendor
        request_cancel(request)
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
        request_release(request, delay_s=retry_s, error=f"rate limited: {exc}", count_attempt=exc.vendor_said)
        return SendOutcome(retry_after_s=retry_s)
    except VendorAnswerInvalid as exc:  # an answer we cannot read: the task ends, the answer recorded
        request_fail(request, code=exc.code, message=exc.message or str(exc), task_state=T.FAILED)
        return SendOutcome()
    except VendorRejected as exc:
        request_fail(request, code=exc.code, message=exc.message or str(exc), task_state=T.REJECTED)
        return SendOutcome()
    except AuthFailed as exc:
        request_fail(request, code="auth_failed", message=str(exc), task_state=T.FAILED)
        return SendOutcome()
    except Exception as exc:  # TransientError, SessionExpired after the adapter's own retries, or a bug
        if not isinstance(exc, TransientError | SessionExpired):
            log.exception("unexpected error sending request %s", request.pk)
        code = error_code(exc)
        if request.attempts >= settings.DISPATCH_SEND_MAX_ATTEMPTS:
            request_fail(request, code=str(code), message=str(exc), task_state=T.FAILED)
        else:
            request_release(request, delay_s=_backoff_s(request.attempts), error=f"{code}: {exc}")
        return SendOutcome()
    # When the vendor answered, not when the answer is recorded (the applier may be a moment behind): the
    # first poll is timed from it.
    answered_at = timezone.now()
    if is_stop:
        apply = functools.partial(stop_answer_apply, request, tasks, result, answered_at)
    else:
        apply = functools.partial(command_answer_apply, request, job, command, tasks, result, answered_at)
    if defer is None:
        apply()
    else:
        defer(apply)
    return SendOutcome(sent=True)


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


# --- the lane -------------------------------------------------------------------------------------


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
