"""A charge job to a mixed Huawei + Growatt fleet, end to end: API-level service -> PostgreSQL -> Celery on
Redis -> adapters -> simulators over HTTP -> polls -> every task terminal, batteries really charged."""

from __future__ import annotations

import collections

import pytest

from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from dispatch.selectors import dispatch_job_summary
from dispatch.services import dispatch_job_create
from tests.dispatch.engine.conftest import open_tasks, wait_job_finished
from tests.dispatch.engine.world import add_growatt, add_huawei, growatt_soc, huawei_soc
from tests.plugins.celery_worker import wait_for
from vendors.base import ChargeDischarge, StorageSet

T = DispatchTask.State
RUNNING = DispatchTask.RUNNING_STATES
TARGET_SOC = 80  # within both vendors' ranges (Growatt's AC-charge SOC limit is 10-80 %, 4.3.12)


def _charge_job(world, fleet, *, target=TARGET_SOC):
    job, created = dispatch_job_create(
        organization=world.organization,
        created_by=None,
        command_kind="charge_discharge",
        params={"action": "charge", "control": "soc", "target_soc_pct": target},
        command=ChargeDischarge(action="charge", control="soc", target_soc_pct=target),
        fleet=fleet,
    )
    assert created
    return job


def charge_a_mixed_fleet(start_engine, world, huawei_sim, growatt_sim, *, huawei_plants, growatt_plants):
    """The scenario: offline, battery-less and dropping-out plants among healthy ones, charged to 80 %."""
    huawei = add_huawei(world, huawei_sim, plants=huawei_plants)
    growatt = add_growatt(world, growatt_sim, plants=growatt_plants)
    huawei_offline, huawei_no_battery = huawei[:3], huawei[3:6]
    # A Growatt collector that is offline refuses settings at once; one that drops out after taking the
    # window leaves the task without fresh data until the adapter times it out.
    growatt_offline, growatt_no_battery = growatt[:2], growatt[2:4]
    # Plants far from their target, whose 6-hour window (the adapter's default for a SOC charge) ends before
    # local midnight: a window over midnight needs a second setting, which an offline collector refuses.
    growatt_drop_out = [
        p for p in growatt[4:] if (p.soc_pct or 100) < 50 and growatt_sim.local_now(p.timezone).hour < 16
    ][:2]
    assert len(growatt_drop_out) == 2, "the simulated world has no plant fit to drop out"
    huawei_sim.control.plants_offline([p.plant_code for p in huawei_offline])
    huawei_sim.control.no_battery([p.plant_code for p in huawei_no_battery])
    growatt_sim.control.plants_offline([int(p.plant_code) for p in growatt_offline])
    growatt_sim.control.no_battery([int(p.plant_code) for p in growatt_no_battery])
    start_engine(workers=1, concurrency=3)

    job = _charge_job(world, world.fleet())
    assert job.task_count == huawei_plants + growatt_plants
    # One vendor call per 100 Huawei plants of an account (NBI V7 9.3.4), one per Growatt plant.
    huawei_per_account = collections.Counter(p.vendor_account_id for p in huawei)
    expected_requests = sum(-(-n // 100) for n in huawei_per_account.values())
    assert VendorRequest.objects.filter(job=job, vendor_account__vendor="huawei").count() == expected_requests
    assert VendorRequest.objects.filter(job=job, vendor_account__vendor="growatt").count() == growatt_plants

    drop_out = {p.pk for p in growatt_drop_out}
    wait_for(
        lambda: DispatchTask.objects.filter(job=job, plant_id__in=drop_out, state__in=RUNNING).count() == 2,
        timeout_s=60,
        message="the drop-out Growatt plants' windows to be accepted",
    )
    growatt_sim.control.plants_offline([int(p.plant_code) for p in growatt_drop_out])

    # Everything but the offline Huawei plants ends on its own; those wait for the vendor's 24 h timeout.
    offline_codes = {p.pk for p in huawei_offline}
    wait_for(
        lambda: set(open_tasks(job).values_list("plant_id", flat=True)) <= offline_codes,
        timeout_s=300,
        interval_s=0.5,
        message="every task but the offline Huawei plants' to end",
    )
    huawei_sim.control.advance(24 * 3600 + 600)  # NBI V7 9.3.5: not completed within 24 h -> timeout
    wait_job_finished(job, timeout_s=120)

    tasks = {t.plant_id: t for t in DispatchTask.objects.filter(job=job)}
    for plant in huawei_offline + growatt_drop_out:
        assert tasks[plant.pk].state == T.TIMED_OUT, (plant, tasks[plant.pk].vendor_message)
    for plant in huawei_no_battery + growatt_no_battery + growatt_offline:
        task = tasks[plant.pk]
        assert task.state == T.REJECTED, (plant, task.state, task.vendor_message)
        assert task.vendor_code, "a rejection carries the vendor's code"
    healthy = [p for p in huawei[6:] + growatt[4:] if p not in growatt_drop_out]
    for plant in healthy:
        assert tasks[plant.pk].state == T.COMPLETED, (
            plant,
            tasks[plant.pk].state,
            tasks[plant.pk].vendor_message,
        )
    # The simulated batteries really reached the target (read from the simulators, not from our rows).
    for plant in healthy:
        soc = huawei_soc(huawei_sim, plant) if plant in huawei else growatt_soc(growatt_sim, plant)
        assert soc >= TARGET_SOC - 1.0, (plant, soc)

    job.refresh_from_db()
    assert job.state == DispatchJob.State.PARTIALLY_COMPLETED
    summary = dispatch_job_summary(job=job)
    assert summary["counts"][T.COMPLETED] == len(healthy)
    assert summary["counts"][T.TIMED_OUT] == 5
    assert summary["counts"][T.REJECTED] == 7
    assert job.charged_kwh == summary["charged_kwh"] and job.charged_kwh > 0

    # Each Huawei plant was commanded exactly once (the simulator logs what it accepted).
    commanded = collections.Counter(
        code
        for entry in huawei_sim.control.commands()
        if entry["endpoint"].endswith("/chargeAndDischarge")
        for code in entry["targets"]
    )
    assert all(n == 1 for n in commanded.values()), commanded.most_common(3)
    assert set(commanded) == {p.plant_code for p in huawei if p not in huawei_no_battery}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_charge_to_a_mixed_fleet_ends_every_task_and_batteries_reach_the_target(
    start_engine, world, huawei_sim, growatt_sim
):
    charge_a_mixed_fleet(start_engine, world, huawei_sim, growatt_sim, huawei_plants=160, growatt_plants=40)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_growatt_only_command_is_unsupported_on_huawei_plants(start_engine, world, huawei_sim, growatt_sim):
    huawei = add_huawei(world, huawei_sim, plants=4)
    growatt = add_growatt(world, growatt_sim, plants=3)
    start_engine(workers=1, concurrency=2)
    job, _ = dispatch_job_create(
        organization=world.organization,
        created_by=None,
        command_kind="storage_set",
        params={"param_type": "storage_cmd_on_off", "params": ["0101", "", "", ""]},
        command=StorageSet(param_type="storage_cmd_on_off", params=("0101", "", "", "")),
        plant_ids=[p.pk for p in huawei + growatt],
    )
    # Unsupported at once, in the creating transaction: no vendor call for them, ever.
    assert set(
        DispatchTask.objects.filter(job=job, state=T.UNSUPPORTED).values_list("plant_id", flat=True)
    ) == {p.pk for p in huawei}
    assert not VendorRequest.objects.filter(job=job, vendor_account__vendor="huawei").exists()
    wait_job_finished(job, timeout_s=60)
    assert set(
        DispatchTask.objects.filter(job=job, state=T.COMPLETED).values_list("plant_id", flat=True)
    ) == {p.pk for p in growatt}
    # Unsupported plants do not count against the job: everything that could take it did.
    assert job.state == DispatchJob.State.COMPLETED
