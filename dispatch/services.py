"""Functions that change dispatch jobs (Django-Styleguide services): create, cancel, retry.

A job, every one of its per-plant tasks and every vendor request batch are written in ONE transaction
before anything is sent; Celery is told only after the commit (`transaction.on_commit`) and only primary
keys, and a lost message is found again by the sweep (DESIGN.md "The database is the source of truth").
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dispatch import kinds
from dispatch.engine.codec import command_to_json, is_stop
from dispatch.engine.finish import job_finish_if_done
from dispatch.engine.kick import kick_send
from dispatch.engine.stops import new_request_id, tasks_stop
from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from fleets.adapters import adapter_for
from fleets.models import Fleet, Organization, Plant, VendorAccount
from vendors import base
from vendors.base import CommandKind
from vendors.batching import per_request
from vpp.errors import DomainError
from webhooks import hooks as webhook_hooks

T = DispatchTask.State

MAX_LISTED_IDS = 50


def dispatch_request_fingerprint(
    *,
    command_kind: str,
    params: dict,
    fleet_id: int | None = None,
    plant_ids: list[int] | None = None,
    start_at: datetime | None = None,
    deadline: datetime | None = None,
    on_conflict: str = DispatchJob.OnConflict.REJECT,
) -> str:
    """What makes two requests "the same" for an Idempotency-Key: a sha256 of the canonical request."""
    canonical = json.dumps(
        {
            "command_kind": command_kind,
            "params": params,
            "fleet": fleet_id,
            "plants": sorted(plant_ids) if plant_ids is not None else None,
            "start_at": start_at.isoformat() if start_at else None,
            "deadline": deadline.isoformat() if deadline else None,
            "on_conflict": on_conflict,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _ids(ids) -> str:
    ids = sorted(ids)
    shown = ", ".join(str(i) for i in ids[:MAX_LISTED_IDS])
    return shown + (f" and {len(ids) - MAX_LISTED_IDS} more" if len(ids) > MAX_LISTED_IDS else "")


def _check_arguments(
    *, organization, command_kind, command, fleet, plant_ids, start_at, deadline, on_conflict
):
    if kinds.find(command_kind) is None:
        raise DomainError("invalid_choice", f"Unknown command kind {command_kind!r}.", field="command_kind")
    if getattr(command, "kind", None) != command_kind:
        raise DomainError("invalid", "The command does not match command_kind.", field="command_kind")
    if on_conflict not in DispatchJob.OnConflict.values:
        raise DomainError("invalid_choice", "on_conflict must be 'reject' or 'replace'.", field="on_conflict")
    if fleet is None and plant_ids is None:
        raise DomainError("required", "Give a fleet or a list of plant ids to dispatch.", field="plants")
    if fleet is not None and plant_ids is not None:
        raise DomainError("invalid", "Give a fleet or a list of plant ids, not both.", field="plants")
    if fleet is not None and fleet.organization_id != organization.pk:
        raise DomainError("not_found", "No such fleet.", field="fleet", http_status=404)
    now = timezone.now()
    if deadline is not None and deadline <= now:
        raise DomainError("in_past", "The deadline must be in the future.", field="deadline")
    if deadline is not None and start_at is not None and start_at >= deadline:
        raise DomainError("after_deadline", "start_at must be before the deadline.", field="start_at")


def _target_plants(*, organization, fleet, plant_ids) -> list[tuple[int, int]]:
    """(plant id, vendor account id) of every target, in plant order. Only ids: a 10,000-plant job must
    not build 10,000 model instances (nor decrypt their account's secret 10,000 times)."""
    if fleet is not None:
        try:
            from fleets.selectors import fleet_plants
        except ImportError:  # pragma: no cover - before fleets.selectors existed
            plants_qs = fleet.plants.filter(state=Plant.State.ACTIVE)
        else:
            plants_qs = fleet_plants(fleet)
        targets = list(plants_qs.order_by("pk").values_list("pk", "vendor_account_id"))
        if not targets:
            raise DomainError("empty", "The fleet has no active plants to dispatch.", field="plants")
        return targets
    wanted = set(plant_ids)
    if not wanted:
        raise DomainError("empty", "The list of plants is empty.", field="plants")
    rows = list(
        Plant.objects.filter(organization=organization, pk__in=wanted)
        .order_by("pk")
        .values_list("pk", "vendor_account_id", "state")
    )
    missing = wanted - {pk for pk, _, _ in rows}
    if missing:  # another organisation's plants are "not found", never "forbidden"
        raise DomainError("not_found", f"No such plants: {_ids(missing)}.", field="plants", http_status=404)
    inactive = [pk for pk, _, state in rows if state != Plant.State.ACTIVE]
    if inactive:
        raise DomainError("inactive", f"These plants are not active: {_ids(inactive)}.", field="plants")
    return [(pk, account_id) for pk, account_id, _ in rows]


def _conflicting_tasks(plant_ids: list[int], command_kind: str):
    """Open tasks on these plants that a new command of this kind must not run beside: of the same kind,
    or of one its declaration names as conflicting (dispatch.kinds, e.g. charge/discharge and a raw storage
    setting, which both drive the battery's schedule)."""
    return DispatchTask.objects.filter(
        plant_id__in=plant_ids,
        state__in=DispatchTask.OPEN_STATES,
        job__command_kind__in=kinds.conflicting(command_kind),
    )


@transaction.atomic
def dispatch_job_create(
    *,
    organization: Organization,
    created_by,
    command_kind: str,
    params: dict,
    command: base.Command,
    fleet: Fleet | None = None,
    plant_ids: list[int] | None = None,
    start_at: datetime | None = None,
    deadline: datetime | None = None,
    idempotency_key: str | None = None,
    request_fingerprint: str | None = None,
    on_conflict: str = DispatchJob.OnConflict.REJECT,
    batches: Callable | None = None,
) -> tuple[DispatchJob, bool]:
    """Create a job, its tasks and its vendor request batches; returns (job, created).

    `batches(job, targets, now=...)` builds the (requests, tasks) instead of the default batching: a power
    target's requests each carry their own command (dispatch.powertargets).

    created is False when `idempotency_key` names a job of the same request (same fingerprint); the same
    key with a different request is a 422 naming Idempotency-Key. A plant with an open task of a
    conflicting kind gets no second command: `on_conflict="reject"` answers 409 listing those plants and
    writes nothing; "replace" stops and cancels the old tasks first.
    """
    _check_arguments(
        organization=organization,
        command_kind=command_kind,
        command=command,
        fleet=fleet,
        plant_ids=plant_ids,
        start_at=start_at,
        deadline=deadline,
        on_conflict=on_conflict,
    )
    fingerprint = request_fingerprint or dispatch_request_fingerprint(
        command_kind=command_kind,
        params=params,
        fleet_id=fleet.pk if fleet else None,
        plant_ids=plant_ids,
        start_at=start_at,
        deadline=deadline,
        on_conflict=on_conflict,
    )
    # One creator at a time per organisation: conflict and idempotency checks then see every earlier job.
    Organization.objects.select_for_update().filter(pk=organization.pk).exists()
    if idempotency_key:
        existing = DispatchJob.objects.filter(
            organization=organization, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            if existing.request_fingerprint != fingerprint:
                raise DomainError(
                    "idempotency_key_reused",
                    "This Idempotency-Key was used for a different request.",
                    field="Idempotency-Key",
                    http_status=422,
                )
            return existing, False
    targets = _target_plants(organization=organization, fleet=fleet, plant_ids=plant_ids)
    conflicting = _conflicting_tasks([pk for pk, _ in targets], command_kind)
    if is_stop(command):
        # A stop is itself what ends the running tasks: they are superseded, not in conflict.
        conflicting.filter(state=T.PENDING).update(
            state=T.CANCELLED, finished_at=timezone.now(), vendor_message="superseded by a stop"
        )
    elif on_conflict == DispatchJob.OnConflict.REJECT:
        busy = set(conflicting.values_list("plant_id", flat=True))
        if busy:
            raise DomainError(
                "conflict",
                f"These plants have a conflicting task in progress: {_ids(busy)}. "
                "Send on_conflict=replace to stop and replace it.",
                field="plants",
                http_status=409,
            )
    else:
        old = list(conflicting.values_list("pk", "job_id"))
        # The stops go first: on an account no command overtakes an earlier stop (engine.claim.due_requests).
        tasks_stop(task_ids=[pk for pk, _ in old], reason="replaced by a newer job")
        old_jobs = {job_id for _, job_id in old}
        transaction.on_commit(lambda: [job_finish_if_done(j) for j in old_jobs])

    now = timezone.now()
    scheduled = start_at is not None and start_at > now
    job = DispatchJob.objects.create(
        organization=organization,
        created_by=created_by,
        command_kind=command_kind,
        params=params,
        command=command_to_json(command),
        fleet=fleet,
        start_at=start_at,
        deadline=deadline,
        idempotency_key=idempotency_key or None,
        request_fingerprint=fingerprint,
        on_conflict=on_conflict,
        state=DispatchJob.State.SCHEDULED if scheduled else DispatchJob.State.RUNNING,
        started_at=None if scheduled else now,
        task_count=len(targets),
    )
    requests, tasks = (batches or _batches)(job, targets, now=now)
    VendorRequest.objects.bulk_create(requests, batch_size=1000)
    DispatchTask.objects.bulk_create(tasks, batch_size=2000)
    webhook_hooks.job_created(job.pk)
    webhook_hooks.tasks_failed(DispatchTask.objects.filter(job=job, state=T.FAILED))  # disabled accounts
    if not requests:  # nothing any vendor can do: the job is over already
        job_finish_if_done(job.pk)
        job.refresh_from_db()
    accounts = {r.vendor_account_id for r in requests}
    transaction.on_commit(lambda: kick_send(accounts))
    return job, True


def _batches(job: DispatchJob, targets: list[tuple[int, int]], *, now):
    """Tasks for every plant; requests per vendor account of at most max_targets_per_request plants."""
    kind = CommandKind(job.command_kind)
    by_account: dict[int, list[int]] = defaultdict(list)
    for plant_id, account_id in targets:
        by_account[account_id].append(plant_id)
    accounts = VendorAccount.objects.in_bulk(list(by_account))
    requests: list[VendorRequest] = []
    tasks: list[DispatchTask] = []
    for account_id, plant_ids in by_account.items():
        account = accounts[account_id]

        def ended(plant_id, state, code, message, account_id=account_id):
            return DispatchTask(
                job=job, plant_id=plant_id, vendor_account_id=account_id, state=state, vendor_code=code,
                vendor_message=message, finished_at=now,
            )  # fmt: skip

        if not account.enabled:
            message = "The vendor account is disabled."
            tasks += [ended(pk, T.FAILED, "account_disabled", message) for pk in plant_ids]
            continue
        adapter = adapter_for(account)  # builds the adapter object only: no HTTP inside this transaction
        if not adapter.supports(kind):
            message = f"{account.vendor_label} cannot do {kind.value}."
            tasks += [ended(pk, T.UNSUPPORTED, "unsupported", message) for pk in plant_ids]
            continue
        for batch in per_request(adapter, kind, plant_ids):
            request = VendorRequest(
                job=job,
                vendor_account_id=account_id,
                purpose=VendorRequest.Purpose.COMMAND,
                request_id=new_request_id(),
                not_before=job.start_at,
            )
            requests.append(request)
            tasks += [
                DispatchTask(
                    job=job,
                    plant_id=pk,
                    vendor_account_id=account_id,
                    request=request,
                    timeout_at=job.deadline,
                )
                for pk in batch
            ]
    return requests, tasks


@transaction.atomic
def dispatch_job_cancel(*, job: DispatchJob, by) -> DispatchJob:
    """Stop what can be stopped (a stop request for charge/discharge tasks the vendor has or may have: one
    in flight is stopped once its answer is in), cancel what was not sent yet; instant settings already
    applied or in flight end as they end."""
    job = DispatchJob.objects.select_for_update().get(pk=job.pk)
    if job.state not in DispatchJob.OPEN_STATES:
        raise DomainError("finished", f"The job has already finished ({job.state}).", http_status=409)
    now = timezone.now()
    if job.cancel_requested_at is None:
        DispatchJob.objects.filter(pk=job.pk, cancel_requested_at__isnull=True).update(
            cancel_requested_at=now, cancelled_by=by
        )
    stops = tasks_stop(job_ids=[job.pk], reason="cancelled")
    # Requests with nothing left to send are cancelled; one whose tasks are in flight (or reclaimed after a
    # crash: the vendor may have them) is sent, and what it starts is stopped right after.
    VendorRequest.objects.filter(
        job=job, state=VendorRequest.State.PENDING, purpose=VendorRequest.Purpose.COMMAND
    ).exclude(tasks__state__in=(T.PENDING, T.SENDING)).update(state=VendorRequest.State.CANCELLED)
    job_finish_if_done(job.pk)
    transaction.on_commit(lambda: kick_send(stops))
    job.refresh_from_db()
    return job


@transaction.atomic
def dispatch_tasks_retry(*, job: DispatchJob, by, states: tuple[str, ...] = (T.FAILED,)) -> int:
    """Send the job's failed tasks again, under NEW request identities (the old ones are spent).

    Returns how many tasks were queued again; the job is running again until they end.
    """
    job = DispatchJob.objects.select_for_update().get(pk=job.pk)
    if job.cancel_requested_at is not None:
        raise DomainError("cancelled", "A cancelled job cannot be retried.", http_status=409)
    if job.deadline is not None and job.deadline <= timezone.now():
        raise DomainError(
            "deadline_passed", "The job's deadline has passed.", field="deadline", http_status=409
        )
    picked = list(DispatchTask.objects.filter(job=job, state__in=states).order_by("pk"))
    if not picked:
        return 0
    busy = set(
        _conflicting_tasks([t.plant_id for t in picked], job.command_kind)
        .exclude(job=job)
        .values_list("plant_id", flat=True)
    )
    if busy:
        raise DomainError(
            "conflict", f"These plants have a conflicting task in progress: {_ids(busy)}.", field="plants",
            http_status=409,
        )  # fmt: skip
    kind = CommandKind(job.command_kind)
    by_account: dict[int, list[DispatchTask]] = defaultdict(list)
    for task in picked:
        by_account[task.vendor_account_id].append(task)
    accounts = VendorAccount.objects.in_bulk(list(by_account))
    count = 0
    for account_id, account_tasks in by_account.items():
        for chunk in per_request(adapter_for(accounts[account_id]), kind, account_tasks):
            request = VendorRequest.objects.create(
                job=job, vendor_account_id=account_id, request_id=new_request_id(), not_before=job.start_at
            )
            count += DispatchTask.objects.filter(pk__in=[t.pk for t in chunk], state__in=states).update(
                state=T.PENDING, request=request, stop_request=None, remote_id="", vendor_code="",
                vendor_message="", charged_kwh=None, discharged_kwh=None, exec_start=None, exec_end=None,
                sent_at=None, next_poll_at=None, expected_done_at=None, timeout_at=job.deadline,
                finished_at=None, attempts=F("attempts") + 1,
            )  # fmt: skip
    DispatchJob.objects.filter(pk=job.pk).update(
        state=DispatchJob.State.RUNNING, finished_at=None, charged_kwh=None, discharged_kwh=None
    )
    webhook_hooks.job_state_changed(job.pk, previous=job.state, current=DispatchJob.State.RUNNING)
    transaction.on_commit(lambda: kick_send(set(by_account)))
    return count
