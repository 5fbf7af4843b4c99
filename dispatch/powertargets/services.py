"""Plan a power target (dry run) and create one: a dispatch job whose requests carry the plan.

A power target is a charge/discharge job (so conflicts, deadline, cancel and both vendors work as for
any other) whose vendor requests each carry their own command: the plan's power and duration for the
plants of that request (e.g. one power for up to 100 plants, NBI V7 9.3.4), sent not before the
plan's time for it. The job, its tasks, its requests, the PowerTarget and every plant's allocation are
written in one transaction, as dispatch.services does for every job.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from dispatch.engine.codec import command_to_json
from dispatch.engine.stops import new_request_id
from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from dispatch.planning import Plan, Target, fleet_max_kw, plan_power_target
from dispatch.planning.plan import has_battery
from dispatch.powertargets.models import PowerTarget, PowerTargetPlant
from dispatch.powertargets.selectors import plant_states, vendor_profiles
from dispatch.services import _target_plants, dispatch_job_create
from fleets.adapters import adapter_for
from fleets.models import Fleet, Organization, VendorAccount
from vendors import base
from vendors.base import CommandKind
from vendors.batching import per_request
from vpp.errors import DomainError


def power_target_plan(
    *,
    organization: Organization,
    params: dict,
    fleet: Fleet | None = None,
    plant_ids: list[int] | None = None,
    start_at: datetime | None = None,
    now: datetime | None = None,
) -> Plan:
    """The plan for a validated `power_target` params over the fleet (or plants); reads, writes nothing.

    A fleet without batteries, or a power above what every battery of it could ever give together, is a
    400 naming the field. A power above what is available now is planned with a warning.
    """
    now = now or timezone.now()
    states, profiles = power_target_check(
        organization=organization, params=params, fleet=fleet, plant_ids=plant_ids, now=now
    )
    speeds = {p.clock_speed for p in profiles.values()}
    target = Target(
        direction=params["direction"],
        power_kw=params["power_kw"],
        duration_min=params["duration_min"],
        start_at=max(start_at or now, now),
        now=now,
        soc_floor_pct=params.get("soc_floor_pct", 0.0),
        soc_ceiling_pct=params.get("soc_ceiling_pct", 100.0),
        clock_speed=max(speeds) if speeds else 1.0,
    )
    return plan_power_target(target, states, profiles)


def power_target_check(
    *,
    organization: Organization,
    params: dict,
    fleet: Fleet | None = None,
    plant_ids: list[int] | None = None,
    now: datetime | None = None,
):
    """The checks of a `power_target` against its fleet, as DomainError naming the field (a 400): a fleet
    without batteries (`fleet` or `plants`), a power above what every battery of it could ever give
    together (`params.power_kw`). Neither depends on telemetry, so a campaign is checked the same way
    when it is saved (dispatch.campaigns). Returns the plants' states and the vendors' profiles."""
    targets = _target_plants(organization=organization, fleet=fleet, plant_ids=plant_ids)
    states = plant_states(plant_ids=[pk for pk, _ in targets], now=now or timezone.now())
    profiles = vendor_profiles(account_ids={account for _, account in targets})
    where = "fleet" if fleet is not None else "plants"
    if not any(has_battery(s) for s in states):
        raise DomainError("no_battery", "No plant of this fleet has a battery.", field=where)
    direction = params["direction"]
    ceiling_kw = fleet_max_kw(states, direction, profiles)
    if params["power_kw"] > ceiling_kw:
        raise DomainError(
            "above_fleet_max",
            f"{params['power_kw']:g} kW is more than this fleet could ever {direction} "
            f"({ceiling_kw:.1f} kW: every battery at its maximum).",
            field="params.power_kw",
        )
    return states, profiles


def plan_to_json(plan: Plan, *, with_allocations: bool = True) -> dict:
    t = plan.target
    above = "floor" if t.direction == "discharge" else "ceiling"
    out = {
        "summary": {
            "direction": t.direction,
            "target_kw": t.power_kw,
            "planned_kw": round(plan.planned_kw, 3),
            "available_kw": round(plan.available_kw, 3),
            f"energy_{'above_floor' if above == 'floor' else 'below_ceiling'}_kwh": round(
                plan.energy_headroom_kwh, 3
            ),
            "window_start": t.start_at.isoformat(),
            "window_end": plan.intervals[-1].end.isoformat() if plan.intervals else t.start_at.isoformat(),
            "ramp_end": plan.ramp_end.isoformat() if plan.ramp_end else None,
            "plants_allocated": len(plan.allocations),
            "plants_excluded": len(plan.excluded),
            "excluded_by_reason": dict(Counter(e.reason for e in plan.excluded)),
            "requests": len(plan.requests),
        },
        "intervals": [
            {
                "start": i.start.isoformat(),
                "end": i.end.isoformat(),
                "target_kw": i.target_kw,
                "planned_kw": round(i.planned_kw, 3),
            }
            for i in plan.intervals
        ],
        "excluded": [{"plant": e.plant_id, "reason": e.reason, "message": e.message} for e in plan.excluded],
        "warnings": list(plan.warnings),
    }
    if with_allocations:
        out["allocations"] = [
            {
                "plant": a.plant_id,
                "vendor": a.vendor,
                "power_kw": round(a.power_kw, 3),
                "command_power_w": a.command_power_w,
                "duration_min": a.duration_min,
                "send_at": a.send_at.isoformat(),
                "eta": a.eta.isoformat(),
                "energy_headroom_kwh": round(a.energy_headroom_kwh, 3),
            }
            for a in plan.allocations
        ]
    return out


def _plan_batches(plan: Plan):
    """dispatch_job_create's batches: one VendorRequest per planned request, with its own command."""

    def build(job: DispatchJob, targets, *, now):
        requests: list[VendorRequest] = []
        tasks: list[DispatchTask] = []
        for planned in sorted(plan.requests, key=lambda r: (r.send_at, r.account_id)):
            command = base.ChargeDischarge(
                action=plan.target.direction,
                control="duration",
                duration_min=planned.duration_min,
                power_w=planned.command_power_w,
                window_start=planned.window_start,
            )
            request = VendorRequest(
                job=job,
                vendor_account_id=planned.account_id,
                purpose=VendorRequest.Purpose.COMMAND,
                request_id=new_request_id(),
                not_before=planned.send_at,
                command=command_to_json(command),
            )
            requests.append(request)
            tasks += [
                DispatchTask(
                    job=job,
                    plant_id=pk,
                    vendor_account_id=planned.account_id,
                    request=request,
                    timeout_at=job.deadline,
                )
                for pk in planned.plant_ids
            ]
        return requests, tasks

    return build


@transaction.atomic
def power_target_create(
    *,
    organization: Organization,
    created_by,
    params: dict,
    command: base.ChargeDischarge,
    fleet: Fleet | None = None,
    plant_ids: list[int] | None = None,
    start_at: datetime | None = None,
    deadline: datetime | None = None,
    idempotency_key: str | None = None,
    request_fingerprint: str | None = None,
    on_conflict: str = DispatchJob.OnConflict.REJECT,
) -> tuple[DispatchJob, bool]:
    """Plan, then create the job with the plan's requests and store the plan beside it.

    The job's tasks are the allocated plants only; the ones left out are in the stored plan with their
    reason. Its start_at is when the fan-out begins (the first request may go before the window: a
    power-settable command acts at once, so requests are spread around the window's start).
    """
    now = timezone.now()
    plan = power_target_plan(
        organization=organization, params=params, fleet=fleet, plant_ids=plant_ids, start_at=start_at, now=now
    )
    if not plan.allocations:
        reasons = ", ".join(f"{n} {reason}" for reason, n in Counter(e.reason for e in plan.excluded).items())
        raise DomainError(
            "nothing_to_plan", f"No plant can take part ({reasons}).", field="fleet" if fleet else "plants"
        )
    first_send = min(r.send_at for r in plan.requests)
    job, created = dispatch_job_create(
        organization=organization,
        created_by=created_by,
        command_kind=CommandKind.CHARGE_DISCHARGE,
        params=params,
        command=command,
        plant_ids=sorted(a.plant_id for a in plan.allocations),
        start_at=first_send if first_send > now else None,
        deadline=deadline,
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint,
        on_conflict=on_conflict,
        batches=_plan_batches(plan),
    )
    if not created:
        return job, False
    if fleet is not None:
        DispatchJob.objects.filter(pk=job.pk).update(fleet=fleet)
        job.fleet = fleet
    target = PowerTarget.objects.create(
        job=job,
        direction=plan.target.direction,
        power_kw=plan.target.power_kw,
        duration_min=plan.target.duration_min,
        soc_floor_pct=plan.target.soc_floor_pct,
        soc_ceiling_pct=plan.target.soc_ceiling_pct,
        window_start=plan.target.start_at,
        window_end=plan.intervals[-1].end,
        clock_speed=plan.target.clock_speed,
        plan=plan_to_json(plan, with_allocations=False),
    )
    task_of = dict(DispatchTask.objects.filter(job=job).values_list("plant_id", "pk"))
    PowerTargetPlant.objects.bulk_create(
        [
            PowerTargetPlant(
                target=target,
                plant_id=a.plant_id,
                task_id=task_of.get(a.plant_id),
                allocated_kw=a.power_kw,
                command_power_w=a.command_power_w,
                duration_min=a.duration_min,
                send_at=a.send_at,
                eta=a.eta,
                energy_headroom_kwh=a.energy_headroom_kwh,
            )
            for a in plan.allocations
        ],
        batch_size=2000,
    )
    return job, True


def dry_run_conflicts(
    *, plant_ids: list[int], command_kind: str, on_conflict: str, stop: bool = False
) -> dict:
    """What the real dispatch would hit on these plants, read only: their open tasks of a conflicting kind
    (dispatch.kinds.conflicting) and what the dispatch would do about them. `reject` answers 409 and
    writes nothing, `replace` stops and cancels those tasks first; a stop supersedes them."""
    from dispatch.services import MAX_LISTED_IDS, _conflicting_tasks

    rows = list(
        _conflicting_tasks(plant_ids, command_kind)
        .order_by("plant_id", "pk")
        .values_list("plant_id", "job_id", "pk", "state")
    )
    plants = sorted({plant for plant, _, _, _ in rows})
    if stop:
        effect = "superseded"
        message = f"{len(plants)} plants have open tasks this stop would end."
    elif on_conflict == DispatchJob.OnConflict.REPLACE:
        effect = "replaced"
        message = f"{len(plants)} plants have a conflicting task: it would be stopped and cancelled first."
    else:
        effect = "rejected"
        message = (
            f"{len(plants)} plants have a conflicting task in progress: the dispatch would be refused (409). "
            "Send on_conflict=replace to stop and replace them."
        )
    return {
        "plants": len(plants),
        "on_conflict": on_conflict,
        "effect": effect if plants else None,
        "message": message if plants else "",
        "tasks": [
            {"plant": plant, "job": job, "task": task, "state": state}
            for plant, job, task, state in rows[:MAX_LISTED_IDS]
        ],
    }


def command_dry_run(
    *,
    organization: Organization,
    command_kind: str,
    fleet: Fleet | None = None,
    plant_ids: list[int] | None = None,
    start_at: datetime | None = None,
    now: datetime | None = None,
) -> dict:
    """What a plain command would do, sending nothing: per plant when its request is expected to go (each
    account's requests in order, one per the account's command interval: e.g. once a minute, NBI V7
    9.3.4-9.3.8, which is conservative for DRM and default settings at 10 a minute), and which plants
    cannot take it (their vendor cannot, or their account is disabled)."""
    now = now or timezone.now()
    start = max(start_at or now, now)
    targets = _target_plants(organization=organization, fleet=fleet, plant_ids=plant_ids)
    by_account: dict[int, list[int]] = defaultdict(list)
    for pk, account_id in targets:
        by_account[account_id].append(pk)
    kind = CommandKind(command_kind)
    accounts = VendorAccount.objects.in_bulk(list(by_account))
    eta: list[dict] = []
    unsupported: list[dict] = []
    requests = 0
    for account_id, pks in sorted(by_account.items()):
        account = accounts[account_id]
        if not account.enabled:
            unsupported += [{"plant": pk, "reason": "account_disabled"} for pk in pks]
            continue
        adapter = adapter_for(account)
        if not adapter.supports(kind):
            unsupported += [{"plant": pk, "reason": "unsupported"} for pk in pks]
            continue
        interval_s = getattr(adapter, "charge_interval_s", 0.0) if adapter.parallel_requests == 1 else 0.0
        step = timedelta(seconds=interval_s / max(account.clock_speed, 1e-9))
        for k, batch in enumerate(per_request(adapter, kind, pks)):
            requests += 1
            at = (start + k * step).isoformat()
            eta += [{"plant": pk, "vendor": account.vendor, "eta": at} for pk in batch]
    eta.sort(key=lambda row: row["plant"])
    return {
        "summary": {
            "plants": len(targets),
            "plants_reached": len(eta),
            "plants_unsupported": len(unsupported),
            "requests": requests,
            "last_eta": max((row["eta"] for row in eta), default=None),
        },
        "eta": eta,
        "unsupported": sorted(unsupported, key=lambda row: row["plant"]),
    }
