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
