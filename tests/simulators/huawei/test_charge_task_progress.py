"""Charge/discharge tasks progress over simulated time (# NBI V7 9.3.4, 9.3.5).

Status is refreshed every 3 minutes after receipt, a task not done in 24 h times out, energy reported
is |delta SOC| x rated kWh, and times carry the plant's UTC offset.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.simulators.huawei.helpers import HOUR, Nbi, dispatch, fail_code, ok


def status(nbi, sim, request_id):
    sim.control.advance(60)  # the status query is limited to once a minute
    return ok(nbi("/vpp/chargeAndDischargeStatus", {"requestID": request_id}))


def relogin(sim):
    """Long advances outlive the 30-minute token: log in again like a real client would."""
    return Nbi(sim.login(0))


def test_soc_charge_completes_when_the_battery_reaches_target(nbi, sim, plants):
    plant = plants[0]
    battery = plant["battery"]
    start_soc, target = battery["soc"], min(battery["soc"] + 20, 100)
    body = {
        "plantCodes": plant["plantCode"],
        "dispatchSwitch": 1,
        "controlType": 1,
        "targetSOC": target,
        "powerDispatch": 1000,
        "requestID": 1,
    }
    ok(nbi("/vpp/chargeAndDischarge", body))
    (row,) = status(nbi, sim, 1)
    assert row["status"] == 1 and row["execEndTime"] is None and row["dischargedCapacity"] is None
    hours_needed = (target - start_soc) / 100 * battery["ratedKwh"] / 1.0  # at 1 kW
    sim.control.advance(hours_needed * HOUR / 2)
    nbi = relogin(sim)
    (row,) = status(nbi, sim, 1)
    assert row["status"] == 1
    assert sim.control.plant(plant["plantCode"])["battery"]["powerW"] == 1000
    sim.control.advance(hours_needed * HOUR / 2 + 180)
    nbi = relogin(sim)
    (row,) = status(nbi, sim, 1)
    assert row["status"] == 0 and row["remoteID"]
    assert row["chargedCapacity"] == pytest.approx((target - start_soc) / 100 * battery["ratedKwh"], abs=0.01)
    started, ended = datetime.fromisoformat(row["execStartTime"]), datetime.fromisoformat(row["execEndTime"])
    assert (ended - started).total_seconds() == pytest.approx(hours_needed * HOUR, abs=2)
    assert started.utcoffset() is not None
    now = sim.control.plant(plant["plantCode"])
    assert now["battery"]["soc"] == pytest.approx(target) and now["battery"]["powerW"] == 0


def test_status_is_only_refreshed_every_3_minutes(nbi, sim, plants):
    plant = plants[0]
    target = plant["battery"]["soc"]  # already there: done at once, but reported at the first refresh
    ok(dispatch(nbi, plant["plantCode"], 5, dispatchSwitch=1, controlType=1, targetSOC=target))
    sim.control.advance(60)
    assert ok(nbi("/vpp/chargeAndDischargeStatus", {"requestID": 5}))[0]["status"] == 1
    sim.control.advance(60)
    assert ok(nbi("/vpp/chargeAndDischargeStatus", {"requestID": 5}))[0]["status"] == 1
    sim.control.advance(60)
    assert ok(nbi("/vpp/chargeAndDischargeStatus", {"requestID": 5}))[0]["status"] == 0


def test_duration_discharge_completes_after_its_minutes(nbi, sim, plants):
    plant = next(p for p in plants if p["battery"]["soc"] > 50)
    ok(
        dispatch(
            nbi, plant["plantCode"], 8, dispatchSwitch=2, controlType=2, dispatchTime=30, powerDispatch=-1000
        )
    )
    sim.control.advance(25 * 60)
    (row,) = status(nbi, sim, 8)
    assert row["status"] == 1
    sim.control.advance(5 * 60)
    (row,) = status(nbi, sim, 8)
    assert row["status"] == 0 and row["chargedCapacity"] is None
    assert row["dischargedCapacity"] == pytest.approx(0.5, abs=0.01)  # 1 kW for 30 minutes


def test_discharge_target_below_end_of_discharge_soc_times_out_after_24h(nbi, sim, plants):
    plant = plants[0]
    ok(dispatch(nbi, plant["plantCode"], 9, dispatchSwitch=2, controlType=1, targetSOC=0))
    sim.control.advance(23 * HOUR)
    nbi = relogin(sim)
    assert status(nbi, sim, 9)[0]["status"] == 1
    assert sim.control.plant(plant["plantCode"])["battery"]["soc"] == pytest.approx(
        100 - plant["battery"]["dod"]
    )
    sim.control.advance(HOUR)
    nbi = relogin(sim)
    (row,) = status(nbi, sim, 9)
    assert row["status"] == 2 and row["execEndTime"] is None and "timed out" in row["message"]


def test_offline_plant_task_stays_in_progress_until_the_timeout(nbi, sim, plants):
    sim.control.plants_offline([plants[0]["plantCode"]])
    data = ok(dispatch(nbi, plants[0]["plantCode"], 10, dispatchSwitch=1, controlType=2, dispatchTime=10))
    assert data[0]["dispatchResult"] == 0
    sim.control.advance(12 * HOUR)
    nbi = relogin(sim)
    assert status(nbi, sim, 10)[0]["status"] == 1
    assert sim.control.plant(plants[0]["plantCode"])["battery"]["soc"] == plants[0]["battery"]["soc"]
    sim.control.advance(12 * HOUR)
    nbi = relogin(sim)
    assert status(nbi, sim, 10)[0]["status"] == 2


def test_failing_plant_ends_its_task_with_status_2(nbi, sim, plants):
    codes = [plants[0]["plantCode"], plants[1]["plantCode"]]
    ok(dispatch(nbi, codes, 11, dispatchSwitch=1, controlType=1, targetSOC=100))
    sim.control.fail_tasks([plants[0]["plantCode"]])
    sim.control.advance(120)
    rows = status(nbi, sim, 11)
    assert [r["status"] for r in rows] == [2, 1]


def test_stop_ends_a_running_charge_with_status_0(nbi, sim, plants):
    code = plants[0]["plantCode"]
    ok(dispatch(nbi, code, 12, dispatchSwitch=1, controlType=1, targetSOC=100, powerDispatch=1000))
    sim.control.advance(600)
    ok(nbi("/vpp/chargeAndDischarge", {"plantCodes": code, "dispatchSwitch": 0, "requestID": 13}))
    assert sim.control.plant(code)["battery"]["powerW"] == 0
    sim.control.advance(120)
    (charge_row,) = status(nbi, sim, 12)
    assert charge_row["status"] == 0 and "new charge/discharge task" in charge_row["message"]
    assert charge_row["chargedCapacity"] == pytest.approx(1.0 * 600 / 3600, abs=0.01)
    (stop_row,) = status(nbi, sim, 13)
    assert stop_row["status"] == 0 and stop_row["chargedCapacity"] is None


def test_status_of_unknown_or_foreign_request_is_20050(nbi, nbi_other, sim, plants):
    assert fail_code(nbi("/vpp/chargeAndDischargeStatus", {})) == 20044
    sim.control.advance(60)
    assert fail_code(nbi("/vpp/chargeAndDischargeStatus", {"requestID": 12345})) == 20050
    sim.control.advance(60)
    ok(
        nbi(
            "/vpp/chargeAndDischarge",
            {"plantCodes": plants[0]["plantCode"], "dispatchSwitch": 0, "requestID": 14},
        )
    )
    assert fail_code(nbi_other("/vpp/chargeAndDischargeStatus", {"requestID": 14})) == 20050


def test_status_query_is_limited_to_once_a_minute(nbi, sim, plants):
    ok(
        nbi(
            "/vpp/chargeAndDischarge",
            {"plantCodes": plants[0]["plantCode"], "dispatchSwitch": 0, "requestID": 15},
        )
    )
    assert ok(nbi("/vpp/chargeAndDischargeStatus", {"requestID": 15}))
    assert fail_code(nbi("/vpp/chargeAndDischargeStatus", {"requestID": 15})) == 407
