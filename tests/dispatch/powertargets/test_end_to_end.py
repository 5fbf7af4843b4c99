"""A power target end to end: the API plans it, a real Celery worker sends each request's own power and
duration to both simulators over HTTP, beat reads telemetry at the vendors' rate, and the delivery
endpoint measures the fleet against the target while some plants under-deliver."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.models import DispatchJob, DispatchTask
from dispatch.powertargets.models import PowerTargetPlant
from fleets.models import Plant, VendorAccount
from tests.dispatch.engine.conftest import ENGINE_ENV
from tests.dispatch.engine.world import add_growatt, add_huawei, growatt_soc, huawei_soc
from tests.plugins.celery_worker import wait_for, worker_env

URL = "/api/v1/dispatches"
SPEED = 120.0  # a vendor minute is half a second: the 30-minute window lasts 15 s
FLOOR = 20.0
UNDER_SHARE = 0.3


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_discharge_target_is_planned_sent_and_measured_on_both_vendors(
    start_engine, celery_worker_factory, world, huawei_sim, growatt_sim, bob_api
):
    add_huawei(world, huawei_sim, plants=40)
    add_growatt(world, growatt_sim, plants=10)
    for sim in (huawei_sim, growatt_sim):
        sim.control.set_speed(SPEED)
    VendorAccount.objects.filter(pk__in=[a.pk for a in world.accounts]).update(clock_speed=SPEED)
    fleet = world.fleet()

    start_at = timezone.now() + timedelta(seconds=25)
    params = {"direction": "discharge", "power_kw": 80, "duration_min": 30, "soc_floor_pct": FLOOR}
    body = {"command": "power_target", "fleet": fleet.pk, "params": params, "start_at": start_at.isoformat()}
    plan = bob_api.post(URL, {**body, "dry_run": True}, format="json").json()
    assert plan["summary"]["planned_kw"] == pytest.approx(80, abs=0.1), plan["warnings"]
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
    telemetry = {"VPP_TELEMETRY_TICK_S": "0.5"}
    start_engine(workers=1, concurrency=3, env=telemetry)
    # Realtime telemetry runs on the "sync" queue: a worker of its own, as in production.
    celery_worker_factory(
        name="sync", concurrency=2, queues="sync", env=worker_env(**ENGINE_ENV, **telemetry)
    )

    def finished():
        job.refresh_from_db()
        return job.state not in DispatchJob.OPEN_STATES

    wait_for(finished, timeout_s=240, interval_s=0.5, message="the power target's tasks to finish")
    delivery = bob_api.get(f"{URL}/{job.pk}/delivery").json()
    summary, outcome = delivery["summary"], delivery["outcome"]
    # Every plant took its command and the vendors say it ran its time.
    assert summary["plants_accepted"] == len(participants)
    assert summary["plants_finished"] == len(participants)
    assert set(DispatchTask.objects.filter(job=job).values_list("state", flat=True)) == {"completed"}
    # Telemetry confirms the healthy ones; the under-deliverers are the plants behind the shortfall.
    healthy = participants - under
    assert summary["plants_confirmed"] >= len(healthy)
    assert outcome["state"] == "partially_delivered", delivery
    behind = {row["plant"] for row in outcome["behind"]}
    assert under <= behind
    # What the fleet measured matches the plan less what the under-deliverers kept back.
    allocated = {p.plant_id: p.allocated_kw for p in PowerTargetPlant.objects.filter(target__job=job)}
    expected_kw = sum(kw * (UNDER_SHARE if pk in under else 1.0) for pk, kw in allocated.items())
    steady = [i for i in delivery["intervals"] if i["complete"]][2:-1]  # after the ramp, before the end
    assert steady
    for interval in steady:
        assert interval["measured_kw"] == pytest.approx(expected_kw, rel=0.1), delivery["intervals"]
    # The delivery agrees with the vendors' own account of the energy (their task reports).
    vendor_kwh = sum(DispatchTask.objects.filter(job=job).values_list("discharged_kwh", flat=True))
    assert summary["delivered_kwh"] == pytest.approx(vendor_kwh, rel=0.15)
    # No battery went below the floor.
    for plant in Plant.objects.filter(pk__in=participants).select_related("vendor_account"):
        soc = (
            huawei_soc(huawei_sim, plant)
            if plant.vendor_account.vendor == "huawei"
            else growatt_soc(growatt_sim, plant)
        )
        assert soc >= FLOOR - 0.01, (plant.pk, soc)
