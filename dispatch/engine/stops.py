"""Stop what the vendor is running: a job cancelled, or tasks replaced by a newer job.

Only charge/discharge can be stopped (Huawei dispatchSwitch 0, NBI V7 9.3.4; Growatt: clear the AC-charge
and forced-discharge windows, 4.3.12): those tasks get a `stop` VendorRequest, sent through the same lanes
(stops go first) with its own stored request_id, and end `cancelled` when the vendor takes the stop.
Other kinds are instant settings (DoD, on/off, EMS, DRM, defaults): nothing to stop, they end as they end.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable

from django.utils import timezone

from dispatch.engine.codec import command_from_json, is_stop
from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from fleets.adapters import adapter_for
from fleets.models import VendorAccount
from vendors.base import CommandKind

STOPPABLE_KINDS = (CommandKind.CHARGE_DISCHARGE,)


def new_request_id() -> str:
    """Our request identity: decimal, positive, below 2**63 (Huawei requestID is a Long, NBI V7 9.3.4)."""
    return str(secrets.randbelow(2**63 - 2**40) + 2**40)


def _stoppable(job: DispatchJob) -> bool:
    return job.command_kind in STOPPABLE_KINDS and not is_stop(command_from_json(job.command))


def tasks_stop(
    *, job_ids: Iterable[int] | None = None, task_ids: Iterable[int] | None = None, reason: str = "cancelled"
) -> dict[int, VendorRequest]:
    """Create stop requests for the running stoppable tasks picked by job or task ids; cancel the rest of
    the picked tasks that the vendor has not got yet. Returns the last stop request per vendor account."""
    qs = DispatchTask.objects.filter(state__in=DispatchTask.OPEN_STATES, stop_request__isnull=True)
    if job_ids is not None:
        qs = qs.filter(job_id__in=list(job_ids))
    if task_ids is not None:
        qs = qs.filter(pk__in=list(task_ids))
    now = timezone.now()
    # Never sent: nothing to stop.
    qs.filter(state=DispatchTask.State.PENDING).update(
        state=DispatchTask.State.CANCELLED, finished_at=now, vendor_message=reason[:500]
    )
    running = list(
        qs.filter(state__in=DispatchTask.RUNNING_STATES)
        .order_by("vendor_account_id", "job_id", "pk")
        .values_list("pk", "job_id", "vendor_account_id")
    )
    jobs = {j.pk: j for j in DispatchJob.objects.filter(pk__in={job_id for _, job_id, _ in running})}
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    instant: list[int] = []
    for pk, job_id, account_id in running:
        if _stoppable(jobs[job_id]):
            groups[(job_id, account_id)].append(pk)
        else:
            instant.append(pk)
    if instant:  # a setting the vendor already applies: cancelling it locally is all there is
        DispatchTask.objects.filter(pk__in=instant, state__in=DispatchTask.RUNNING_STATES).update(
            state=DispatchTask.State.CANCELLED, finished_at=now, vendor_message=reason[:500]
        )
    accounts = {a.pk: a for a in VendorAccount.objects.filter(pk__in={acc for _, acc in groups})}
    last: dict[int, VendorRequest] = {}
    for (job_id, account_id), pks in groups.items():
        size = max(1, adapter_for(accounts[account_id]).max_targets_per_request(CommandKind.CHARGE_DISCHARGE))
        for start in range(0, len(pks), size):
            chunk = pks[start : start + size]
            stop = VendorRequest.objects.create(
                job_id=job_id,
                vendor_account_id=account_id,
                purpose=VendorRequest.Purpose.STOP,
                request_id=new_request_id(),
            )
            DispatchTask.objects.filter(pk__in=chunk, stop_request__isnull=True).update(stop_request=stop)
            last[account_id] = stop
    return last
