"""GET /api/v1/dispatches/{id}/delivery: measured power per 5-minute interval against target, plan and
baseline, from the telemetry time series (rows written here as the telemetry sync would write them)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from dispatch.models import DispatchTask
from dispatch.powertargets.models import PowerTarget
from fleets.models import PlantTelemetry
from tests.dispatch.api.conftest import make_job
from tests.dispatch.powertargets.conftest import discharge_target_on_ten_plants
from tests.factories import PlantFactory, VendorAccountFactory

URL = "/api/v1/dispatches"


@pytest.fixture
def job(org, bob_api):
    """20 kW of discharge for 30 minutes from 10 Huawei plants of 5 kW: four are enough."""
    return discharge_target_on_ten_plants(bob_api, org, start_in_min=10, duration_min=30)


def readings(target: PowerTarget, powers_w: dict[int, float], *, baseline_w: float = -200.0) -> None:
    """A reading per plant every 5 minutes, a minute into each interval; the hour before at baseline_w.
    The vendor took every command at the window's start (as a worker would have recorded it)."""
    DispatchTask.objects.filter(job_id=target.job_id).update(
        state=DispatchTask.State.ACCEPTED, sent_at=target.window_start
    )
    rows = []
    for plant_id, power_w in powers_w.items():
        for minutes in range(-60, 0, 5):
            at = target.window_start + timedelta(minutes=minutes, seconds=30)
            rows.append(PlantTelemetry(plant_id=plant_id, measured_at=at, battery_power_w=baseline_w))
        for minutes in range(1, target.duration_min, 5):
            at = target.window_start + timedelta(minutes=minutes)
            rows.append(PlantTelemetry(plant_id=plant_id, measured_at=at, battery_power_w=power_w))
    PlantTelemetry.objects.bulk_create(rows)


def delivery(bob_api, target: PowerTarget) -> dict:
    with time_machine.travel(target.window_end + timedelta(minutes=1), tick=False):
        response = bob_api.get(f"{URL}/{target.job_id}/delivery")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_a_fleet_that_gives_its_allocation_is_delivered(bob_api, job):
    participants = list(job.plants.values_list("plant_id", flat=True))
    assert len(participants) == 4
    readings(job, {pk: -5000.0 for pk in participants})
    answer = delivery(bob_api, job)
    assert len(answer["intervals"]) == 6
    for interval in answer["intervals"]:
        assert interval["target_kw"] == 20
        assert interval["planned_kw"] == pytest.approx(20, abs=0.01)
        assert interval["measured_kw"] == pytest.approx(20)
        assert interval["baseline_kw"] == pytest.approx(0.8)  # 4 plants discharging 0.2 kW unasked
    summary = answer["summary"]
    assert summary["delivered_kwh"] == pytest.approx(10.0)
    assert summary["target_kwh"] == 10.0
    assert summary["delivery_ratio"] == pytest.approx(1.0)
    assert summary["ramp_minutes"] == 0
    assert summary["plants_confirmed"] == 4
    assert summary["plants_accepted"] == 4
    assert summary["plants_finished"] == 0  # the vendor has not said so
    assert answer["outcome"] == {"state": "delivered"}


@pytest.mark.django_db
def test_a_plant_that_under_delivers_makes_it_partial_and_is_named(bob_api, job):
    participants = sorted(job.plants.values_list("plant_id", flat=True))
    powers = {pk: -5000.0 for pk in participants}
    powers[participants[-1]] = -2500.0
    readings(job, powers)
    answer = delivery(bob_api, job)
    assert all(i["measured_kw"] == pytest.approx(17.5) for i in answer["intervals"])
    assert answer["summary"]["delivery_ratio"] == pytest.approx(0.875)
    assert answer["summary"]["ramp_minutes"] is None  # never within 5 %
    outcome = answer["outcome"]
    assert outcome["state"] == "partially_delivered"
    assert outcome["shortfall_kw"] == pytest.approx(2.5)
    assert [row["plant"] for row in outcome["behind"]] == [participants[-1]]


@pytest.mark.django_db
def test_a_fleet_that_never_moved_failed(bob_api, job):
    readings(job, dict.fromkeys(job.plants.values_list("plant_id", flat=True), 0.0), baseline_w=0.0)
    answer = delivery(bob_api, job)
    assert answer["summary"]["delivered_kwh"] == 0
    assert answer["summary"]["plants_confirmed"] == 0
    assert answer["outcome"] == {"state": "failed"}


@pytest.mark.django_db
def test_a_plant_gone_silent_counts_as_giving_nothing_after_two_windows(bob_api, job):
    participants = sorted(job.plants.values_list("plant_id", flat=True))
    readings(job, {pk: -5000.0 for pk in participants})
    silent = participants[0]
    PlantTelemetry.objects.filter(
        plant_id=silent, measured_at__gte=job.window_start + timedelta(minutes=10)
    ).delete()
    measured = [i["measured_kw"] for i in delivery(bob_api, job)["intervals"]]
    assert measured[:3] == [pytest.approx(20)] * 3
    # Its last reading (minute 6) holds two windows and a little (10.3 minutes), then it gives nothing.
    assert measured[3] == pytest.approx(15 + 5 * 1.3 / 5, abs=0.01)
    assert measured[4:] == [pytest.approx(15), pytest.approx(15)]


@pytest.mark.django_db
def test_the_first_reading_after_the_command_stands_for_the_time_back_to_it(bob_api, job):
    participants = sorted(job.plants.values_list("plant_id", flat=True))
    readings(job, {pk: -5000.0 for pk in participants})
    # The vendor took the commands two minutes into the window: before that the plants idled unasked.
    landed = job.window_start + timedelta(minutes=2)
    DispatchTask.objects.filter(job_id=job.job_id).update(sent_at=landed)
    PlantTelemetry.objects.filter(measured_at=job.window_start + timedelta(minutes=1)).update(
        battery_power_w=-200.0
    )
    first = delivery(bob_api, job)["intervals"][0]["measured_kw"]
    assert first == pytest.approx((2 * 0.8 + 3 * 20) / 5)


@pytest.mark.django_db
def test_delivery_is_only_for_power_targets_and_only_for_the_owner(org, alice, bob_api, charlie_api, job):
    response = charlie_api.get(f"{URL}/{job.job_id}/delivery")
    assert response.status_code == 404
    account = VendorAccountFactory(organization=org)
    plain = make_job(org, alice, [PlantFactory(vendor_account=account)])
    response = bob_api.get(f"{URL}/{plain.pk}/delivery")
    assert response.status_code == 404
    assert response.json()["error"] == "not_a_power_target"
