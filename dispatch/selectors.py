"""Functions that read dispatch jobs and tasks (Django-Styleguide selectors).

A job's counts per state and its energy totals come from ONE aggregate over its tasks (indexed by
job+state), so the detail of a 10,000-task job costs the same few queries as that of a 1-task job.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet, Sum

from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from fleets.models import Organization

TASK_STATES = [state.value for state in DispatchTask.State]


def _aggregates() -> dict:
    counts = {state: Count("pk", filter=Q(state=state)) for state in TASK_STATES}
    return {
        **counts,
        "total": Count("pk"),
        "charged_kwh": Sum("charged_kwh"),
        "discharged_kwh": Sum("discharged_kwh"),
    }


def _summary(row: dict) -> dict:
    return {
        "total": row.get("total") or 0,
        "counts": {state: row.get(state) or 0 for state in TASK_STATES},
        "charged_kwh": round(row["charged_kwh"], 3) if row.get("charged_kwh") is not None else None,
        "discharged_kwh": round(row["discharged_kwh"], 3) if row.get("discharged_kwh") is not None else None,
    }


def dispatch_job_summary(*, job: DispatchJob | int) -> dict:
    """{"total", "counts": {task state: n}, "charged_kwh", "discharged_kwh"} in one query."""
    job_id = job if isinstance(job, int) else job.pk
    return _summary(DispatchTask.objects.filter(job_id=job_id).aggregate(**_aggregates()))


def dispatch_job_summaries(*, job_ids: list[int]) -> dict[int, dict]:
    """The same for a page of jobs, in one grouped query."""
    rows = (
        DispatchTask.objects.filter(job_id__in=job_ids).order_by().values("job_id").annotate(**_aggregates())
    )
    found = {row["job_id"]: _summary(row) for row in rows}
    return {job_id: found.get(job_id) or _summary({}) for job_id in job_ids}


def dispatch_job_list(*, organization: Organization) -> QuerySet[DispatchJob]:
    return (
        DispatchJob.objects.filter(organization=organization)
        .select_related("created_by", "fleet", "power_target")
        .order_by("-created_at", "-pk")
    )


def dispatch_task_list(*, job: DispatchJob) -> QuerySet[DispatchTask]:
    return (
        DispatchTask.objects.filter(job=job)
        .select_related("plant", "vendor_account", "request")
        .order_by("pk")
    )


def dispatch_job_requests(*, job: DispatchJob) -> QuerySet[VendorRequest]:
    return VendorRequest.objects.filter(job=job).order_by("pk")
