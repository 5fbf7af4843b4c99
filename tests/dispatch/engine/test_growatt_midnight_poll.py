"""A Growatt window over the plant's local midnight is sent in two halves (# Growatt 4.3.12: end not before
start, 10013); the second is armed by a poll after midnight. The engine polls a window of hours rarely (its
gap grows to 20 refreshes, 100 minutes of Growatt time), so without the adapter's `poll_by` the battery
idled from midnight until then: in production up to 100 minutes of a charge lost, and at a simulator's
speed on a busy machine the cause of plants ending short of their SOC target.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.models import DispatchTask, VendorRequest
from tests.dispatch.engine.world import enrol_growatt_plant, pause_at_local
from tests.plugins.celery_worker import wait_for

T = DispatchTask.State
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_second_half_of_a_window_over_midnight_is_armed_by_a_poll_just_after_it(
    start_engine, world, growatt_sim, bob_api
):
    control = growatt_sim.control
    row = next(
        p for p in control.plants(enrolled=True, limit=1000)
        if p["account"] == "account-1" and p["timezone"] == "Europe/Berlin" and p["has_battery"]
    )  # fmt: skip
    plant = enrol_growatt_plant(world, growatt_sim, row["plant_id"])
    # 23:30 Berlin, the clock paused: the window is 23:30-05:30, its second half due at 00:00.
    pause_at_local(control, BERLIN, 23, 30)
    start_engine(workers=1, concurrency=2)

    body = {
        "command": "charge_discharge",
        "params": {"action": "charge", "control": "duration", "duration_min": 360},
        "plants": [plant.pk],
    }
    created = bob_api.post("/api/v1/dispatches", body, format="json")
    assert created.status_code == 201, created.content
    request = wait_for(
        lambda: VendorRequest.objects.filter(job_id=created.json()["id"], state="sent").first(),
        timeout_s=120,
        interval_s=0.2,
        message="the charge to be sent",
    )
    task = DispatchTask.objects.get(job_id=created.json()["id"])
    assert task.state in (T.ACCEPTED, T.IN_PROGRESS), task.vendor_message
    assert control.plant(row["plant_id"])["units"][0]["schedule"]["ac_charge_window_min"] == [
        23 * 60 + 30,
        24 * 60,
    ]
    # Polled a device minute after midnight (31 minutes of Growatt time from the send, or from a poll that
    # came before it on a busy machine and found the device still at 23:30), not 100 minutes on.
    last = request.last_polled_at or request.sent_at
    assert request.next_poll_at <= last + timedelta(seconds=31 * 60 / growatt_sim.speed)

    control.advance(31 * 60)  # 00:01 Berlin: the poll it asked for finds the device past midnight
    wait_for(
        lambda: control.plant(row["plant_id"])["units"][0]["schedule"]["ac_charge_window_min"] == [0, 330],
        timeout_s=60,
        interval_s=0.2,
        message="the second half 00:00-05:30 to be armed",
    )
