"""Record what the vendor said about a claimed request: its tasks' and the request's state changes, together.

Owns the writes after a send: an accepted answer (`command_answer_apply`, `stop_answer_apply`: tasks
accepted, ended or stopped, the first poll timed, the job finished, webhooks queued), an attempt to
retry later (`request_release`, same request_id), a request that is over (`request_fail`), and the
`Applier` thread that records one answer while the lane sends the next. Every write is conditional on
the attempt's fencing token (claim.request_mine): an attempt whose lease ran out records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from django.db import connections, transaction
from django.db.models import F
from django.utils import timezone

from dispatch import kinds
from dispatch.engine import timing
from dispatch.engine.claim import STOP_TARGET_STATES, request_mine
from dispatch.engine.finish import job_finish_if_done
from dispatch.engine.kick import kick_poll, kick_send
from dispatch.engine.rows import update_rows
from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from vendors import base
from webhooks import hooks as webhook_hooks

R = VendorRequest.State
T = DispatchTask.State
POLL_KICK_HORIZON_S = 60.0  # a first poll due sooner than this gets its own (ETA) message


@transaction.atomic
def request_release(
    request: VendorRequest, *, delay_s: float, error: str, count_attempt: bool = True
) -> None:
    """Back to pending (same request_id) to be sent again after `delay_s`."""
    now = timezone.now()
    updated = request_mine(request).update(
        state=R.PENDING,
        not_before=now + timedelta(seconds=delay_s),
        lease_until=None,
        last_error=error[:500],
        attempts=F("attempts") if count_attempt else F("attempts") - 1,
    )
    if updated and request.purpose == VendorRequest.Purpose.COMMAND:
        DispatchTask.objects.filter(request=request, state=T.SENDING).update(state=T.PENDING)


@transaction.atomic
def request_fail(request: VendorRequest, *, code: str, message: str, task_state: str) -> None:
    """The request is over: its tasks end `task_state` with the vendor's code (stopped tasks run on)."""
    now = timezone.now()
    if not request_mine(request).update(
        state=R.FAILED, lease_until=None, last_error=f"{code}: {message}"[:500]
    ):
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


def request_cancel(request: VendorRequest) -> None:
    """Nothing left to say to the vendor (its tasks were cancelled or timed out while it waited)."""
    request_mine(request).update(state=R.CANCELLED, lease_until=None)


def command_answer_apply(
    request: VendorRequest,
    job: DispatchJob,
    command: base.Command,
    tasks: list[DispatchTask],
    result,
    answered_at: datetime,
) -> None:
    """A command's answer, plant by plant: accepted tasks wait for their first poll, the others end."""
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
        asked = [answered[c].poll_by for c, t in by_code.items() if t.pk in accepted and c in answered]
        next_poll = timing.poll_by(next_poll, asked, now=now)
    # The request and its tasks change together: a worker killed in between would leave accepted tasks
    # under a request still `sending`, which the re-send finds empty and cancels, and nothing polls them.
    with transaction.atomic():
        recorded = request_mine(request).update(
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


def _task_state(state: base.TaskState) -> str:
    return {
        base.TaskState.COMPLETED: T.COMPLETED,
        base.TaskState.FAILED: T.FAILED,
        base.TaskState.TIMED_OUT: T.TIMED_OUT,
        base.TaskState.IN_PROGRESS: T.IN_PROGRESS,
    }[state]


def stop_answer_apply(
    request: VendorRequest, tasks: list[DispatchTask], result, answered_at: datetime
) -> None:
    """A stop's answer: the tasks it stopped end cancelled (timed-out ones stay so), refusals noted."""
    now = answered_at
    answered = {r.plant_code: r for r in result.results}
    stopped, refused = [], {}
    for task in tasks:
        r = answered.get(task.plant.plant_code)
        if r is None or r.outcome == base.Outcome.ACCEPTED:
            stopped.append(task.pk)
        else:
            refused[task.pk] = {"vendor_message": f"stop refused: {r.vendor_code or ''} {r.message}"[:500]}
    with transaction.atomic():  # the request and its tasks together, as in command_answer_apply
        if not request_mine(request).update(
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


# --- the applier thread ----------------------------------------------------------------------------


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
