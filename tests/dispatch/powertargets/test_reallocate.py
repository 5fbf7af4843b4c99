"""Shortfall re-allocation: a fleet short of its target after the ramp gets reserve plants added, bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.engine.codec import command_from_json
from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from dispatch.powertargets.models import PowerTarget, PowerTargetPlant
from dispatch.powertargets.reallocate import MAX_ROUNDS, power_target_reallocate, power_targets_due
from fleets.models import Plant, PlantTelemetry
from tests.dispatch.powertargets.conftest import discharge_target_on_ten_plants


@pytest.fixture
def target(org, bob_api):
    """20 kW of discharge for 60 minutes from 10 Huawei plants of 5 kW: four take part, six in reserve."""
    target = discharge_target_on_ten_plants(bob_api, org, start_in_min=5, duration_min=60)
    # The vendor took every command at the window's start; three plants give 5 kW, one only 1 kW.
    DispatchTask.objects.filter(job_id=target.job_id).update(
        state=DispatchTask.State.IN_PROGRESS, sent_at=target.window_start
    )
    participants = sorted(target.plants.values_list("plant_id", flat=True))
    rows = []
    for pk in participants:
        power_w = -1000.0 if pk == participants[-1] else -5000.0
        for minute in range(1, 60, 5):
            at = target.window_start + timedelta(minutes=minute)
            rows.append(PlantTelemetry(plant_id=pk, measured_at=at, battery_power_w=power_w))
    PlantTelemetry.objects.bulk_create(rows)
    # The telemetry sync's answers for every plant came back 11 minutes into the window.
    Plant.objects.filter(pk__in=participants).update(
        telemetry_polled_at=target.window_start + timedelta(minutes=11)
    )
    return target


def at(target, minutes: float):
    return target.window_start + timedelta(minutes=minutes)


@pytest.mark.django_db
def test_a_short_fleet_gets_its_shortfall_from_the_reserve(target):
    before = set(target.plants.values_list("plant_id", flat=True))
    assert power_targets_due(now=at(target, 12)) == [target.pk]
    added = power_target_reallocate(target_id=target.pk, now=at(target, 12))

    assert added == 1  # 4 kW short: one reserve plant
    new = PowerTargetPlant.objects.get(target=target, round=1)
    assert new.plant_id not in before
    assert new.allocated_kw == pytest.approx(4.0, abs=0.01)
    assert new.duration_min == 48  # the rest of the window
    task = DispatchTask.objects.get(job_id=target.job_id, plant_id=new.plant_id)
    assert task.state == DispatchTask.State.PENDING and new.task_id == task.pk
    command = command_from_json(task.request.command)
    assert command.action == "discharge" and command.power_w == 4000 and command.duration_min == 48
    assert DispatchJob.objects.get(pk=target.job_id).task_count == 5
    target.refresh_from_db()
    assert target.reallocations == 1


@pytest.mark.django_db
def test_reallocation_waits_for_the_ramp_and_for_its_last_round_and_is_bounded(target):
    # Within the first interval after the commands landed nothing is judged yet.
    assert power_target_reallocate(target_id=target.pk, now=at(target, 4)) == 0
    assert power_target_reallocate(target_id=target.pk, now=at(target, 12)) == 1
    # The added plant's command is not in yet, and a round waits two intervals to show in telemetry.
    assert power_target_reallocate(target_id=target.pk, now=at(target, 13)) == 0
    DispatchTask.objects.filter(job_id=target.job_id).update(
        state=DispatchTask.State.IN_PROGRESS, sent_at=at(target, 12)
    )
    requests = VendorRequest.objects.filter(job_id=target.job_id).count()
    PowerTarget.objects.filter(pk=target.pk).update(reallocations=MAX_ROUNDS)
    assert power_target_reallocate(target_id=target.pk, now=at(target, 30)) == 0
    assert power_targets_due(now=at(target, 30)) == []
    assert VendorRequest.objects.filter(job_id=target.job_id).count() == requests


@pytest.mark.django_db
def test_a_fleet_within_5_percent_is_left_alone(target):
    PlantTelemetry.objects.filter(battery_power_w=-1000.0).update(battery_power_w=-4500.0)
    assert power_target_reallocate(target_id=target.pk, now=at(target, 12)) == 0
    assert not PowerTargetPlant.objects.filter(target=target, round__gt=0).exists()


@pytest.mark.django_db
def test_a_cancelled_target_is_not_reallocated(target):
    DispatchJob.objects.filter(pk=target.job_id).update(cancel_requested_at=timezone.now())
    assert power_targets_due(now=at(target, 12)) == []


@pytest.mark.django_db
def test_an_interval_is_judged_only_once_every_participant_was_read_after_it(target):
    """Readings still on their way (a loaded worker, the quota busy with the fleet's sends) are not a
    shortfall: until every participant's answer came back after the interval, nothing is added."""
    first, *rest = sorted(target.plants.values_list("plant_id", flat=True))
    Plant.objects.filter(pk=first).update(telemetry_polled_at=at(target, 9))  # its last read: before 10
    assert power_target_reallocate(target_id=target.pk, now=at(target, 12)) == 0
    Plant.objects.filter(pk=first).update(telemetry_polled_at=None)  # never read
    assert power_target_reallocate(target_id=target.pk, now=at(target, 12)) == 0
    Plant.objects.filter(pk=first).update(telemetry_polled_at=at(target, 11))
    assert power_target_reallocate(target_id=target.pk, now=at(target, 12)) == 1
