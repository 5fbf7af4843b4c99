"""The periodic tick (Celery beat, DISPATCH_SWEEP_S): the database says what is due, the sweep does it.

Celery messages get lost (a Redis restart, a worker killed before it acked, an ETA task dropped), so
nothing relies on one: every few seconds the sweep
  1. starts scheduled jobs whose start_at has come,
  2. reclaims `sending` requests whose lease ran out (their worker died): back to pending, same request_id,
  3. times out open tasks past their timeout (job deadline, or the vendor's own 24 h bound), and sends
     a stop to the charges and discharges still running at their job's deadline,
  4. finishes open jobs none of whose tasks is open,
  5. measures the energy of ended charges and discharges the vendor gave none for (engine.energy),
  6. moves accepted charges and discharges to in_progress once telemetry shows the battery working,
  7. enqueues a send lane for every account with a due request and a poll lane for every account with a
     due poll, unless a worker holds that lane right now.
Every step is a conditional update (or only enqueues), so two sweeps at once do no harm.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dispatch.engine.claim import due_requests
from dispatch.engine.energy import tasks_energy_fill
from dispatch.engine.finish import job_finish_if_done
from dispatch.engine.kick import kick_poll, kick_send
from dispatch.engine.lanes import lanes_free
from dispatch.engine.poll import due_polls
from dispatch.engine.stops import tasks_stop_past_deadline
from dispatch.engine.working import tasks_mark_working
from dispatch.models import DispatchJob, DispatchLane, DispatchTask, VendorRequest
from webhooks import hooks as webhook_hooks

log = logging.getLogger(__name__)
T = DispatchTask.State


def jobs_start_due(now) -> int:
    due = DispatchJob.objects.filter(state=DispatchJob.State.SCHEDULED, start_at__lte=now)
    with transaction.atomic():
        ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True))
        started = due.filter(pk__in=ids).update(state=DispatchJob.State.RUNNING, started_at=now)
        webhook_hooks.jobs_started(ids)
    return started


def requests_reclaim_expired(now) -> int:
    """`sending` past its lease: the worker died mid-call. Re-send with the same identity."""
    return VendorRequest.objects.filter(state=VendorRequest.State.SENDING, lease_until__lt=now).update(
        state=VendorRequest.State.PENDING, lease_until=None, last_error="lease expired: re-sending"
    )


def tasks_time_out(now) -> set[int]:
    """Open tasks (not in flight) past their timeout end timed_out. Returns the jobs touched."""
    overdue = DispatchTask.objects.filter(
        state__in=(T.PENDING, T.ACCEPTED, T.IN_PROGRESS), timeout_at__isnull=False, timeout_at__lt=now
    )
    job_ids = set(overdue.values_list("job_id", flat=True).distinct())
    if job_ids:
        with transaction.atomic():
            stops = tasks_stop_past_deadline(overdue, now=now)  # ends those tasks timed_out itself
            overdue.update(
                state=T.TIMED_OUT,
                finished_at=now,
                next_poll_at=None,
                vendor_message="no result before the deadline",
            )
            transaction.on_commit(lambda: kick_send(stops))
    return job_ids


def jobs_finish_done() -> int:
    open_tasks = DispatchTask.objects.filter(job_id=OuterRef("pk"), state__in=DispatchTask.OPEN_STATES)
    done = DispatchJob.objects.filter(state__in=DispatchJob.OPEN_STATES).filter(~Exists(open_tasks))
    return sum(job_finish_if_done(pk) for pk in done.values_list("pk", flat=True))


def sweep_run() -> dict:
    now = timezone.now()
    figures = {
        "started": jobs_start_due(now),
        "reclaimed": requests_reclaim_expired(now),
        "timed_out_jobs": len(tasks_time_out(now)),
        "finished": jobs_finish_done(),
        "energy_measured": tasks_energy_fill(now),
        "working": tasks_mark_working(now),
    }
    send_accounts = set(due_requests(now=now).values_list("vendor_account_id", flat=True).distinct())
    poll_accounts = set(due_polls(now=now).values_list("vendor_account_id", flat=True).distinct())
    kick_send(lanes_free(DispatchLane.Kind.SEND, send_accounts))
    kick_poll(lanes_free(DispatchLane.Kind.POLL, poll_accounts))
    figures.update(send_lanes=len(send_accounts), poll_lanes=len(poll_accounts))
    if any(figures[k] for k in ("reclaimed", "timed_out_jobs")):
        log.info("dispatch sweep %s", figures)
    return figures
