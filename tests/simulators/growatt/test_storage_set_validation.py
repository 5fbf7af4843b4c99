"""storageSet parameter rules (# Growatt 4.3.12): every type with its documented range, and the error
codes 10004, 10006, 10007, 10008, 10009, 10012 and 10013. A refused setting is never logged."""

import pytest

from tests.simulators.growatt.helpers import BLANK, code

WINDOW_TYPES = ("storage_cmd_forced_discharge_time1", "storage_ac_charge_hour_start")

CASES = [
    ("storage_cmd_on_off", ("0000",), 0),
    ("storage_cmd_on_off", ("0101",), 0),
    ("storage_cmd_on_off", ("1",), 10008),
    ("storage_cmd_mode", ("1",), 0),
    ("storage_cmd_mode", ("0",), 0),
    ("storage_cmd_mode", ("2",), 10008),
    ("storage_cmd_forced_discharge_enable", ("0",), 0),
    ("storage_cmd_forced_discharge_enable", ("1",), 0),
    ("storage_cmd_forced_discharge_enable", ("yes",), 10008),
    ("storage_lithium_battery", ("0",), 0),
    ("storage_lithium_battery", ("10",), 0),
    ("storage_lithium_battery", ("11",), 10008),
    ("storage_lithium_battery", ("-1",), 10008),
    ("storage_lithium_battery", ("5.5",), 10008),
    ("storage_fdt_open_voltage", ("400", "300"), 0),  # 0.75 x open circuit voltage
    ("storage_fdt_open_voltage", ("299", "200"), 10008),
    ("storage_fdt_open_voltage", ("501", "300"), 10008),
    ("storage_fdt_open_voltage", ("400", "219"), 10008),  # below 0.55 x 400
    ("storage_fdt_open_voltage", ("400", "361"), 10008),  # above 0.9 x 400
    ("storage_fdt_open_voltage", ("400", BLANK), 10007),
    ("storage_cmd_sys_year", ("2016-01-03 12:00",), 0),
    ("storage_cmd_sys_year", ("2016-01-03 12:00:00",), 10009),
    ("storage_cmd_sys_year", ("03/01/2016 12:00",), 10009),
    ("storage_ac_charge_enable_disable", ("1",), 0),
    ("storage_ac_charge_enable_disable", ("0",), 0),
    ("storage_ac_charge_enable_disable", ("2",), 10008),
    ("storage_ac_charge_soc_limit", ("10",), 0),
    ("storage_ac_charge_soc_limit", ("80",), 0),
    ("storage_ac_charge_soc_limit", ("9",), 10008),
    ("storage_ac_charge_soc_limit", ("81",), 10008),
    ("storage_ac_charge_soc_limit", ("abc",), 10008),
    ("storage_ac_charge_soc_limit", (BLANK,), 10007),
    ("no_such_type", ("1",), 10006),
    ("", ("1",), 10006),
]
for window in WINDOW_TYPES:
    CASES += [
        (window, ("1", "30", "5", "0"), 0),
        (window, ("0", "0", "24", "0"), 0),  # the whole day
        (window, ("6", "0", "6", "0"), 0),  # empty window
        (window, ("25", "0", "26", "0"), 10008),
        (window, ("1", "60", "2", "0"), 10008),
        (window, ("1", "0", "24", "30"), 10008),  # past the end of the day
        (window, ("1", "0", "2", BLANK), 10007),
        (window, ("5", "0", "1", "0"), 10013),  # end before start
        (window, ("5", "30", "5", "29"), 10013),
    ]


@pytest.mark.parametrize(("type_id", "values", "expected"), CASES)
def test_storage_set_ranges(growatt_sim, storage_set, plant, type_id, values, expected) -> None:
    assert code(storage_set(plant["storage_sn"], type_id, *values)) == expected
    assert len(growatt_sim.control.commands()) == (1 if expected == 0 else 0)


def test_storage_set_device_errors(storage_set, plants) -> None:
    assert code(storage_set("", "storage_cmd_mode", "1")) == 10004
    assert code(storage_set("SPB9999999", "storage_cmd_mode", "1")) == 10012  # machine does not exist


def test_storage_set_requires_all_four_params(api, plant) -> None:
    data = {"storage_sn": plant["storage_sn"], "type": "storage_cmd_mode", "param1": "1"}
    assert code(api.post("/v1/storageSet", data=data)) == 10007


def test_accepted_setting_is_logged_with_device_type_and_params(growatt_sim, storage_set, plant) -> None:
    assert code(storage_set(plant["storage_sn"], "storage_ac_charge_hour_start", "1", "30", "5", "0")) == 0
    [command] = growatt_sim.control.commands()
    assert command["endpoint"] == "/v1/storageSet"
    assert command["account"] == "account-1"
    assert command["targets"] == [plant["storage_sn"]]
    assert command["params"] == {
        "type": "storage_ac_charge_hour_start", "param1": "1", "param2": "30", "param3": "5", "param4": "0",
    }  # fmt: skip
    schedule = growatt_sim.control.plant(plant["plant_id"])["units"][0]["schedule"]
    assert schedule["ac_charge_window_min"] == [90, 300]
