"""A campaign runs end to end: beat ticks the scheduler in a real worker, which creates the run's job;
the engine sends it through the Huawei adapter to the simulator and polls it to completion."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.campaigns.models import CampaignRun
from dispatch.models import DispatchJob, DispatchTask
from tests.dispatch.engine.conftest import engine_settings, start_engine, wait_job_finished, world  # noqa: F401
from tests.dispatch.engine.world import add_huawei, huawei_soc
from tests.factories import CampaignFactory
from tests.plugins.celery_worker import wait_for

TARGET_SOC = 85


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_due_campaign_run_is_started_by_beat_and_its_job_completes_on_the_simulator(
    start_engine,  # noqa: F811
    world,  # noqa: F811
    huawei_sim,
):
    plants = add_huawei(world, huawei_sim, plants=12)
    fleet = world.fleet("evening", plants)
    # Every minute, so a run falls due within the test; the cursor starts a minute ago so the scheduler
    # finds one occurrence inside the grace window at its first tick.
    campaign = CampaignFactory(
        organization=world.organization,
        fleet=fleet,
        recurrence="* * * * *",
        timezone="Australia/Sydney",
        params={"action": "charge", "control": "soc", "target_soc_pct": TARGET_SOC},
        now=timezone.now() - timedelta(minutes=1),
    )
    start_engine(workers=1, concurrency=3, env={"VPP_CAMPAIGN_TICK_S": "1"})

    run = wait_for(
        lambda: CampaignRun.objects.filter(campaign=campaign, state=CampaignRun.State.STARTED).first(),
        timeout_s=60,
        message="beat to start the campaign's run",
    )
    job = wait_job_finished(run.job, timeout_s=120)
    assert job.state == DispatchJob.State.COMPLETED
    assert job.fleet_id == fleet.pk
    states = set(DispatchTask.objects.filter(job=job).values_list("state", flat=True))
    assert states == {DispatchTask.State.COMPLETED}
    for plant in plants:
        assert huawei_soc(huawei_sim, plant) >= TARGET_SOC - 1.0
    # Later minutes were either started (after this job finished) or skipped while it ran; none twice.
    occurrences = list(CampaignRun.objects.filter(campaign=campaign).values_list("scheduled_at", flat=True))
    assert len(occurrences) == len(set(occurrences))
    skipped = CampaignRun.objects.filter(campaign=campaign, state=CampaignRun.State.SKIPPED)
    assert all(
        "still running" in r.reason or "missed" in r.reason or "superseded" in r.reason for r in skipped
    )


POWER_SPEED = 120.0  # a vendor minute is half a second: the 10-minute window lasts 5 s


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_power_target_campaign_run_plans_a_target_job_that_the_simulator_delivers(
    start_engine,  # noqa: F811
    celery_worker_factory,
    world,  # noqa: F811
    huawei_sim,
):
    """Beat starts the run; the run plans the fleet from the telemetry the sync worker has read, and the
    plan's requests (each its own power and duration, at most 100 plants) discharge the batteries."""
    from dispatch.powertargets.models import PowerTarget, PowerTargetPlant
    from fleets.models import Plant, VendorAccount
    from tests.dispatch.engine.conftest import ENGINE_ENV
    from tests.plugins.celery_worker import worker_env

    plants = add_huawei(world, huawei_sim, plants=12)
    huawei_sim.control.set_speed(POWER_SPEED)
    VendorAccount.objects.filter(pk__in=[a.pk for a in world.accounts]).update(clock_speed=POWER_SPEED)
    fleet = world.fleet("evening", plants)
    before = {p.pk: huawei_soc(huawei_sim, p) for p in plants}
    params = {"direction": "discharge", "power_kw": 10, "duration_min": 10, "soc_floor_pct": 20}
    ticks = {"VPP_TELEMETRY_TICK_S": "0.5", "VPP_POWER_TARGET_TICK_S": "0.5"}
    # Realtime telemetry runs on the "sync" queue, as in production; the campaign waits for its first read.
    celery_worker_factory(name="sync", concurrency=2, queues="sync", env=worker_env(**ENGINE_ENV, **ticks))
    start_engine(workers=1, concurrency=3, env={"VPP_CAMPAIGN_TICK_S": "1", **ticks})
    everyone = Plant.objects.filter(pk__in=[p.pk for p in plants])
    wait_for(
        lambda: not everyone.filter(telemetry_at__isnull=True).exists(),
        timeout_s=120,
        message="every plant to be read once",
    )
    campaign = CampaignFactory(
        organization=world.organization,
        fleet=fleet,
        command_kind="power_target",
        params=params,
        recurrence="* * * * *",
        timezone="Europe/Berlin",
        now=timezone.now() - timedelta(minutes=1),
    )

    run = wait_for(
        lambda: (
            CampaignRun.objects.filter(campaign=campaign).exclude(state=CampaignRun.State.SKIPPED).first()
        ),
        timeout_s=60,
        message="beat to decide the campaign's run",
    )
    assert run.state == CampaignRun.State.STARTED, run.reason
    target = PowerTarget.objects.get(job=run.job)
    assert (target.direction, target.power_kw, target.duration_min) == ("discharge", 10, 10)
    assert target.plan["summary"]["planned_kw"] == pytest.approx(10, abs=0.1)
    job = wait_job_finished(run.job, timeout_s=120)
    assert job.state == DispatchJob.State.COMPLETED
    assert job.fleet_id == fleet.pk
    parts = list(PowerTargetPlant.objects.filter(target=target).select_related("task", "plant"))
    assert parts and {p.task.state for p in parts} == {DispatchTask.State.COMPLETED}
    # Each participant discharged (its battery and its task's energy say so), none below the floor.
    for part in parts:
        soc = huawei_soc(huawei_sim, part.plant)
        assert soc < before[part.plant_id], (part.plant_id, before[part.plant_id], soc)
        assert soc >= params["soc_floor_pct"] - 0.01
        assert part.task.discharged_kwh > 0
