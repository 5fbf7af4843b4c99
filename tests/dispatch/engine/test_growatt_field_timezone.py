"""A dispatch to a Growatt plant whose cloud reports its time zone as "GMT+8" (the field's form, FIELD_NOTES
"time zones") arms its window in UTC+8 local time: the sync resolves "GMT+8" to Etc/GMT-8, the engine sends
the plant's local window through a real worker, and the simulator's true schedule shows where it landed.
Before issue 14 such a plant fell back to UTC and its window was written eight hours off.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from dispatch.models import DispatchTask
from tests.dispatch.engine.world import enrol_growatt_plant, pause_at_local
from tests.plugins.celery_worker import wait_for

T = DispatchTask.State
UTC8 = ZoneInfo("Etc/GMT-8")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_charge_to_a_plant_reporting_gmt_plus_8_arms_its_window_in_utc_plus_8(
    start_engine, world, growatt_sim, bob_api
):
    control = growatt_sim.control
    shanghai = next(
        p for p in control.plants(enrolled=True, limit=1000)
        if p["account"] == "account-1" and p["timezone"] == "Asia/Shanghai"
    )  # fmt: skip
    with growatt_sim.client() as api:
        shown = api.get("/v1/plant/details", params={"plant_id": shanghai["plant_id"]}).json()["data"]
    assert shown["timezone"] == "GMT+8"  # the field's form, not an IANA name
    # No coordinates either (issue 14: ""), so only "GMT+8" can tell where the plant's clock is.
    control.plants_coordinates([shanghai["plant_id"]], "", "")
    control.advance(301)  # our look was a plant/details call: the sync's own must not be its repeat
    _charge_lands_at_14_20_local(shanghai, "Etc/GMT-8", UTC8, growatt_sim, world, start_engine, bob_api)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("clock", "shown", "offset"),
    [("UTC-03:30", "GMT-3:30", -210), ("UTC+12:45", "GMT+12:45", 765)],
)
def test_a_charge_to_a_plant_on_a_fractional_offset_arms_its_window_in_that_local_time(
    start_engine, world, growatt_sim, bob_api, clock, shown, offset
):
    """No IANA zone keeps -3:30 or +12:45 all year (St_Johns and Chatham change with DST): the sync stores
    the fixed offset and the window is written on the device's fixed-offset clock."""
    control = growatt_sim.control
    plant_row = next(
        p for p in control.plants(enrolled=True, limit=1000)
        if p["account"] == "account-1" and p["has_battery"]
    )  # fmt: skip
    control.plants_clock([plant_row["plant_id"]], clock)  # the devices keep that offset all year
    control.plants_coordinates([plant_row["plant_id"]], "", "")
    with growatt_sim.client() as api:
        got = api.get("/v1/plant/details", params={"plant_id": plant_row["plant_id"]}).json()["data"]
    assert got["timezone"] == shown
    control.advance(301)
    zone = timezone(timedelta(minutes=offset))
    _charge_lands_at_14_20_local(plant_row, clock, zone, growatt_sim, world, start_engine, bob_api)


def _charge_lands_at_14_20_local(plant_row, stored, zone, growatt_sim, world, start_engine, bob_api):
    control = growatt_sim.control
    plant = enrol_growatt_plant(world, growatt_sim, plant_row["plant_id"])
    assert plant.timezone == stored
    fleet = world.fleet(plants=[plant])
    pause_at_local(control, zone, 14, 20)  # 14:20 local, the clock paused so the window's place is exact
    start_engine(workers=1, concurrency=2)

    body = {
        "command": "charge_discharge",
        "params": {"action": "charge", "control": "duration", "duration_min": 90},
        "fleet": fleet.pk,
    }
    created = bob_api.post(
        "/api/v1/dispatches", body, format="json", HTTP_IDEMPOTENCY_KEY=f"tz-charge-{stored}"
    )
    assert created.status_code == 201, created.content

    def armed():
        task = DispatchTask.objects.get(job_id=created.json()["id"])
        return task.state in (T.ACCEPTED, T.IN_PROGRESS, T.FAILED, T.REJECTED) and task

    task = wait_for(armed, timeout_s=120, interval_s=0.3, message="the charge to be sent")
    assert task.state in (T.ACCEPTED, T.IN_PROGRESS), task.vendor_message
    schedule = control.plant(plant_row["plant_id"])["units"][0]["schedule"]
    start, end = schedule["ac_charge_window_min"]
    # 14:20 local (UTC would be hours off): the engine reads "now" off the device's last record, which
    # at speed 600 may put it a simulated minute or two later on a loaded machine.
    assert 14 * 60 + 20 <= start <= 14 * 60 + 23 and end - start == 90
    assert schedule["ac_charge_enabled"] is True
