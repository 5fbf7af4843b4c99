"""Energy for charges that did not run their course: cancelled mid-way, replaced by a newer job, timed out.

The vendor reports energy only for a task it finished; these ran too, and the sweep measures them from the
battery power telemetry. Checked against the simulator's own account: the battery's state of charge
before the command and after its stop (it holds while idle), times its rated capacity.

The simulator runs at 120 vendor seconds a second and telemetry is read every KPI window (2.5 s): each
step waits for what the database shows (readings, task states), never for wall-clock time.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.models import DispatchJob, DispatchTask
from dispatch.services import dispatch_job_cancel
from fleets.models import Plant, PlantTelemetry, VendorAccount
from tests.dispatch.engine.conftest import ENGINE_ENV, wait_job_finished
from tests.dispatch.engine.world import add_huawei, create_job, huawei_soc
from tests.plugins.celery_worker import wait_for, worker_env
from vendors.base import ChargeDischarge

T = DispatchTask.State
SPEED = 120.0
LONG_CHARGE = ChargeDischarge(action="charge", control="duration", duration_min=24 * 60)
READINGS = 3  # charging readings seen before the charge is ended: about 15 vendor minutes
MIN_KWH = 0.6  # and energy the battery took by then, on the simulator's own account


def _charging_readings(task: DispatchTask) -> int:
    task.refresh_from_db()
    if task.sent_at is None:
        return 0
    return PlantTelemetry.objects.filter(
        plant_id=task.plant_id, measured_at__gt=task.sent_at, battery_power_w__gt=100
    ).count()


def _charge_until_seen(world, sim, plant: Plant, soc_before: float) -> tuple[DispatchJob, DispatchTask]:
    """Charge until telemetry has seen it READINGS times and the simulator's battery took MIN_KWH: how much
    a charge takes in a given number of readings depends on how fast a busy machine reads."""
    job = create_job(world, [plant], LONG_CHARGE)
    task = DispatchTask.objects.get(job=job)
    wait_for(
        lambda: (
            _charging_readings(task) >= READINGS
            and (huawei_soc(sim, plant) - soc_before) / 100.0 * plant.battery_rated_kwh >= MIN_KWH
        ),
        timeout_s=120,
        message=f"{READINGS} telemetry readings of plant {plant.pk} charging and {MIN_KWH} kWh taken",
    )
    return job, task


def _measured(task: DispatchTask) -> DispatchTask:
    wait_for(
        lambda: DispatchTask.objects.get(pk=task.pk).energy_source != DispatchTask.EnergySource.UNKNOWN,
        timeout_s=120,
        message=f"the energy of task {task.pk} measured",
    )
    return DispatchTask.objects.get(pk=task.pk)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_cancelled_replaced_and_timed_out_charges_get_their_energy_from_telemetry(
    start_engine, celery_worker_factory, world, huawei_sim, alice, capsys
):
    plants = add_huawei(world, huawei_sim, plants=12)
    # Batteries with room to charge for the whole run (a full one would stop by itself).
    plants = [p for p in plants if p.battery_rated_kwh and (huawei_soc(huawei_sim, p) or 100) < 70][:3]
    assert len(plants) == 3
    huawei_sim.control.set_speed(SPEED)
    VendorAccount.objects.filter(pk__in=[a.pk for a in world.accounts]).update(clock_speed=SPEED)
    telemetry = {"VPP_TELEMETRY_TICK_S": "0.5"}
    start_engine(workers=1, concurrency=2, env=telemetry)
    celery_worker_factory(
        name="sync", concurrency=1, queues="sync", env=worker_env(**ENGINE_ENV, **telemetry)
    )
    before = {p.pk: huawei_soc(huawei_sim, p) for p in plants}
    cancelled_plant, replaced_plant, timed_out_plant = plants

    # 1. Cancelled mid-way by the operator: the vendor takes the stop.
    job, cancelled = _charge_until_seen(world, huawei_sim, cancelled_plant, before[cancelled_plant.pk])
    dispatch_job_cancel(job=job, by=alice)
    wait_job_finished(job, timeout_s=60)
    after_cancel = huawei_soc(huawei_sim, cancelled_plant)

    # 2. Replaced by a newer job (which starts later: the battery idles once the old charge is stopped).
    old, replaced = _charge_until_seen(world, huawei_sim, replaced_plant, before[replaced_plant.pk])
    newer = create_job(
        world,
        [replaced_plant],
        ChargeDischarge(action="discharge", control="duration", duration_min=10),
        on_conflict=DispatchJob.OnConflict.REPLACE,
        start_at=timezone.now() + timedelta(days=1),
    )
    wait_job_finished(old, timeout_s=60)
    after_replace = huawei_soc(huawei_sim, replaced_plant)

    # 3. Still running at its deadline: the deadline is brought to now once the charge is seen running
    # (a deadline in wall-clock seconds would race the send on a busy machine).
    late, timed_out = _charge_until_seen(world, huawei_sim, timed_out_plant, before[timed_out_plant.pk])
    now = timezone.now()
    DispatchJob.objects.filter(pk=late.pk).update(deadline=now)
    DispatchTask.objects.filter(pk=timed_out.pk).update(timeout_at=now)
    wait_job_finished(late, timeout_s=60)
    wait_for(
        lambda: DispatchTask.objects.get(pk=timed_out.pk).stop_request.sent_at is not None,
        timeout_s=60,
        message="the deadline's stop taken by the vendor",
    )
    after_timeout = huawei_soc(huawei_sim, timed_out_plant)

    figures = []
    for label, task, plant, after, state in (
        ("cancelled", cancelled, cancelled_plant, after_cancel, T.CANCELLED),
        ("replaced", replaced, replaced_plant, after_replace, T.CANCELLED),
        ("timed out", timed_out, timed_out_plant, after_timeout, T.TIMED_OUT),
    ):
        task = _measured(task)
        assert task.state == state
        assert task.energy_source == DispatchTask.EnergySource.TELEMETRY
        simulator_kwh = (after - before[plant.pk]) / 100.0 * plant.battery_rated_kwh
        assert simulator_kwh >= MIN_KWH  # it charged for real
        assert task.charged_kwh == pytest.approx(simulator_kwh, rel=0.1), label
        assert task.discharged_kwh == pytest.approx(0.0, abs=0.01)
        figures.append(f"{label}: ours {task.charged_kwh:.3f} kWh, simulator {simulator_kwh:.3f} kWh")
    # A finished job's totals include the energy measured after it finished.
    for job_done, task in ((job, cancelled), (late, timed_out)):
        job_done.refresh_from_db()
        assert job_done.charged_kwh == pytest.approx(DispatchTask.objects.get(pk=task.pk).charged_kwh)
    assert DispatchJob.objects.get(pk=newer.pk).state == DispatchJob.State.SCHEDULED
    with capsys.disabled():
        print("\n" + "\n".join(figures))
