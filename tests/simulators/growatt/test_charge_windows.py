"""AC-charge and forced-discharge windows set through storageSet move the battery in the plant's local
time, at the machine's power, to the stop SOC; storage_last_data shows it (# Growatt 4.3.12, 4.3.13:
``status`` 1 charging, 2 discharging, ``capacity`` = SOC). Driven in accelerated time with clock advance."""

from datetime import timedelta

import pytest

from tests.simulators.growatt.helpers import advance_to_local, code, morning_if_late, window_params


def _ac_charge(storage_set, sn: str, start, end, stop_soc: int) -> None:
    assert code(storage_set(sn, "storage_ac_charge_soc_limit", str(stop_soc))) == 0
    assert code(storage_set(sn, "storage_ac_charge_hour_start", *window_params(start, end))) == 0
    assert code(storage_set(sn, "storage_ac_charge_enable_disable", "1")) == 0


def test_ac_charge_window_charges_to_the_stop_soc_in_local_time(
    growatt_sim, plant, storage_set, storage_last
) -> None:
    tz, sn = plant["timezone"], plant["storage_sn"]
    unit = plant["units"][0]
    soc0 = plant["soc"]
    local = morning_if_late(growatt_sim, tz, latest_hour=16)
    start = (local + timedelta(hours=1)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=5)  # 60 % of 15 kWh at 2 kW takes 4.5 h: every plant fits
    _ac_charge(storage_set, sn, start, end, stop_soc=80)

    before = storage_last(sn)
    assert before["status"] == 0 and before["capacity"] == pytest.approx(soc0)

    advance_to_local(growatt_sim, tz, start + timedelta(minutes=10))
    charging = storage_last(sn)
    assert charging["status"] == 1
    assert charging["pCharge"] == unit["max_power_w"] and charging["pDischarge"] == 0
    assert charging["capacity"] > soc0

    advance_to_local(growatt_sim, tz, end + timedelta(minutes=5))
    done = storage_last(sn)
    assert done["capacity"] == 80.0
    assert done["status"] == 0 and done["pCharge"] == 0
    assert done["eChargeToday"] == pytest.approx((80 - soc0) / 100 * unit["capacity_wh"] / 1000, abs=0.002)
    assert growatt_sim.control.plant(plant["plant_id"])["soc"] == pytest.approx(80.0)


def test_charge_stops_at_the_window_end_before_the_stop_soc(
    growatt_sim, plant, storage_set, storage_last
) -> None:
    tz, sn = plant["timezone"], plant["storage_sn"]
    unit = plant["units"][0]
    local = morning_if_late(growatt_sim, tz, latest_hour=20)
    start = (local + timedelta(hours=1)).replace(second=0, microsecond=0)
    end = start + timedelta(minutes=6)  # 2-3 kW for 6 min: at most 0.3 kWh
    _ac_charge(storage_set, sn, start, end, stop_soc=80)
    advance_to_local(growatt_sim, tz, end + timedelta(hours=1))
    expected = plant["soc"] + unit["max_power_w"] * 0.1 / unit["capacity_wh"] * 100
    assert storage_last(sn)["capacity"] == pytest.approx(expected, abs=0.01)


def test_forced_discharge_window_discharges_to_the_lithium_floor(
    growatt_sim, plant, storage_set, storage_last
) -> None:
    tz, sn = plant["timezone"], plant["storage_sn"]
    local = morning_if_late(growatt_sim, tz, latest_hour=15)
    start = (local + timedelta(hours=1)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=6)  # 65 % of 15 kWh at 2 kW takes 4.9 h
    assert code(storage_set(sn, "storage_lithium_battery", "5")) == 0
    assert code(storage_set(sn, "storage_cmd_forced_discharge_time1", *window_params(start, end))) == 0
    assert code(storage_set(sn, "storage_cmd_forced_discharge_enable", "0")) == 0  # 0 = Enable (sic)

    advance_to_local(growatt_sim, tz, start + timedelta(minutes=10))
    discharging = storage_last(sn)
    assert discharging["status"] == 2 and discharging["pDischarge"] > 0
    assert discharging["capacity"] < plant["soc"]

    advance_to_local(growatt_sim, tz, end + timedelta(minutes=5))
    done = storage_last(sn)
    assert done["capacity"] == 5.0 and done["status"] == 0


def test_forced_discharge_enable_1_means_prohibited(growatt_sim, plant, storage_set, storage_last) -> None:
    tz, sn = plant["timezone"], plant["storage_sn"]
    local = morning_if_late(growatt_sim, tz, latest_hour=20)
    start = (local + timedelta(minutes=30)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=2)
    assert code(storage_set(sn, "storage_cmd_forced_discharge_time1", *window_params(start, end))) == 0
    assert code(storage_set(sn, "storage_cmd_forced_discharge_enable", "1")) == 0
    advance_to_local(growatt_sim, tz, start + timedelta(minutes=30))
    assert storage_last(sn)["status"] == 0
    assert storage_last(sn)["capacity"] == pytest.approx(plant["soc"])


def test_the_same_window_follows_each_plants_own_local_time(
    growatt_sim, plants, storage_set, storage_last
) -> None:
    europe = next(p for p in plants if p["timezone"] == "Europe/Berlin")
    sydney = next(p for p in plants if p["timezone"] == "Australia/Sydney")
    local = morning_if_late(growatt_sim, "Europe/Berlin", latest_hour=20)
    start = (local + timedelta(hours=1)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=2)
    sydney_local = growatt_sim.local_now("Australia/Sydney")
    # Sydney is 9-10 hours ahead: Berlin's next two hours are not the same local hours in Sydney.
    assert not (start.time() <= (sydney_local + timedelta(hours=1, minutes=10)).time() < end.time())
    for p in (europe, sydney):
        _ac_charge(storage_set, p["storage_sn"], start, end, stop_soc=80)

    advance_to_local(growatt_sim, "Europe/Berlin", start + timedelta(minutes=10))
    assert storage_last(europe["storage_sn"])["status"] == 1
    assert storage_last(sydney["storage_sn"])["status"] == 0
    assert storage_last(sydney["storage_sn"])["capacity"] == pytest.approx(sydney["soc"])


def test_storage_off_stops_charging_and_on_resumes_it(growatt_sim, plant, storage_set, storage_last) -> None:
    tz, sn = plant["timezone"], plant["storage_sn"]
    local = morning_if_late(growatt_sim, tz, latest_hour=18)
    start = (local + timedelta(minutes=30)).replace(second=0, microsecond=0)
    _ac_charge(storage_set, sn, start, start + timedelta(hours=4), stop_soc=80)
    advance_to_local(growatt_sim, tz, start + timedelta(minutes=5))
    assert storage_last(sn)["status"] == 1

    assert code(storage_set(sn, "storage_cmd_on_off", "0000")) == 0
    stopped = storage_last(sn)["capacity"]
    growatt_sim.control.advance(1800)
    assert storage_last(sn)["status"] == 0
    assert storage_last(sn)["capacity"] == pytest.approx(stopped)

    assert code(storage_set(sn, "storage_cmd_on_off", "0101")) == 0
    growatt_sim.control.advance(60)
    assert storage_last(sn)["status"] == 1
    assert storage_last(sn)["capacity"] > stopped
