"""The campaign scheduler with a controlled clock: local times across DST, exactly once, missed and
overlapping runs. Jobs are created through the real dispatch service into PostgreSQL; nothing is sent here
(no worker runs), so the tests finish the jobs themselves where a scenario needs the previous run done."""

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from dispatch.campaigns.models import CampaignRun
from dispatch.campaigns.services import campaigns_schedule_due
from dispatch.models import DispatchJob, DispatchTask
from tests.factories import CampaignFactory, FleetFactory, PlantFactory, VendorAccountFactory

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def fleet(org):
    account = VendorAccountFactory(organization=org)
    fleet = FleetFactory(organization=org)
    fleet.plants.set(PlantFactory.create_batch(3, vendor_account=account))
    return fleet


def _tick(now: datetime) -> int:
    with time_machine.travel(now, tick=False):
        return campaigns_schedule_due(now=now)


def _finish_open_jobs() -> None:
    """What the engine would do when the vendors report the tasks done."""
    DispatchTask.objects.filter(state__in=DispatchTask.OPEN_STATES).update(state=DispatchTask.State.COMPLETED)
    DispatchJob.objects.filter(state__in=DispatchJob.OPEN_STATES).update(state=DispatchJob.State.COMPLETED)


def _started_local_times(campaign):
    runs = CampaignRun.objects.filter(campaign=campaign, state=CampaignRun.State.STARTED).order_by(
        "scheduled_at"
    )
    return [r.scheduled_at.astimezone(BERLIN).strftime("%a %d %H:%M %z") for r in runs]


@pytest.mark.django_db
def test_weekday_17h_runs_fire_at_17h_local_across_the_dst_change(fleet):
    campaign = CampaignFactory(
        organization=fleet.organization, fleet=fleet, now=datetime(2026, 10, 21, 12, tzinfo=UTC)
    )
    now = datetime(2026, 10, 21, 12, tzinfo=UTC)
    while now < datetime(2026, 10, 28, 0, tzinfo=UTC):  # a tick every 10 minutes for a week
        _tick(now)
        _finish_open_jobs()
        now += timedelta(minutes=10)
    assert _started_local_times(campaign) == [
        "Wed 21 17:00 +0200",
        "Thu 22 17:00 +0200",
        "Fri 23 17:00 +0200",
        "Mon 26 17:00 +0100",
        "Tue 27 17:00 +0100",
    ]
    runs = CampaignRun.objects.filter(campaign=campaign).order_by("scheduled_at")
    assert all(r.state == CampaignRun.State.STARTED for r in runs)
    for run in runs:
        # Each run's job was created at the first tick after its time, for the campaign's fleet and command.
        assert timedelta(0) <= run.started_at - run.scheduled_at < timedelta(minutes=10)
        assert run.job.fleet_id == fleet.pk and run.job.command_kind == "charge_discharge"
        assert run.job.tasks.count() == 3
        assert run.job.created_by_id == campaign.created_by_id


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_ticking_together_start_each_run_exactly_once(fleet):
    campaign = CampaignFactory(
        organization=fleet.organization, fleet=fleet, now=datetime(2026, 11, 2, 12, tzinfo=UTC)
    )
    due = datetime(2026, 11, 2, 16, 0, 30, tzinfo=UTC)  # 17:00:30 Berlin
    barrier = threading.Barrier(4)
    errors = []

    def scheduler():
        try:
            barrier.wait()
            for _ in range(5):
                campaigns_schedule_due(now=due)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert CampaignRun.objects.filter(campaign=campaign).count() == 1
    assert DispatchJob.objects.count() == 1
    assert DispatchTask.objects.count() == 3


@pytest.mark.django_db
def test_runs_missed_while_down_are_skipped_except_the_latest_still_inside_grace(fleet):
    campaign = CampaignFactory(
        organization=fleet.organization,
        fleet=fleet,
        missed_grace_min=30,
        now=datetime(2026, 11, 2, 12, tzinfo=UTC),
    )
    # Down from Monday noon; back on Thursday 17:10 Berlin (16:10 UTC), ten minutes after Thursday's run.
    assert _tick(datetime(2026, 11, 5, 16, 10, tzinfo=UTC)) == 1
    runs = {
        r.scheduled_at.astimezone(BERLIN).strftime("%a"): r
        for r in CampaignRun.objects.filter(campaign=campaign)
    }
    assert set(runs) == {"Mon", "Tue", "Wed", "Thu"}
    for day in ("Mon", "Tue", "Wed"):
        assert runs[day].state == CampaignRun.State.SKIPPED and "missed" in runs[day].reason
    assert runs["Thu"].state == CampaignRun.State.STARTED and runs["Thu"].job is not None
    assert DispatchJob.objects.count() == 1
    campaign.refresh_from_db()
    assert campaign.next_run_at.astimezone(BERLIN).strftime("%a %H:%M") == "Fri 17:00"


@pytest.mark.django_db
def test_a_run_missed_by_more_than_the_grace_is_skipped_and_recorded(fleet):
    campaign = CampaignFactory(
        organization=fleet.organization,
        fleet=fleet,
        missed_grace_min=30,
        now=datetime(2026, 11, 2, 12, tzinfo=UTC),
    )
    assert _tick(datetime(2026, 11, 2, 16, 45, tzinfo=UTC)) == 0  # 45 minutes late
    run = CampaignRun.objects.get(campaign=campaign)
    assert run.state == CampaignRun.State.SKIPPED and "more than 30 min late" in run.reason
    assert DispatchJob.objects.count() == 0


@pytest.mark.django_db
def test_overlap_skip_records_the_new_run_as_skipped_while_the_previous_job_runs(fleet):
    campaign = CampaignFactory(
        organization=fleet.organization,
        fleet=fleet,
        on_overlap="skip",
        now=datetime(2026, 11, 2, 12, tzinfo=UTC),
    )
    assert _tick(datetime(2026, 11, 2, 16, 1, tzinfo=UTC)) == 1
    first_job = DispatchJob.objects.get()
    assert _tick(datetime(2026, 11, 3, 16, 1, tzinfo=UTC)) == 0
    tuesday = CampaignRun.objects.get(campaign=campaign, scheduled_at=datetime(2026, 11, 3, 16, tzinfo=UTC))
    assert tuesday.state == CampaignRun.State.SKIPPED
    assert f"job {first_job.pk} is still running" in tuesday.reason
    assert DispatchJob.objects.count() == 1


@pytest.mark.django_db
def test_overlap_replace_cancels_the_previous_job_and_starts_the_new_one(fleet):
    campaign = CampaignFactory(
        organization=fleet.organization,
        fleet=fleet,
        on_overlap="replace",
        now=datetime(2026, 11, 2, 12, tzinfo=UTC),
    )
    assert _tick(datetime(2026, 11, 2, 16, 1, tzinfo=UTC)) == 1
    first_job = DispatchJob.objects.get()
    assert _tick(datetime(2026, 11, 3, 16, 1, tzinfo=UTC)) == 1
    first_job.refresh_from_db()
    assert first_job.cancel_requested_at is not None
    second = CampaignRun.objects.get(campaign=campaign, scheduled_at=datetime(2026, 11, 3, 16, tzinfo=UTC))
    assert second.state == CampaignRun.State.STARTED and second.job_id != first_job.pk
    assert second.job.tasks.count() == 3


@pytest.mark.django_db
def test_nothing_runs_outside_the_active_window_or_while_paused(fleet):
    campaign = CampaignFactory(
        organization=fleet.organization,
        fleet=fleet,
        start_date=datetime(2026, 11, 4).date(),
        end_date=datetime(2026, 11, 4).date(),
        now=datetime(2026, 11, 2, 12, tzinfo=UTC),
    )
    for day in (2, 3, 4, 5, 6):
        _tick(datetime(2026, 11, day, 16, 1, tzinfo=UTC))
        _finish_open_jobs()
    assert [r.scheduled_at.day for r in CampaignRun.objects.filter(campaign=campaign)] == [4]
    campaign.refresh_from_db()
    assert campaign.next_run_at is None
