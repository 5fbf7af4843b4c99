"""The calls the rest of the service makes at each transition: one call per transition, nothing else.

Each writes the event into the outbox in the caller's transaction (webhooks.services.webhook_event_emit,
whose writes run in a savepoint) and returns; delivery is a Celery task after the commit. A hook never
breaks what called it: it logs its own failure, so a dispatch state change never fails because of a
webhook. With no subscription for the event a hook costs one or two small reads and writes nothing.
Payloads are built from named fields only: never a secret, a token or a vendor credential.
"""

from __future__ import annotations

import functools
import logging

from webhooks.services import subscriptions_wanting, webhook_event_emit

log = logging.getLogger(__name__)

FINISHED_STATES = {"completed", "partially_completed", "failed", "cancelled", "timed_out"}


def _never_raises(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            fn(*args, **kwargs)
        except Exception:
            log.exception("webhook hook %s failed; the state change stands", fn.__name__)

    return wrapper


def _iso(value):
    return value.isoformat() if value is not None else None


def _job(job_id: int) -> tuple[int, dict] | None:
    from dispatch.models import DispatchJob
    from dispatch.selectors import dispatch_job_summary

    job = DispatchJob.objects.filter(pk=job_id).first()
    if job is None:
        return None
    summary = dispatch_job_summary(job=job_id)
    return job.organization_id, {
        "id": job.pk,
        "command": job.command_kind,
        "params": job.params,
        "state": job.state,
        "fleet": job.fleet_id,
        "task_count": job.task_count,
        "counts": summary["counts"],
        "charged_kwh": summary["charged_kwh"],
        "discharged_kwh": summary["discharged_kwh"],
        "created_by": job.created_by_id,
        "start_at": _iso(job.start_at),
        "deadline": _iso(job.deadline),
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


def _organization_of_job(job_id: int) -> int | None:
    from dispatch.models import DispatchJob

    return DispatchJob.objects.filter(pk=job_id).values_list("organization_id", flat=True).first()


def _emit_job(job_id: int, event_type: str, **extra) -> None:
    organization_id = _organization_of_job(job_id)
    if organization_id is None or not (wanting := subscriptions_wanting(organization_id, event_type)):
        return  # nobody listens: not even the payload query is paid
    found = _job(job_id)
    if found is not None:
        webhook_event_emit(
            organization_id=found[0],
            event_type=event_type,
            payload={"job": found[1], **extra},
            subscription_ids=wanting,
        )


@_never_raises
def job_created(job_id: int) -> None:
    _emit_job(job_id, "job.created")


@_never_raises
def job_state_changed(job_id: int, *, previous: str, current: str) -> None:
    """A job moved `previous` -> `current`; a move into a finished state is also `job.finished`."""
    if previous == current:
        return
    _emit_job(job_id, "job.state_changed", previous_state=previous, state=current)
    if current in FINISHED_STATES:
        _emit_job(job_id, "job.finished")


@_never_raises
def jobs_started(job_ids: list[int]) -> None:
    """Scheduled jobs whose start_at came (the sweep): scheduled -> running."""
    for job_id in job_ids:
        _emit_job(job_id, "job.state_changed", previous_state="scheduled", state="running")


@_never_raises
def tasks_failed(tasks) -> None:
    """`tasks`: a DispatchTask queryset of the tasks that just failed or that the vendor rejected (`state`
    says which). Callers filter on the state and the finished_at they wrote, so a task is reported by the
    transition that ended it, once."""
    rows = list(
        tasks.values(
            "pk", "job_id", "job__organization_id", "plant_id", "plant__plant_code", "vendor_account_id",
            "state", "vendor_code", "vendor_message", "finished_at",
        ).order_by("pk")
    )  # fmt: skip
    wanting: dict[int, list[int]] = {}
    for row in rows:
        organization_id = row["job__organization_id"]
        if organization_id not in wanting:
            wanting[organization_id] = subscriptions_wanting(organization_id, "task.failed")
        if not wanting[organization_id]:
            continue
        payload = {
            "task": {
                "id": row["pk"],
                "job": row["job_id"],
                "plant": row["plant_id"],
                "plant_code": row["plant__plant_code"],
                "vendor_account": row["vendor_account_id"],
                "state": row["state"],
                "vendor_code": row["vendor_code"],
                "vendor_message": row["vendor_message"],
                "finished_at": _iso(row["finished_at"]),
            }
        }
        webhook_event_emit(
            organization_id=organization_id,
            event_type="task.failed",
            payload=payload,
            subscription_ids=wanting[organization_id],
        )


@_never_raises
def vendor_account_health_changed(*, account, previous: str, current: str, detail: str = "") -> None:
    """A vendor account's health status changed (vendors/health.py); fleets.adapters.health_written calls
    this once per change, from the process that won the conditional update of `health_status`."""
    if previous == current:
        return
    webhook_event_emit(
        organization_id=account.organization_id,
        event_type="vendor_account.health_changed",
        payload={
            "vendor_account": {"id": account.pk, "name": account.name, "vendor": account.vendor},
            "previous_health": previous,
            "health": current,
            "detail": detail[:500],
        },
    )
