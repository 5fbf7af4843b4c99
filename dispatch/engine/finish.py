"""A job ends when none of its tasks is open: its state comes from the counts (DESIGN.md "Task states")."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dispatch.models import DispatchJob, DispatchTask
from dispatch.selectors import dispatch_job_summary
from webhooks import hooks as webhook_hooks

S = DispatchTask.State


def final_state(counts: dict[str, int], *, cancel_requested: bool) -> str:
    """Unsupported tasks do not count against a job: a mixed fleet gets the command where it can."""
    if cancel_requested:
        return DispatchJob.State.CANCELLED
    actionable = sum(counts.values()) - counts.get(S.UNSUPPORTED, 0)
    completed = counts.get(S.COMPLETED, 0)
    if actionable == 0:
        return DispatchJob.State.FAILED
    if counts.get(S.CANCELLED, 0) == actionable:  # every task stopped (replaced by a newer job)
        return DispatchJob.State.CANCELLED
    if completed == actionable:
        return DispatchJob.State.COMPLETED
    if completed == 0:
        all_timed_out = counts.get(S.TIMED_OUT, 0) == actionable
        return DispatchJob.State.TIMED_OUT if all_timed_out else DispatchJob.State.FAILED
    return DispatchJob.State.PARTIALLY_COMPLETED


def job_finish_if_done(job_id: int) -> bool:
    """Finish the job if it is open and no task is; True if this call finished it."""
    if DispatchTask.objects.filter(job_id=job_id, state__in=DispatchTask.OPEN_STATES).exists():
        return False
    job = DispatchJob.objects.filter(pk=job_id, state__in=DispatchJob.OPEN_STATES).first()
    if job is None:
        return False
    summary = dispatch_job_summary(job=job_id)
    state = final_state(summary["counts"], cancel_requested=job.cancel_requested_at is not None)
    now = timezone.now()
    open_tasks = DispatchTask.objects.filter(job_id=OuterRef("pk"), state__in=DispatchTask.OPEN_STATES)
    with transaction.atomic():  # the webhook outbox row commits with the state change
        finished = (
            DispatchJob.objects.filter(pk=job_id, state__in=DispatchJob.OPEN_STATES)
            .filter(~Exists(open_tasks))  # a retry may have reopened tasks since we looked
            .update(
                state=state,
                finished_at=now,
                started_at=job.started_at or now,
                charged_kwh=summary["charged_kwh"],
                discharged_kwh=summary["discharged_kwh"],
            )
            == 1
        )
        if finished:
            webhook_hooks.job_state_changed(job_id, previous=job.state, current=state)
    return finished
