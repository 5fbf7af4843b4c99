"""Stop what the vendor is running: a job cancelled, tasks replaced by a newer job, a deadline passed.

Only charge/discharge can be stopped (the kinds declared `stoppable`, dispatch.kinds): dispatchSwitch 0,
NBI V7 9.3.4, or clearing the AC-charge and forced-discharge windows, for a vendor whose charge is a
window. Those tasks get a `stop` VendorRequest, sent through the same lanes (stops go first) with its own
stored request_id, and end `cancelled` when the vendor takes the stop.
Other kinds are instant settings (DoD, on/off, EMS, DRM, defaults): nothing to stop, they end as they end.

A task whose command request is in flight (or was attempted and may have landed, then released for a
retry) may be with the vendor: its stop waits for that request (`after`) and goes right after it. On an
account a command never overtakes a stop created before it (`claim.due_requests`), so the newer job of a
replace lands after every stop of the old one, deferred or not.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone

from dispatch.engine.codec import command_from_json, is_stop
from dispatch.kinds import stoppable_kinds
from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from fleets.adapters import adapter_for
from fleets.models import VendorAccount
from vendors.base import CommandKind
from vendors.batching import per_request

# The kinds whose running tasks can be stopped (each kind's `stoppable`, dispatch.kinds).
STOPPABLE_KINDS = stoppable_kinds()


def new_request_id() -> str:
    """Our request identity: decimal, positive, below 2**63 (requestID is a Long, NBI V7 9.3.4)."""
    return str(secrets.randbelow(2**63 - 2**40) + 2**40)


def _stoppable_job_ids(job_ids: Iterable[int]) -> set[int]:
    """Those of the jobs whose tasks can be stopped: charges and discharges (a stop itself cannot)."""
    jobs = DispatchJob.objects.filter(pk__in=set(job_ids), command_kind__in=STOPPABLE_KINDS)
    return {job.pk for job in jobs.only("pk", "command") if not is_stop(command_from_json(job.command))}


def _possibly_sent() -> Q:
    """Tasks the vendor may have: in flight, or pending again after an attempt whose answer was lost."""
    return Q(state=DispatchTask.State.SENDING) | Q(state=DispatchTask.State.PENDING, request__attempts__gt=0)


def tasks_stop(
    *, job_ids: Iterable[int] | None = None, task_ids: Iterable[int] | None = None, reason: str = "cancelled"
) -> dict[int, VendorRequest]:
    """Create stop requests for the picked stoppable tasks the vendor has or may have; cancel the picked
    tasks it has not got. Returns the last stop request per vendor account."""
    qs = DispatchTask.objects.filter(state__in=DispatchTask.OPEN_STATES, stop_request__isnull=True)
    if job_ids is not None:
        qs = qs.filter(job_id__in=list(job_ids))
    if task_ids is not None:
        qs = qs.filter(pk__in=list(task_ids))
    now = timezone.now()
    # Never sent: nothing to stop.
    qs.filter(state=DispatchTask.State.PENDING).exclude(_possibly_sent()).update(
        state=DispatchTask.State.CANCELLED, finished_at=now, vendor_message=reason[:500]
    )
    picked = list(
        qs.filter(Q(state__in=DispatchTask.RUNNING_STATES) | _possibly_sent())
        .order_by("vendor_account_id", "job_id", "pk")
        .values_list("pk", "job_id", "vendor_account_id", "state", "request")
    )
    stoppable = _stoppable_job_ids(row[1] for row in picked)
    groups: dict[tuple[int, int, int | None], list[int]] = defaultdict(list)
    instant: list[int] = []
    for pk, job_id, account_id, state, command_request in picked:
        running = state in DispatchTask.RUNNING_STATES
        if job_id in stoppable:
            groups[(job_id, account_id, None if running else command_request)].append(pk)
        elif running:
            instant.append(pk)
        # an instant setting in flight ends as the vendor answers: there is nothing to stop
    if instant:  # a setting the vendor already applies: cancelling it locally is all there is
        DispatchTask.objects.filter(pk__in=instant, state__in=DispatchTask.RUNNING_STATES).update(
            state=DispatchTask.State.CANCELLED, finished_at=now, vendor_message=reason[:500]
        )
    return stops_create(groups)


def tasks_stop_past_deadline(overdue, *, now) -> dict[int, VendorRequest]:
    """Stop requests for the running charge/discharge tasks among `overdue` (a queryset) whose job's
    deadline has passed: the operator wanted them done by then, and a battery left charging or discharging
    past it is what a deadline is there to prevent. A task past the vendor's own 24 h bound (NBI V7 9.3.5)
    has been ended by the vendor already and gets none. Ends the picked tasks timed_out (the stop's answer
    completes their message); the caller times out the rest of `overdue`."""
    picked = list(
        overdue.filter(
            state__in=DispatchTask.RUNNING_STATES,
            stop_request__isnull=True,
            job__deadline__lte=now,
        ).values_list("pk", "job_id", "vendor_account_id")
    )
    stoppable = _stoppable_job_ids(job_id for _, job_id, _ in picked)
    groups: dict[tuple[int, int, int | None], list[int]] = defaultdict(list)
    for pk, job_id, account_id in picked:
        if job_id in stoppable:
            groups[(job_id, account_id, None)].append(pk)
    stops = stops_create(groups)
    DispatchTask.objects.filter(
        pk__in=[pk for pks in groups.values() for pk in pks], state__in=DispatchTask.RUNNING_STATES
    ).update(
        state=DispatchTask.State.TIMED_OUT,
        finished_at=now,
        next_poll_at=None,
        vendor_message="no result before the deadline; stopping it",
    )
    return stops


def stops_create(groups: dict[tuple[int, int, int | None], list[int]]) -> dict[int, VendorRequest]:
    """One stop request per (job, account, command request to wait for) and vendor batch of tasks; the
    tasks point at it. Returns the last stop request per vendor account."""
    accounts = VendorAccount.objects.in_bulk(list({account_id for _, account_id, _ in groups}))
    last: dict[int, VendorRequest] = {}
    for (job_id, account_id, after_id), pks in groups.items():
        adapter = adapter_for(accounts[account_id])
        for chunk in per_request(adapter, CommandKind.CHARGE_DISCHARGE, pks):
            stop = VendorRequest.objects.create(
                job_id=job_id,
                vendor_account_id=account_id,
                purpose=VendorRequest.Purpose.STOP,
                request_id=new_request_id(),
                after_id=after_id,
            )
            DispatchTask.objects.filter(pk__in=chunk, stop_request__isnull=True).update(stop_request=stop)
            last[account_id] = stop
    return last
