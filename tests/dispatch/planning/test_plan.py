"""Power-target planning (dispatch.planning): pure functions, so plain tests and hypothesis properties."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.planning import PlantState, Target, plan_power_target
from dispatch.planning.model import VendorProfile, vendor_profile
from dispatch.planning.plan import fleet_max_kw

HUAWEI, GROWATT = vendor_profile("huawei"), vendor_profile("growatt")

NOW = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
START = NOW + timedelta(hours=1)
PROFILES = {"huawei": HUAWEI, "growatt": GROWATT}


def huawei(pk, *, account=1, soc=80.0, kwh=10.0, kw=5.0, age=60.0):
    return PlantState(pk, account, "huawei", kwh, kw, kw, kw, soc, 0.0, age)


def growatt(pk, *, account=9, soc=80.0, kwh=10.0, kw=3.0, age=60.0):
    return PlantState(pk, account, "growatt", kwh, kw, kw, kw, soc, 0.0, age)


def target(kw, *, minutes=60, floor=20.0, direction="discharge", start=START, ceiling=100.0):
    return Target(direction, kw, minutes, start, NOW, soc_floor_pct=floor, soc_ceiling_pct=ceiling)


def reasons(plan) -> dict[int, str]:
    return {e.plant_id: e.reason for e in plan.excluded}


def test_huawei_fleet_meets_the_target_in_one_request_per_hundred_plants():
    plants = [huawei(i, soc=60) for i in range(1, 151)]  # 4 kWh above the floor: under 4 kW for an hour
    plan = plan_power_target(target(500), plants, PROFILES)
    assert abs(plan.planned_kw - 500) < 0.5
    assert [len(r.plant_ids) for r in plan.requests] == [100, 28]  # the rest: as few plants as reach it
    assert all(a.power_kw * a.duration_min / 60 <= 4 + 1e-9 for a in plan.allocations)
    assert all(w["code"] != "target_above_available" for w in plan.warnings)


def test_one_low_headroom_plant_does_not_drag_its_requests_level_down():
    plants = [huawei(i, soc=100) for i in range(1, 11)] + [huawei(11, soc=22)]  # 0.2 kWh above the floor
    plan = plan_power_target(target(50), plants, PROFILES)
    levels = {r.command_power_w for r in plan.requests if 11 not in r.plant_ids}
    assert levels == {5000}
    assert abs(plan.planned_kw - 50) < 0.01


def test_every_plant_left_out_is_reported_with_its_reason():
    plants = [
        huawei(1),
        PlantState(2, 1, "huawei", None, 5, 5, 5, 80),  # no battery
        PlantState(3, 1, "huawei", 10, None, None, None, 80),  # no rated power
        PlantState(4, 1, "huawei", 10, 5, 5, 5, None),  # never read
        huawei(5, soc=15),  # below the floor already
        PlantState(6, 1, "sungrow", 10, 5, 5, 5, 80),  # a vendor without the command
        growatt(7, soc=25, kw=3),  # 0.5 kWh above the floor: 10 minutes at its own 3 kW rate
    ]
    plan = plan_power_target(target(2), plants, PROFILES)
    assert reasons(plan) == {
        2: "no_battery",
        3: "no_rated_power",
        4: "no_telemetry",
        5: "at_floor",
        6: "unsupported",
        7: "energy_limited",
    }
    assert [a.plant_id for a in plan.allocations] == [1]
    assert {a.plant_id for a in plan.allocations} | set(reasons(plan)) == {p.plant_id for p in plants}


def test_growatt_plants_are_all_or_nothing_at_their_own_rate_and_armed_ahead():
    plants = [growatt(i, kw=3) for i in range(1, 11)]
    plan = plan_power_target(target(12), plants, PROFILES)
    assert len(plan.allocations) == 4
    assert all(a.command_power_w is None and a.power_kw == 3 for a in plan.allocations)
    assert all(a.send_at < START and a.eta == START for a in plan.allocations)
    assert {r.window_start for r in plan.requests} == {START}  # the window carries its own start
    assert all(a.duration_min == 60 for a in plan.allocations)
    assert reasons(plan) == {i: "not_needed" for i in range(5, 11)}
    assert not [w for w in plan.warnings if w["code"] == "not_reachable_by_start"]


def test_huawei_requests_are_spread_around_start_at_one_per_minute_per_account():
    plants = [huawei(i, account=1 + i % 2, kw=2, soc=100) for i in range(1, 601)]  # 300 per account
    plan = plan_power_target(target(1200), plants, PROFILES)
    by_account: dict[int, list] = {}
    for r in plan.requests:
        by_account.setdefault(r.account_id, []).append(r.send_at)
    for times in by_account.values():
        assert len(times) == 3
        assert times == [START - timedelta(minutes=1), START, START + timedelta(minutes=1)]
    # The one sent a minute early runs a minute longer, so every plant runs to the window's end.
    early = next(r for r in plan.requests if r.send_at < START)
    assert early.duration_min == 61
    warning = next(w for w in plan.warnings if w["code"] == "not_reachable_by_start")
    assert warning["plants"] == 200


def test_a_target_above_what_is_available_now_allocates_everything_and_warns():
    plants = [huawei(i, soc=30) for i in range(1, 11)]  # 1 kWh above the floor each: 1 kW for an hour
    plan = plan_power_target(target(40), plants, PROFILES)
    warning = next(w for w in plan.warnings if w["code"] == "target_above_available")
    assert warning["shortfall_kw"] > 29
    assert plan.planned_kw <= plan.available_kw + 1e-6
    assert all(a.power_kw * a.duration_min / 60 <= a.energy_headroom_kwh + 1e-6 for a in plan.allocations)


def test_stale_telemetry_is_named():
    plan = plan_power_target(target(3), [huawei(1), huawei(2, age=3600)], PROFILES)
    warning = next(w for w in plan.warnings if w["code"] == "stale_telemetry")
    assert warning["plant_ids"] == [2]


def test_charge_respects_the_ceiling():
    plants = [huawei(1, soc=85), huawei(2, soc=95), huawei(3, soc=50)]
    plan = plan_power_target(target(6, direction="charge", floor=0, ceiling=90), plants, PROFILES)
    assert reasons(plan)[2] == "at_ceiling"
    for a in plan.allocations:
        soc = next(p.soc_pct for p in plants if p.plant_id == a.plant_id)
        assert soc + 100 * a.power_kw * a.duration_min / 60 / 10 <= 90 + 1e-6


def test_the_curve_has_one_interval_per_five_minutes_and_ramps_through_the_start():
    plants = [huawei(i, account=1, kw=2, soc=100) for i in range(1, 301)]
    plan = plan_power_target(target(600, minutes=30), plants, PROFILES)
    assert len(plan.intervals) == 6
    assert plan.intervals[0].start == START and plan.intervals[-1].end == START + timedelta(minutes=30)
    first, later = plan.intervals[0], plan.intervals[1:]
    assert first.planned_kw < 600  # the third request lands a minute after the start
    assert all(abs(i.planned_kw - 600) < 1 for i in later)


def test_fleet_max_counts_every_battery_at_its_limit_whatever_its_soc():
    plants = [huawei(1, soc=0, kw=5), growatt(2, kw=3), PlantState(3, 1, "huawei", None, 5, 5, 5, 50)]
    assert fleet_max_kw(plants, "discharge", PROFILES) == 8


def test_a_simulator_clock_shortens_the_real_schedule():
    fast = {"huawei": VendorProfile("huawei", clock_speed=60.0)}
    plants = [huawei(i, kw=2, soc=100) for i in range(1, 301)]
    t = Target("discharge", 600, 60, START, NOW, soc_floor_pct=20, clock_speed=60.0)
    plan = plan_power_target(t, plants, fast)
    assert [r.send_at for r in plan.requests] == [
        START - timedelta(seconds=1),
        START,
        START + timedelta(seconds=1),
    ]
    assert plan.intervals[-1].end == START + timedelta(minutes=1)
    assert plan.requests[0].duration_min == 61  # vendor minutes


# --- properties ----------------------------------------------------------------------------------------

plant_strategy = st.builds(
    lambda pk, vendor, account, kwh, kw, soc, age: PlantState(
        pk, account if vendor == "huawei" else 100 + account, vendor, kwh, kw, kw * 1.1, kw * 1.2, soc, 0, age
    ),
    pk=st.integers(),
    vendor=st.sampled_from(["huawei", "growatt"]),
    account=st.integers(1, 3),
    kwh=st.one_of(st.none(), st.floats(0, 30)),
    kw=st.floats(0.5, 10),
    soc=st.one_of(st.none(), st.floats(0, 100)),
    age=st.one_of(st.none(), st.floats(0, 7200)),
)


@st.composite
def fleets(draw):
    plants = draw(st.lists(plant_strategy, max_size=250))
    return [dataclasses.replace(p, plant_id=i) for i, p in enumerate(plants)]


@settings(max_examples=150, deadline=None)
@given(
    plants=fleets(),
    power_kw=st.floats(0.1, 2000),
    minutes=st.integers(1, 1440),
    floor=st.floats(0, 90),
    direction=st.sampled_from(["charge", "discharge"]),
    start_min=st.integers(-10, 120),
)
def test_plan_properties(plants, power_kw, minutes, floor, direction, start_min):
    ceiling = min(100.0, floor + 10)
    t = Target(
        direction, power_kw, minutes, NOW + timedelta(minutes=start_min), NOW, soc_floor_pct=floor,
        soc_ceiling_pct=ceiling,
    )  # fmt: skip
    plan = plan_power_target(t, plants, PROFILES)
    by_id = {p.plant_id: p for p in plants}
    allocated = {a.plant_id for a in plan.allocations}
    # Every plant is either allocated or left out with a reason, never both.
    assert allocated.isdisjoint(reasons(plan))
    assert allocated | set(reasons(plan)) == set(by_id)
    for a in plan.allocations:
        p = by_id[a.plant_id]
        # No plant crosses its floor or ceiling inside the window, even run at its allocation throughout.
        moved_pct = 100 * a.power_kw * a.duration_min / 60 / p.usable_kwh
        if direction == "discharge":
            assert p.soc_pct - moved_pct >= floor - 1e-6
        else:
            assert p.soc_pct + moved_pct <= ceiling + 1e-6
        limit = min(p.max_discharge_kw if direction == "discharge" else p.max_charge_kw, p.inverter_kw)
        assert 0 < a.power_kw <= limit + 1e-9
        assert a.send_at >= NOW and a.eta >= a.send_at
        assert 1 <= a.duration_min <= 1440
    # Huawei: one level a request, at most 100 plants, at most one request a minute per account.
    for r in plan.requests:
        assert len(r.plant_ids) <= (100 if r.vendor == "huawei" else 1)
    for account in {r.account_id for r in plan.requests if r.vendor == "huawei"}:
        times = sorted(r.send_at for r in plan.requests if r.account_id == account)
        assert all(b - a >= timedelta(minutes=1) for a, b in zip(times, times[1:], strict=False))
    # The fleet total meets the target where the fleet can; it never overshoots by more than one plant.
    biggest = max((a.power_kw for a in plan.allocations), default=0)
    assert plan.planned_kw <= power_kw + biggest + 1e-6
    if plan.planned_kw < power_kw * 0.995:
        assert any(w["code"] == "target_above_available" for w in plan.warnings)
        huawei_reserve = [
            e for e in plan.excluded if e.reason == "not_needed" and by_id[e.plant_id].vendor == "huawei"
        ]
        assert not huawei_reserve  # short of the target, no power-settable plant is held back
    assert plan.planned_kw <= plan.available_kw + 1e-6
