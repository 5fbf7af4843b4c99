"""A power target end to end: the API plans it, a real Celery worker sends each request's own power and
duration to both simulators over HTTP, beat reads telemetry at the vendors' rate, and the delivery
endpoint measures the fleet against the target while some plants under-deliver, and their shortfall is
re-allocated to the reserve."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from dispatch.models import DispatchJob, DispatchTask
from dispatch.powertargets.models import PowerTargetPlant
from dispatch.powertargets.reallocate import MAX_ROUNDS
from fleets.models import Plant, VendorAccount
from tests.dispatch.engine.conftest import ENGINE_ENV
from tests.dispatch.engine.world import add_growatt, add_huawei, growatt_soc, huawei_soc
from tests.plugins.celery_worker import wait_for, worker_env
from tests.plugins.growatt_sim import GrowattSim
from tests.plugins.huawei_sim import HuaweiSimHandle
from vendors.growatt.simulator.control import GrowattSimControl
from vendors.huawei.simulator.control import HuaweiSimControl
from vendors.simkit.launcher import running_simulator

URL = "/api/v1/dispatches"
SPEED = 120.0  # a vendor minute is half a second: the 60-minute window lasts 30 s
# The 400-plant run reads 40 Growatt plants per account one by one (two calls each): on this two-core
# machine with two CPU-bound processes beside it a cycle took 4-5 s, which at 120x is 8-10 vendor minutes,
# past the 5-minute window the delivery is measured at. At 60x it is 4-5 vendor minutes: the machine can
# read at the vendors' rate, so what is asserted is the product's accuracy, not the machine's speed.
ACCEPTANCE_SPEED = 60.0
FLOOR = 20.0
UNDER_SHARE = 0.3


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_discharge_target_is_planned_sent_and_measured_on_both_vendors(
    start_engine, celery_worker_factory, world, huawei_sim, growatt_sim, bob_api
):
    engine = (start_engine, celery_worker_factory)
    run_power_target(engine, world, huawei_sim, growatt_sim, bob_api, plants=(40, 10), power_kw=80)


@pytest.fixture
def acceptance_sims():
    """400 plants: 320 Huawei plants over 2 accounts and 80 Growatt plants over 2, sized for issue 11."""
    speed = str(ACCEPTANCE_SPEED)
    huawei_args = ("--plants", "320", "--accounts", "2", "--unenrolled", "0", "--speed", speed)
    growatt_args = ("--plants", "80", "--accounts", "2", "--unenrolled", "0", "--speed", speed)
    with (
        running_simulator("vendors.huawei.simulator", *huawei_args, "--seed", "41") as (_, huawei_url),
        running_simulator("vendors.growatt.simulator", *growatt_args, "--seed", "43") as (_, growatt_url),
        HuaweiSimControl(huawei_url) as huawei,
        GrowattSimControl(growatt_url) as growatt,
    ):
        tokens = growatt.tokens()
        yield (
            HuaweiSimHandle(huawei_url, huawei, huawei.accounts(), ACCEPTANCE_SPEED),
            GrowattSim(
                growatt_url,
                growatt,
                [tokens[f"account-{k}"] for k in range(1, len(tokens) + 1)],
                ACCEPTANCE_SPEED,
            ),
        )


@pytest.mark.slow
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_issue_11_acceptance_400_plants_500_kw_for_an_hour_above_20_percent(
    start_engine, celery_worker_factory, world, acceptance_sims, bob_api
):
    """The issue's "done when": a 400-plant mixed fleet asked for 500 kW of discharge for 60 minutes with a
    20 % floor while 10 % of the plants under-deliver."""
    huawei_sim, growatt_sim = acceptance_sims
    engine = (start_engine, celery_worker_factory)
    run_power_target(
        engine,
        world,
        huawei_sim,
        growatt_sim,
        bob_api,
        plants=(320, 80),
        power_kw=500,
        speed=ACCEPTANCE_SPEED,
    )


def run_power_target(engine, world, huawei_sim, growatt_sim, bob_api, *, plants, power_kw, speed=SPEED):
    start_engine, celery_worker_factory = engine
    add_huawei(world, huawei_sim, plants=plants[0])
    add_growatt(world, growatt_sim, plants=plants[1])
    for sim in (huawei_sim, growatt_sim):
        sim.control.set_speed(speed)
    VendorAccount.objects.filter(pk__in=[a.pk for a in world.accounts]).update(clock_speed=speed)
    fleet = world.fleet()
    telemetry = {"VPP_TELEMETRY_TICK_S": "0.5", "VPP_POWER_TARGET_TICK_S": "0.5"}
    start_engine(workers=1, concurrency=3, env=telemetry)
    # Realtime telemetry runs on the "sync" queue: a worker of its own, as in production.
    celery_worker_factory(
        name="sync", concurrency=2, queues="sync", env=worker_env(**ENGINE_ENV, **telemetry)
    )
    everyone = Plant.objects.filter(pk__in=[p.pk for p in world.plants])
    wait_for(
        lambda: not everyone.filter(telemetry_at__isnull=True).exists(),
        timeout_s=120,
        message="every plant to be read once",
    )

    # 16 vendor minutes ahead: Growatt windows are armed 2 minutes before, Huawei requests spread around.
    start_at = timezone.now() + timedelta(seconds=16 * 60 / speed)
    params = {"direction": "discharge", "power_kw": power_kw, "duration_min": 60, "soc_floor_pct": FLOOR}
    body = {"command": "power_target", "fleet": fleet.pk, "params": params, "start_at": start_at.isoformat()}
    plan = bob_api.post(URL, {**body, "dry_run": True}, format="json").json()
    assert plan["summary"]["planned_kw"] == pytest.approx(power_kw, abs=0.1), plan["warnings"]
    created = bob_api.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    job = DispatchJob.objects.get(pk=created.json()["id"])

    # The job follows the dry run's plan: the same plants at the same power and duration.
    planned = {a["plant"]: (a["power_kw"], a["duration_min"]) for a in plan["allocations"]}
    stored = {
        p.plant_id: (round(p.allocated_kw, 3), p.duration_min)
        for p in PowerTargetPlant.objects.filter(target__job=job)
    }
    assert stored == planned
    participants = set(planned)
    # One participant in ten gives under a third of what it is told (the plan cannot know).
    under = set(sorted(participants)[::10])
    for plant in Plant.objects.filter(pk__in=under).select_related("vendor_account"):
        if plant.vendor_account.vendor == "huawei":
            huawei_sim.control.under_deliver([plant.plant_code], UNDER_SHARE)
        else:
            growatt_sim.control.under_deliver([int(plant.plant_code)], UNDER_SHARE)

    def finished():
        job.refresh_from_db()
        return job.state not in DispatchJob.OPEN_STATES

    wait_for(finished, timeout_s=240, interval_s=0.5, message="the power target's tasks to finish")
    delivery = bob_api.get(f"{URL}/{job.pk}/delivery").json()
    summary = delivery["summary"]
    parts = {p.plant_id: p for p in PowerTargetPlant.objects.filter(target__job=job).select_related("task")}
    # Every plant took its command and the vendors say it ran its time.
    assert summary["plants_accepted"] == summary["plants_finished"] == len(parts)
    assert set(DispatchTask.objects.filter(job=job).values_list("state", flat=True)) == {"completed"}
    # Telemetry confirms the healthy participants and shows the under-deliverers giving under half their part.
    rows = {row["plant"]: row for row in delivery["plants"]}
    unconfirmed = [rows[pk] for pk in participants - under if not rows[pk]["confirmed"]]
    assert not unconfirmed, unconfirmed  # added plants may land too late in the window to be seen
    assert all(rows[pk]["measured_kw"] < 0.5 * rows[pk]["allocated_kw"] for pk in under)
    # Their shortfall went to the reserve: new plants, each commanded once, in at most three rounds.
    added = {pk for pk, p in parts.items() if p.round > 0}
    assert added and not added & participants
    assert max(p.round for p in parts.values()) <= MAX_ROUNDS
    # Once the added plants' commands are in and seen (a telemetry window), the fleet is within 5 %.
    ramp_done = max(p.task.sent_at for p in parts.values()) + timedelta(seconds=300 / speed)
    complete = [i for i in delivery["intervals"] if i["complete"]]
    steady = [i for i in complete[:-1] if datetime.fromisoformat(i["start"]) >= ramp_done]
    assert steady, (ramp_done, complete)
    for interval in steady:
        assert interval["measured_kw"] == pytest.approx(power_kw, rel=0.05), delivery["intervals"]
    # The delivery agrees with the vendors' own account of the energy: each task's reported energy, the
    # share of its run inside the window (it ran from its command landing for its duration).
    window_start, window_end = (datetime.fromisoformat(delivery[k]) for k in ("window_start", "window_end"))
    vendor_kwh = 0.0
    for p in parts.values():
        ran_from = max(p.task.sent_at, p.eta)
        ran_to = ran_from + timedelta(seconds=p.duration_min * 60 / speed)
        inside = (min(ran_to, window_end) - max(ran_from, window_start)).total_seconds()
        vendor_kwh += p.task.discharged_kwh * max(inside, 0) / (ran_to - ran_from).total_seconds()
    assert summary["delivered_kwh"] == pytest.approx(vendor_kwh, rel=0.1)
    # No battery went below the floor.
    for plant in Plant.objects.filter(pk__in=parts).select_related("vendor_account"):
        soc = (
            huawei_soc(huawei_sim, plant)
            if plant.vendor_account.vendor == "huawei"
            else growatt_soc(growatt_sim, plant)
        )
        assert soc >= FLOOR - 0.01, (plant.pk, soc)
