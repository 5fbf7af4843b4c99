"""Charge and discharge become storageSet windows in the PLANT'S local time (Growatt 4.3.12).

The simulated clock is paused and moved to chosen local hours, then the simulator's true schedule shows
where the window landed: minutes of the plant's local day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from tests.adapters.growatt.helpers import minutes, poll_once
from vendors.base import ChargeDischarge, Outcome, TaskState


def test_charge_in_sydney_lands_in_sydney_local_hours(growatt):
    plant = growatt.plant_in("Australia/Sydney")
    adapter = growatt.adapter()
    start = growatt.pause_at("Australia/Sydney", 14, 20)

    command = ChargeDischarge("charge", "duration", duration_min=90)
    (result,) = adapter.send(command, [growatt.target(plant)], request_id="syd-1").results

    assert result.outcome == Outcome.ACCEPTED and not result.final
    assert "14:20-15:50 local (Australia/Sydney)" in result.message
    schedule = growatt.unit(plant["plant_id"])["schedule"]
    assert schedule["ac_charge_window_min"] == [minutes(start), minutes(start) + 90] == [860, 950]
    assert schedule["ac_charge_enabled"] is True
    assert schedule["ac_charge_soc_limit"] == 80  # a duration charge charges as far as Growatt allows
    # Arming comes last: a refusal of an earlier step would have left nothing armed.
    sent = [c["params"]["type"] for c in growatt.commands()]
    assert sent == [
        "storage_ac_charge_soc_limit",
        "storage_ac_charge_hour_start",
        "storage_ac_charge_enable_disable",
    ]


def test_discharge_in_sydney_sets_the_forced_discharge_window_and_soc_floor(growatt):
    plant = growatt.plant_in("Australia/Sydney")
    adapter = growatt.adapter()
    growatt.pause_at("Australia/Sydney", 18, 0)

    command = ChargeDischarge("discharge", "soc", target_soc_pct=10, duration_min=120)
    (result,) = adapter.send(command, [growatt.target(plant)], request_id="syd-2").results

    assert result.outcome == Outcome.ACCEPTED
    schedule = growatt.unit(plant["plant_id"])["schedule"]
    assert schedule["forced_discharge_window_min"] == [18 * 60, 20 * 60]
    assert schedule["forced_discharge_enabled"] is True  # sent as "0": the document's 0 = Enable
    assert schedule["soc_floor"] == 10
    enable = growatt.commands()[-1]["params"]
    assert enable["type"] == "storage_cmd_forced_discharge_enable" and enable["param1"] == "0"


def test_charge_in_berlin_over_local_midnight_is_split_and_completes(growatt):
    plant = growatt.plant_in("Europe/Berlin")
    target = growatt.target(plant)
    adapter = growatt.adapter()
    start = growatt.pause_at("Europe/Berlin", 23, 0)
    soc_before = growatt.unit(plant["plant_id"])["soc"]

    command = ChargeDischarge("charge", "duration", duration_min=120)
    (result,) = adapter.send(command, [target], request_id="ber-1").results

    # 23:00-01:00 cannot be one window (end before start is error 10013): today's part first.
    assert result.outcome == Outcome.ACCEPTED
    assert "then 00:00-01:00 after midnight" in result.message
    assert growatt.unit(plant["plant_id"])["schedule"]["ac_charge_window_min"] == [23 * 60, 24 * 60]

    growatt.advance_to(start + timedelta(minutes=30))
    status = poll_once(adapter, command, "ber-1", target, result.remote_id)
    assert status.state == TaskState.IN_PROGRESS
    assert growatt.unit(plant["plant_id"])["status"] == 1  # charging at 23:30 Berlin

    growatt.advance_to(start + timedelta(minutes=65))  # 00:05 Berlin, the next local day
    status = poll_once(adapter, command, "ber-1", target, result.remote_id)
    assert status.state == TaskState.IN_PROGRESS
    unit = growatt.unit(plant["plant_id"])
    assert unit["schedule"]["ac_charge_window_min"] == [0, 60]
    assert unit["status"] == 1 or unit["soc"] >= 79.9  # charging again after local midnight

    growatt.advance_to(start + timedelta(minutes=125))  # 01:05 Berlin: the window has passed
    status = poll_once(adapter, command, "ber-1", target, result.remote_id)
    assert status.state == TaskState.COMPLETED
    unit = growatt.unit(plant["plant_id"])
    assert unit["schedule"]["ac_charge_enabled"] is False  # disarmed, or it would charge again tomorrow
    assert unit["soc"] > soc_before
    assert status.charged_kwh is not None and status.charged_kwh > 0
    windows = [
        c["params"] for c in growatt.commands() if c["params"]["type"] == "storage_ac_charge_hour_start"
    ]
    assert [(w["param1"], w["param2"], w["param3"], w["param4"]) for w in windows] == [
        ("23", "0", "24", "0"),
        ("0", "0", "1", "0"),
    ]


def test_a_window_over_midnight_asks_to_be_polled_a_device_minute_after_it(growatt):
    """A window of hours is polled rarely (the engine's gap grows to an hour or more of vendor time); its
    second half must not wait for that: the send and each poll before midnight ask for a poll a device
    minute past it (our clock, through the account's clock speed); the poll that arms it asks no more."""
    plant = growatt.plant_in("Europe/Berlin")
    target = growatt.target(plant)
    adapter = growatt.adapter()
    speed = adapter.account.clock_speed
    start = growatt.pause_at("Europe/Berlin", 22, 30)

    def due_in(poll_by: datetime, before: datetime, after: datetime, device_s: float) -> bool:
        wait = timedelta(seconds=device_s / speed)
        return before + wait <= poll_by <= after + wait

    command = ChargeDischarge("charge", "duration", duration_min=360)  # 22:30-04:30
    before = datetime.now(UTC)
    (result,) = adapter.send(command, [target], request_id="ber-poll-by").results
    after = datetime.now(UTC)
    assert result.outcome == Outcome.ACCEPTED and "then 00:00-04:30 after midnight" in result.message
    assert result.poll_by is not None and due_in(result.poll_by, before, after, 90 * 60 + 60)

    growatt.advance_to(start + timedelta(minutes=60))  # 23:30 Berlin
    before = datetime.now(UTC)
    status = poll_once(adapter, command, "ber-poll-by", target, result.remote_id)
    after = datetime.now(UTC)
    assert status.state == TaskState.IN_PROGRESS
    assert status.poll_by is not None and due_in(status.poll_by, before, after, 30 * 60 + 60)

    growatt.advance_to(start + timedelta(minutes=91))  # 00:01 Berlin: the poll it asked for
    status = poll_once(adapter, command, "ber-poll-by", target, result.remote_id)
    assert status.state == TaskState.IN_PROGRESS and status.poll_by is None
    assert growatt.unit(plant["plant_id"])["schedule"]["ac_charge_window_min"] == [0, 4 * 60 + 30]


def test_a_window_within_the_local_day_asks_for_no_early_poll(growatt):
    plant = growatt.plant_in("Europe/Berlin")
    adapter = growatt.adapter()
    growatt.pause_at("Europe/Berlin", 9, 0)
    command = ChargeDischarge("charge", "duration", duration_min=120)
    (result,) = adapter.send(command, [growatt.target(plant)], request_id="ber-day").results
    assert result.outcome == Outcome.ACCEPTED and result.poll_by is None


def test_a_window_ending_exactly_at_midnight_is_not_split(growatt):
    plant = growatt.plant_in("Europe/Berlin")
    adapter = growatt.adapter()
    growatt.pause_at("Europe/Berlin", 22, 30)

    command = ChargeDischarge("discharge", "duration", duration_min=90)
    (result,) = adapter.send(command, [growatt.target(plant)], request_id="ber-2").results

    assert result.outcome == Outcome.ACCEPTED and "after midnight" not in result.message
    assert growatt.unit(plant["plant_id"])["schedule"]["forced_discharge_window_min"] == [
        22 * 60 + 30,
        24 * 60,
    ]


def test_a_window_armed_ahead_starts_at_its_own_time(growatt):
    """A power target arms Growatt windows before the start (ChargeDischarge.window_start): the window
    lands at that time on the device's clock, not when the settings were sent."""
    plant = growatt.plant_in("Australia/Sydney")
    adapter = growatt.adapter()
    start = growatt.pause_at("Australia/Sydney", 14, 20)
    # window_start is on our clock: 40 vendor minutes ahead is 40 min / speed of ours. Our clock stands
    # still too while the adapter reads and plans (the simulated one is paused), so the real time this
    # call takes on a busy machine cannot move the window (at speed 600, 100 ms is a vendor minute).
    with time_machine.travel(datetime.now(UTC), tick=False):
        lead = timedelta(minutes=40) / growatt.sim.speed
        command = ChargeDischarge(
            "discharge", "duration", duration_min=60, window_start=datetime.now(UTC) + lead
        )
        (result,) = adapter.send(command, [growatt.target(plant)], request_id="syd-armed").results

    assert result.outcome == Outcome.ACCEPTED
    assert "15:00-16:00 local (Australia/Sydney)" in result.message
    schedule = growatt.unit(plant["plant_id"])["schedule"]
    assert schedule["forced_discharge_window_min"] == [minutes(start) + 40, minutes(start) + 100]
    assert growatt.unit(plant["plant_id"])["status"] == 0  # armed, not discharging yet
