"""Charge / discharge / stop end to end: sent as storageSet, read back from storage_last_data (Growatt
4.3.13) in accelerated time until the battery reaches its target, the window passes, or the device fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.adapters.growatt.helpers import poll_once
from vendors.base import ChargeDischarge, Outcome, TaskState
from vendors.errors import RateLimited


def _poll_until_done(growatt, adapter, command, request_id, target, remote_id, *, step_s=1200, limit=40):
    for _ in range(limit):
        growatt.control.advance(step_s)
        status = poll_once(adapter, command, request_id, target, remote_id)
        if status.state != TaskState.IN_PROGRESS:
            return status
    raise AssertionError(f"still in progress: {status}")


def test_soc_charge_completes_when_the_battery_reaches_the_target_in_accelerated_time(growatt):
    plant = next(p for p in growatt.plants() if p["soc"] < 60)
    target = growatt.target(plant)
    adapter = growatt.adapter()
    soc_before = growatt.unit(plant["plant_id"])["soc"]

    command = ChargeDischarge("charge", "soc", target_soc_pct=75)
    (result,) = adapter.send(command, [target], request_id="soc-1").results
    assert result.outcome == Outcome.ACCEPTED and result.remote_id

    status = _poll_until_done(growatt, adapter, command, "soc-1", target, result.remote_id)

    assert status.state == TaskState.COMPLETED, status.message
    unit = growatt.unit(plant["plant_id"])
    assert unit["soc"] == pytest.approx(75, abs=0.5)
    expected_kwh = (75 - soc_before) / 100 * target.battery_rated_kwh
    assert status.charged_kwh == pytest.approx(expected_kwh, rel=0.02, abs=0.05)  # eChargeTotal delta
    assert unit["schedule"]["ac_charge_enabled"] is False  # the daily window is disarmed once done
    assert status.exec_start is not None and status.exec_end is not None
    logged = len(growatt.control.commands())
    growatt.control.advance(3600)  # the house draws the battery down; the task stays completed
    assert poll_once(adapter, command, "soc-1", target, result.remote_id) == status
    assert len(growatt.control.commands()) == logged  # disarmed once


def test_duration_discharge_completes_when_the_window_has_passed(growatt):
    plant = next(p for p in growatt.plants() if p["soc"] > 40)
    target = growatt.target(plant)
    adapter = growatt.adapter()
    soc_before = growatt.unit(plant["plant_id"])["soc"]

    command = ChargeDischarge("discharge", "duration", duration_min=30)
    (result,) = adapter.send(command, [target], request_id="dis-1").results
    status = _poll_until_done(growatt, adapter, command, "dis-1", target, result.remote_id, step_s=600)

    assert status.state == TaskState.COMPLETED, status.message
    unit = growatt.unit(plant["plant_id"])
    assert unit["soc"] < soc_before
    assert status.discharged_kwh == pytest.approx(
        (soc_before - unit["soc"]) / 100 * target.battery_rated_kwh, rel=0.05
    )
    assert unit["schedule"]["forced_discharge_enabled"] is False


def test_stop_disarms_both_windows_at_once(growatt):
    plant = growatt.plants()[0]
    target = growatt.target(plant)
    adapter = growatt.adapter()
    adapter.send(ChargeDischarge("charge", "duration", duration_min=120), [target], request_id="s-1")
    adapter.send(ChargeDischarge("discharge", "duration", duration_min=60), [target], request_id="s-2")
    schedule = growatt.unit(plant["plant_id"])["schedule"]
    assert schedule["ac_charge_enabled"] and schedule["forced_discharge_enabled"]

    (result,) = adapter.send(ChargeDischarge("stop"), [target], request_id="s-3").results

    assert result.outcome == Outcome.ACCEPTED and result.final and result.state == TaskState.COMPLETED
    schedule = growatt.unit(plant["plant_id"])["schedule"]
    assert not schedule["ac_charge_enabled"] and not schedule["forced_discharge_enabled"]
    assert growatt.unit(plant["plant_id"])["status"] == 0


def test_a_device_that_accepts_but_does_nothing_fails_after_the_idle_grace(growatt):
    plant = next(p for p in growatt.plants() if p["soc"] < 60)
    target = growatt.target(plant)
    growatt.control.fail_tasks([plant["plant_id"]])
    adapter = growatt.adapter()

    command = ChargeDischarge("charge", "soc", target_soc_pct=80, duration_min=180)
    (result,) = adapter.send(command, [target], request_id="idle-1").results
    assert result.outcome == Outcome.ACCEPTED  # the cloud answered 0 (Growatt 4.3.12 answers at once)

    status = _poll_until_done(growatt, adapter, command, "idle-1", target, result.remote_id, step_s=600)

    assert status.state == TaskState.FAILED
    assert "did not charge" in status.message


def test_an_offline_plant_times_out(growatt):
    plant = growatt.plants()[1]
    target = growatt.target(plant)
    adapter = growatt.adapter()
    command = ChargeDischarge("charge", "duration", duration_min=30)
    (result,) = adapter.send(command, [target], request_id="off-1").results
    growatt.control.plants_offline([plant["plant_id"]])
    growatt.control.advance(3 * 3600)

    # Three hours of simulated time later by our clock too (the caller's sent_at), no fresh data.
    sent_at = datetime.now(UTC) - timedelta(seconds=3 * 3600 / growatt.sim.speed)
    status = poll_once(adapter, command, "off-1", target, result.remote_id, sent_at=sent_at)

    assert status.state == TaskState.TIMED_OUT
    assert "no fresh data" in status.message


def test_a_plant_without_a_battery_is_rejected_and_nothing_is_sent(growatt):
    plant = growatt.plants()[2]
    target = growatt.target(plant)
    growatt.control.no_battery([plant["plant_id"]])
    adapter = growatt.adapter()

    (result,) = adapter.send(
        ChargeDischarge("charge", "soc", target_soc_pct=70), [target], request_id="nb-1"
    ).results

    assert result.outcome == Outcome.REJECTED and result.final
    assert result.vendor_code == "10002"  # storage_last_data: energy storage machine does not exist (4.3.13)
    assert growatt.commands() == []


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        (ChargeDischarge("charge", "soc", target_soc_pct=90), "storage_ac_charge_soc_limit"),
        (ChargeDischarge("charge", "soc", target_soc_pct=5), "10-80 %"),
        (ChargeDischarge("discharge", "soc", target_soc_pct=30), "storage_lithium_battery"),
        (ChargeDischarge("charge", "duration", duration_min=0), "duration_min must be 1-1440"),
        (ChargeDischarge("discharge", "duration", duration_min=1441), "duration_min must be 1-1440"),
        (ChargeDischarge("charge", "soc"), "target_soc_pct is required"),
    ],
)
def test_a_target_outside_the_documented_range_is_rejected_naming_the_rule(growatt, command, rule):
    plant = growatt.plants()[0]
    adapter = growatt.adapter()

    (result,) = adapter.send(command, [growatt.target(plant)], request_id="range-1").results

    assert result.outcome == Outcome.REJECTED and result.final and result.state == TaskState.FAILED
    assert rule in result.message
    assert growatt.records == []  # refused before any call


def test_power_is_ignored_with_a_note_since_storage_set_has_no_power_parameter(growatt):
    plant = growatt.plants()[0]
    adapter = growatt.adapter()

    command = ChargeDischarge("charge", "duration", duration_min=60, power_w=1500)
    (result,) = adapter.send(command, [growatt.target(plant)], request_id="pw-1").results

    assert result.outcome == Outcome.ACCEPTED
    assert "power_w ignored" in result.message and "4.3.12" in result.message


def test_a_soc_command_already_met_sends_nothing_and_completes(growatt):
    plant = next(p for p in growatt.plants() if p["soc"] > 30)
    adapter = growatt.adapter()

    command = ChargeDischarge("charge", "soc", target_soc_pct=20)
    (result,) = adapter.send(command, [growatt.target(plant)], request_id="met-1").results

    assert result.outcome == Outcome.ACCEPTED and result.final and result.state == TaskState.COMPLETED
    assert growatt.commands() == []


def test_a_refused_step_is_reported_by_number_and_what_was_armed_is_undone(growatt):
    first, second = growatt.plants()[:2]
    # One plant with two storage machines: every machine is prepared, then each is armed in turn.
    target = growatt.target(first)
    sn_a, sn_b = first["storage_sn"], second["storage_sn"]
    target = type(target)(**{**target.__dict__, "storage_sns": (sn_a, sn_b)})
    growatt.control.set_speed(0)
    with growatt.sim.client() as api:  # someone else armed machine B a moment ago
        body = {"storage_sn": sn_b, "type": "storage_ac_charge_enable_disable", "param1": "1"}
        assert (
            api.post("/v1/storageSet", data={**body, "param2": " ", "param3": " ", "param4": " "}).json()[
                "error_code"
            ]
            == 0
        )
    adapter = growatt.adapter()
    command = ChargeDischarge("charge", "duration", duration_min=60)
    with pytest.raises(RateLimited):  # arming B is an identical request within the vendor's window
        adapter.send(command, [target], request_id="two-1")
    assert growatt.unit(first["plant_id"])["schedule"]["ac_charge_enabled"] is True  # A is armed

    growatt.control.plants_offline([second["plant_id"]])
    growatt.control.advance(301)
    (result,) = adapter.send(command, [target], request_id="two-1").results

    assert result.outcome == Outcome.REJECTED and result.final and result.vendor_code == "10005"
    assert "step 6/6 refused" in result.message and sn_b in result.message
    assert f"undone: storageSet storage_ac_charge_enable_disable=0 on {sn_a}" in result.message
    assert growatt.unit(first["plant_id"])["schedule"]["ac_charge_enabled"] is False
    logged = len(growatt.control.commands())
    (again,) = adapter.send(command, [target], request_id="two-1").results
    assert again == result and len(growatt.control.commands()) == logged  # final: a re-send sends nothing
