"""`plan_power_target`: the policy of dispatch/planning/__init__.py, step by step."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from dispatch.planning.model import (
    INTERVAL_S,
    STALE_AFTER_S,
    Allocation,
    Excluded,
    Interval,
    Plan,
    PlannedRequest,
    PlantState,
    Target,
    VendorProfile,
)

MIN_PLANT_KW = 0.05  # below this a plant's part is noise in its own telemetry: not worth a command slot
MAX_DURATION_MIN = 1440  # NBI V7 9.3.4 dispatchTime [0,1440]; a daily window is at most a day
SHORTFALL_TOLERANCE = 0.005  # a plan within 0.5 % of the target is "meeting" it (integer watts, rounding)


def plant_limit_kw(plant: PlantState, direction: str) -> float | None:
    """The most the plant can move: battery charge / discharge limit and inverter rating, the smaller."""
    battery = plant.max_discharge_kw if direction == "discharge" else plant.max_charge_kw
    limits = [x for x in (battery, plant.inverter_kw) if x is not None and x > 0]
    return min(limits) if limits else None


def has_battery(plant: PlantState) -> bool:
    return plant.usable_kwh is not None and plant.usable_kwh > 0


def fleet_max_kw(
    plants: list[PlantState], direction: str, profiles: Mapping[int | str, VendorProfile]
) -> float:
    """What the whole fleet could ever give that way: every battery at its limit, whatever its SOC."""
    total = 0.0
    for plant in plants:
        profile = profiles.get(plant.account_id) or profiles.get(plant.vendor)
        if profile is None or not profile.supported or not has_battery(plant):
            continue
        total += plant_limit_kw(plant, direction) or 0.0
    return total


def headroom_kwh(plant: PlantState, target: Target) -> float:
    """Energy the plant may move before it reaches the floor (discharge) or the ceiling (charge)."""
    assert plant.soc_pct is not None and plant.usable_kwh is not None
    if target.direction == "discharge":
        swing = plant.soc_pct - target.soc_floor_pct
    else:
        swing = target.soc_ceiling_pct - plant.soc_pct
    return max(swing, 0.0) / 100.0 * plant.usable_kwh


@dataclass
class _Candidate:
    plant: PlantState
    profile: VendorProfile
    limit_kw: float
    headroom_kwh: float
    sustainable_kw: float = 0.0


def _classify(
    target: Target, plants: list[PlantState], profiles: Mapping[int | str, VendorProfile]
) -> tuple[list[_Candidate], list[Excluded]]:
    eligible: list[_Candidate] = []
    excluded: list[Excluded] = []
    bound = "floor" if target.direction == "discharge" else "ceiling"
    for plant in plants:
        profile = profiles.get(plant.account_id) or profiles.get(plant.vendor)

        def out(reason: str, message: str, plant=plant) -> None:
            excluded.append(Excluded(plant.plant_id, reason, message))

        if profile is not None and profile.unavailable is not None:
            out(*profile.unavailable)
            continue
        if profile is None or not profile.supported:
            out("unsupported", f"The plant's vendor ({plant.vendor}) cannot do a charge or discharge.")
            continue
        if not has_battery(plant):
            out("no_battery", "The plant has no battery (no usable capacity recorded).")
            continue
        limit = plant_limit_kw(plant, target.direction)
        if limit is None:
            out("no_rated_power", f"No maximum {target.direction} power nor inverter rating recorded.")
            continue
        if plant.soc_pct is None:
            out("no_telemetry", "No SOC reading yet: its headroom is unknown.")
            continue
        room = headroom_kwh(plant, target)
        if room <= 0:
            level = target.soc_floor_pct if target.direction == "discharge" else target.soc_ceiling_pct
            out(f"at_{bound}", f"SOC {plant.soc_pct:g} % is already at or past the {bound} of {level:g} %.")
            continue
        eligible.append(_Candidate(plant, profile, limit, room))
    return eligible, excluded


def _group_capacity(members: list[_Candidate], level_kw: float) -> float:
    """What one request at `level_kw` gives: the vendor clamps each plant to its own limit (NBI V7 9.3.4)."""
    return sum(min(level_kw, c.limit_kw) for c in members)


def _group_cap_kw(members: list[_Candidate]) -> float:
    """The highest level one request may carry so that no plant in it outruns its headroom."""
    cap = max(c.limit_kw for c in members)
    for c in members:
        if c.sustainable_kw < c.limit_kw:  # energy-limited: it takes the level as it is, unclamped
            cap = min(cap, c.sustainable_kw)
    return cap


def _fits(c: _Candidate, level_kw: float) -> bool:
    """At `level_kw` the vendor runs the plant at min(level, its limit): its headroom must hold that."""
    return c.sustainable_kw >= min(level_kw, c.limit_kw) - 1e-12


def _requests(pool: list[_Candidate], size: int) -> list[list[_Candidate]]:
    """Cut an account's plants into requests of at most `size` sharing one level each.

    One low-headroom plant must not drag a whole request's level down: each request takes the best of
    the next `size` plants (by sustainable power) at the level that gives the most, and the plants that
    level would overrun go back to the pool for a later, lower request."""
    pool = sorted(pool, key=lambda c: (-c.sustainable_kw, c.plant.plant_id))
    out: list[list[_Candidate]] = []
    while pool:
        chunk = pool[:size]
        # Candidate levels: the chunk's sustainable powers at every tenth place (it is sorted), and its
        # largest limit; the best of a dozen is within a few percent of the best of all, at a tenth the cost.
        levels = {c.sustainable_kw for c in chunk[:: max(1, len(chunk) // 10)]}
        levels |= {chunk[-1].sustainable_kw, max(c.limit_kw for c in chunk)}

        def capacity(level: float, chunk=chunk) -> float:
            return sum(min(level, c.limit_kw) for c in chunk if _fits(c, level))

        best = max(sorted(levels), key=capacity)
        members = [c for c in chunk if _fits(c, best)]
        later = [c for c in chunk if not _fits(c, best)]
        out.append(members)
        pool = sorted(later + pool[size:], key=lambda c: (-c.sustainable_kw, c.plant.plant_id))
    return out


def _level_for(members: list[_Candidate], wanted_kw: float, cap_kw: float) -> float:
    """The level in (0, cap] at which the request gives `wanted_kw` (monotone: bisection)."""
    low, high = 0.0, cap_kw
    for _ in range(60):
        mid = (low + high) / 2
        if _group_capacity(members, mid) < wanted_kw:
            low = mid
        else:
            high = mid
    return high


def plan_power_target(
    target: Target, plants: list[PlantState], profiles: Mapping[int | str, VendorProfile]
) -> Plan:
    """The plan for `target` over `plants` (see the module docstring of dispatch.planning).

    `profiles` maps an account id (or, for every account of it, a vendor name) to what its vendor allows.
    """
    speed = max(target.clock_speed, 1e-9)
    window = timedelta(seconds=target.duration_min * 60 / speed)
    end = target.start_at + window
    eligible, excluded = _classify(target, plants, profiles)

    fixed_rate = [c for c in eligible if not c.profile.power_settable]
    settable = [c for c in eligible if c.profile.power_settable]

    # --- fixed-rate plants: all or nothing, and only if they last the whole window -----------
    usable_fixed: list[_Candidate] = []
    for c in fixed_rate:
        if c.headroom_kwh >= c.limit_kw * target.duration_min / 60:
            c.sustainable_kw = c.limit_kw
            usable_fixed.append(c)
        else:
            lasts = 60 * c.headroom_kwh / c.limit_kw
            excluded.append(Excluded(
                c.plant.plant_id, "energy_limited",
                f"Runs at its own rate ({c.limit_kw:g} kW, no power setting) and would reach the limit after "
                f"{lasts:.0f} of {target.duration_min} minutes.",
            ))  # fmt: skip
    usable_fixed.sort(key=lambda c: (-c.limit_kw, c.plant.plant_id))
    chosen_fixed: list[_Candidate] = []
    rest = target.power_kw
    for c in usable_fixed:
        if c.limit_kw <= rest + 1e-9:
            chosen_fixed.append(c)
            rest -= c.limit_kw

    # --- power-settable plants: requests of up to 100 sharing one level -----------------------
    by_account: dict[int, list[_Candidate]] = defaultdict(list)
    for c in settable:
        by_account[c.plant.account_id].append(c)
    groups_by_account: dict[int, list[list[_Candidate]]] = {}
    lead_requests: dict[int, int] = {}  # how many requests of an account may go before start_at
    for account_id, members in sorted(by_account.items()):
        profile = members[0].profile
        size = max(1, profile.plants_per_request)
        n_all = math.ceil(len(members) / size)
        # A request sent early runs longer: check headroom for the longest run its account can get.
        lead_requests[account_id] = n_all // 2
        lead_min = lead_requests[account_id] * profile.request_interval_s / 60
        run_h = (target.duration_min + lead_min) / 60
        kept = []
        for c in members:
            c.sustainable_kw = min(c.limit_kw, c.headroom_kwh / run_h)
            if c.sustainable_kw < MIN_PLANT_KW:
                excluded.append(Excluded(
                    c.plant.plant_id, "too_little_headroom",
                    f"{c.headroom_kwh:.2f} kWh to its limit: under {MIN_PLANT_KW} kW over the window.",
                ))  # fmt: skip
                continue
            kept.append(c)
        groups_by_account[account_id] = _requests(kept, size)
    # Round-robin over the accounts: the quota is per account, so this reaches the target soonest.
    ordered: list[tuple[int, list[_Candidate]]] = []
    depth = max((len(g) for g in groups_by_account.values()), default=0)
    for k in range(depth):
        for account_id, groups in groups_by_account.items():
            if k < len(groups):
                ordered.append((account_id, groups[k]))
    settable_available = sum(_group_capacity(g, _group_cap_kw(g)) for _, g in ordered)

    chosen_groups: list[tuple[int, list[_Candidate], float]] = []  # account, members, level kW
    for account_id, members in ordered:
        if rest <= 1e-9:
            break
        cap = _group_cap_kw(members)
        capacity = _group_capacity(members, cap)
        if capacity <= rest + 1e-9:
            chosen_groups.append((account_id, members, cap))
            rest -= capacity
            continue
        # The last request: as few plants as reach the rest (a sensible level each), then the exact level.
        taken: list[_Candidate] = []
        for c in sorted(members, key=lambda c: (-min(c.limit_kw, cap), c.plant.plant_id)):
            taken.append(c)
            if _group_capacity(taken, _group_cap_kw(taken)) >= rest:
                break
        level = _level_for(taken, rest, _group_cap_kw(taken))
        chosen_groups.append((account_id, taken, level))
        rest = 0.0

    # A fixed-rate fleet left short by less than one plant: add the one that overshoots least, if that
    # is closer to the target than the shortfall.
    chosen_ids = {c.plant.plant_id for c in chosen_fixed}
    if rest > target.power_kw * SHORTFALL_TOLERANCE:
        spare = sorted(
            (c for c in usable_fixed if c.plant.plant_id not in chosen_ids), key=lambda c: c.limit_kw
        )
        over = next((c for c in spare if c.limit_kw >= rest), None)
        if over is not None and over.limit_kw - rest < rest:
            chosen_fixed.append(over)
            chosen_ids.add(over.plant.plant_id)
            rest -= over.limit_kw

    # --- timing ------------------------------------------------------------------------------------------
    allocations: list[Allocation] = []
    requests: list[PlannedRequest] = []
    per_account: dict[int, list[tuple[list[_Candidate], float]]] = defaultdict(list)
    for account_id, members, level in chosen_groups:
        per_account[account_id].append((members, level))
    for account_id, groups in per_account.items():
        profile = groups[0][0][0].profile
        step = timedelta(seconds=profile.request_interval_s / max(profile.clock_speed, 1e-9))
        # Half before the start, half after; never earlier than the headroom was checked for.
        early = min(len(groups) // 2, lead_requests[account_id])
        for k, (members, level) in enumerate(groups):
            send_at = max(target.start_at + (k - early) * step, target.now + k * step)
            duration = _vendor_minutes(end - send_at, profile)
            power_w = max(1, math.floor(level * 1000))  # whole watts, never above the headroom
            ids = tuple(c.plant.plant_id for c in members)
            requests.append(PlannedRequest(account_id, profile.vendor, ids, power_w, duration, send_at))
            for c in members:
                allocations.append(Allocation(
                    plant_id=c.plant.plant_id, account_id=account_id, vendor=profile.vendor,
                    power_kw=min(power_w / 1000, c.limit_kw), command_power_w=power_w, duration_min=duration,
                    send_at=send_at, eta=send_at, ends_at=end, request_index=len(requests) - 1,
                    energy_headroom_kwh=c.headroom_kwh,
                ))  # fmt: skip
    for c in sorted(chosen_fixed, key=lambda c: c.plant.plant_id):
        profile = c.profile
        lead = timedelta(seconds=profile.arm_lead_s / max(profile.clock_speed, 1e-9))
        send_at = (
            max(target.now, target.start_at - lead)
            if profile.arms_ahead
            else max(target.now, target.start_at)
        )
        eta = max(send_at, target.start_at) if profile.arms_ahead else send_at
        duration = _vendor_minutes(end - eta, profile)
        armed = eta if profile.arms_ahead and eta > send_at else None
        requests.append(
            PlannedRequest(
                c.plant.account_id, profile.vendor, (c.plant.plant_id,), None, duration, send_at, armed
            )
        )
        allocations.append(Allocation(
            plant_id=c.plant.plant_id, account_id=c.plant.account_id, vendor=profile.vendor,
            power_kw=c.limit_kw, command_power_w=None, duration_min=duration, send_at=send_at, eta=eta,
            ends_at=end, request_index=len(requests) - 1, energy_headroom_kwh=c.headroom_kwh,
        ))  # fmt: skip

    chosen_all = {a.plant_id for a in allocations}
    for c in [*usable_fixed, *(c for _, g in ordered for c in g)]:
        if c.plant.plant_id not in chosen_all:
            message = "The target is met without it: kept in reserve for shortfalls."
            excluded.append(Excluded(c.plant.plant_id, "not_needed", message))

    planned_kw = sum(a.power_kw for a in allocations)
    available_kw = sum(c.limit_kw for c in usable_fixed) + settable_available
    intervals = _curve(target, allocations, end)
    ramp_end = max((a.eta for a in allocations), default=None)
    warnings = _warnings(target, plants, allocations, planned_kw, available_kw, ramp_end)
    return Plan(
        target=target,
        allocations=tuple(sorted(allocations, key=lambda a: a.plant_id)),
        excluded=tuple(sorted(excluded, key=lambda e: e.plant_id)),
        requests=tuple(requests),
        intervals=intervals,
        planned_kw=planned_kw,
        available_kw=available_kw,
        energy_headroom_kwh=sum(c.headroom_kwh for c in eligible),
        ramp_end=ramp_end,
        warnings=warnings,
    )


def _vendor_minutes(span: timedelta, profile: VendorProfile) -> int:
    minutes = math.ceil(round(span.total_seconds() * profile.clock_speed / 60, 6))
    return min(max(minutes, 1), MAX_DURATION_MIN)


def _curve(target: Target, allocations: list[Allocation], end: datetime) -> tuple[Interval, ...]:
    """Expected fleet power per 5-minute interval: each plant counted from its ETA to its end."""
    step = timedelta(seconds=INTERVAL_S / max(target.clock_speed, 1e-9))
    out = []
    start = target.start_at
    while start < end:
        stop = min(start + step, end)
        length = (stop - start).total_seconds()
        kw = 0.0
        for a in allocations:
            overlap = (min(stop, a.ends_at) - max(start, a.eta)).total_seconds()
            if overlap > 0:
                kw += a.power_kw * overlap / length
        out.append(Interval(start, stop, target.power_kw, kw))
        start = stop
    return tuple(out)


def _warnings(target, plants, allocations, planned_kw, available_kw, ramp_end) -> tuple[dict, ...]:
    warnings = []
    if planned_kw < target.power_kw * (1 - SHORTFALL_TOLERANCE):
        warnings.append({
            "code": "target_above_available",
            "message": f"{target.power_kw:g} kW asked, {available_kw:.1f} kW available now: the plan gives "
            f"{planned_kw:.1f} kW and the job will end partially delivered.",
            "shortfall_kw": round(target.power_kw - planned_kw, 3),
        })  # fmt: skip
    if ramp_end is not None and ramp_end > target.start_at:
        late = sum(1 for a in allocations if a.eta > target.start_at)
        warnings.append({
            "code": "not_reachable_by_start",
            "message": f"{late} plants get their command after start_at (the vendors' quotas); the last at "
            f"{ramp_end.isoformat()}.",
            "ramp_end": ramp_end.isoformat(),
            "plants": late,
        })  # fmt: skip
    stale_s = STALE_AFTER_S / max(target.clock_speed, 1e-9)
    stale = sorted(
        p.plant_id for p in plants if p.telemetry_age_s is not None and p.telemetry_age_s > stale_s
    )
    if stale:
        warnings.append({
            "code": "stale_telemetry",
            "message": f"{len(stale)} plants were last read more than {STALE_AFTER_S / 60:.0f} minutes ago: "
            "their SOC may have moved.",
            "plant_ids": stale[:100],
        })  # fmt: skip
    return tuple(warnings)
