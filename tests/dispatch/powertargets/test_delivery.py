"""GET /api/v1/dispatches/{id}/delivery: measured power per 5-minute interval against target, plan and
baseline, from the telemetry time series (rows written here as the telemetry sync would write them)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connections

from dispatch.models import DispatchTask
from dispatch.powertargets.delivery import power_target_record, settle_s
from dispatch.powertargets.models import PowerTarget, PowerTargetInterval
from dispatch.powertargets.tasks import reallocate_tick
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


def without_recorded(answer: dict) -> dict:
    return {
        **answer,
        "intervals": [{k: v for k, v in i.items() if k != "recorded"} for i in answer["intervals"]],
    }


@pytest.mark.django_db
def test_the_tick_stores_each_settled_interval_once_and_the_endpoint_answers_the_same_from_them(bob_api, job):
    participants = sorted(job.plants.values_list("plant_id", flat=True))
    powers = {pk: -5000.0 for pk in participants}
    powers[participants[-1]] = -4500.0  # within 5 %: the tick re-allocates nothing
    readings(job, powers)
    computed = delivery(bob_api, job)
    assert not any(i["recorded"] for i in computed["intervals"])

    # Mid-window only the intervals that have settled are stored: the rest may still get readings.
    with time_machine.travel(job.window_start + timedelta(minutes=21), tick=False):
        reallocate_tick()
    assert PowerTargetInterval.objects.filter(target=job).count() == 1  # 0-5 min, settled at 20.3 min

    settled = job.window_end + timedelta(seconds=settle_s(job) + 1)
    with time_machine.travel(settled, tick=False):
        reallocate_tick()
        reallocate_tick()  # a re-run tick writes nothing twice
        assert power_target_record(target=job) == 0
    rows = list(PowerTargetInterval.objects.filter(target=job).order_by("start"))
    assert [r.start.isoformat() for r in rows] == [i["start"] for i in computed["intervals"]]
    assert rows[0].plants_reporting == 4 and rows[0].measured_kw == pytest.approx(19.5)
    assert rows[0].plant_kw[str(participants[-1])] == pytest.approx(4.5)

    stored = delivery(bob_api, job)
    assert all(i["recorded"] for i in stored["intervals"])
    assert without_recorded(stored) == without_recorded(computed)
    # The intervals come from the stored rows: readings gone (or late ones arriving) no longer change them.
    PlantTelemetry.objects.filter(measured_at__gte=job.window_start).delete()
    again = delivery(bob_api, job)
    assert again["intervals"] == stored["intervals"]
    assert again["summary"]["delivered_kwh"] == computed["summary"]["delivered_kwh"]
    assert again["outcome"] == computed["outcome"]


@pytest.mark.django_db(transaction=True)
def test_two_recorders_at_once_write_each_interval_once(bob_api, job):
    """Two workers' ticks at the same moment, each on its own database connection: whichever way they
    interleave, each interval is one row (the unique constraint and the upsert)."""
    readings(job, dict.fromkeys(job.plants.values_list("plant_id", flat=True), -5000.0))
    settled = job.window_end + timedelta(seconds=settle_s(job) + 1)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            target = PowerTarget.objects.get(pk=job.pk)
            barrier.wait(timeout=30)
            power_target_record(target=target, now=settled)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert PowerTargetInterval.objects.filter(target=job).count() == 6


@pytest.mark.django_db
def test_stored_intervals_are_the_owners_only(bob_api, charlie_api, job):
    readings(job, dict.fromkeys(job.plants.values_list("plant_id", flat=True), -5000.0))
    with time_machine.travel(job.window_end + timedelta(seconds=settle_s(job) + 1), tick=False):
        reallocate_tick()
        assert charlie_api.get(f"{URL}/{job.job_id}/delivery").status_code == 404
    assert PowerTargetInterval.objects.filter(target=job).count() == 6


@pytest.mark.django_db
def test_confirmation_counts_readings_after_the_command_not_minutes(bob_api, job):
    """A plant read late (our reads held up, e.g. by the fleet's sends on the same quota) is confirmed by
    the first readings that do come; one that shows nothing in its first three readings is not."""
    late, slow, *rest = sorted(job.plants.values_list("plant_id", flat=True))
    readings(job, {pk: -5000.0 for pk in rest})
    start = job.window_start
    # `late`: no reading for 20 minutes after its command, then moving.
    PlantTelemetry.objects.bulk_create([
        PlantTelemetry(plant_id=late, measured_at=start + timedelta(minutes=m), battery_power_w=-5000.0)
        for m in (21, 26)
    ])  # fmt: skip
    # `slow`: read on time, idle in its first three readings, moving from the fourth.
    PlantTelemetry.objects.bulk_create([
        PlantTelemetry(plant_id=slow, measured_at=start + timedelta(minutes=m), battery_power_w=w)
        for m, w in ((1, 0.0), (6, 0.0), (11, 0.0), (16, -5000.0), (21, -5000.0))
    ])  # fmt: skip
    rows = {row["plant"]: row for row in delivery(bob_api, job)["plants"]}
    assert rows[late]["confirmed"] is True
    assert rows[slow]["confirmed"] is False
    assert all(rows[pk]["confirmed"] for pk in rest)
