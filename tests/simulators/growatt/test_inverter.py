"""Inverter reads and inverterSet (# Growatt 4.3.7-4.3.9, 4.3.15)."""

import json
from urllib.parse import urlencode

import pytest

from tests.simulators.growatt.helpers import code, ok


def _inverter_set(api, sn: str, param_id: str, c1: str, c2: str = ""):
    return api.post(
        "/v1/inverterSet", data={"device_sn": sn, "paramId": param_id, "command_1": c1, "command_2": c2}
    )


def test_last_new_data_describes_the_inverter(api, plant) -> None:
    data = ok(api.get("/v1/device/inverter/last_new_data", params={"device_sn": plant["inverter_sn"]}))
    assert data["device_sn"] == data["inverterId"] == plant["inverter_sn"]
    assert data["dataloggerSn"] == plant["datalogger_sn"]
    assert data["status"] == 1
    assert {"pac", "ppv", "powerToday", "vString8", "currentString8", "warnCode"} <= set(data)
    assert code(api.get("/v1/device/inverter/last_new_data", params={"device_sn": "TZA9999999"})) == 10001


@pytest.mark.parametrize("encoding", ["repeated", "comma", "json"])
def test_invs_data_reads_a_batch_in_any_array_encoding(api, plants, encoding) -> None:
    sns = [p["inverter_sn"] for p in plants[:3]]
    inverters = {
        "repeated": [("inverters", sn) for sn in sns],
        "comma": [("inverters", ",".join(sns))],
        "json": [("inverters", json.dumps(sns))],
    }[encoding]
    body = urlencode([("pageNum", "1"), *inverters])
    response = api.post(
        "/v1/device/inverter/invs_data",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert [r["inverterId"] for r in ok(response)["inverters"]] == sns


def test_invs_data_refuses_more_than_100(api) -> None:
    sns = ",".join(f"TZA{i:07d}" for i in range(101))
    assert code(api.post("/v1/device/inverter/invs_data", data={"pageNum": "1", "inverters": sns})) == 10001


def test_inv_data_info(api, plant) -> None:
    data = ok(api.get("/v1/device/inverter/inv_data_info", params={"device_sn": plant["inverter_sn"]}))
    assert data["serialNum"] == plant["inverter_sn"] and data["dataLogSn"] == plant["datalogger_sn"]
    assert data["lost"] == 0 and data["status"] == 1


def test_pv_on_off_switches_the_inverter(growatt_sim, api, plant) -> None:
    sn = plant["inverter_sn"]
    ok(_inverter_set(api, sn, "pv_on_off", "0000"))
    data = ok(api.get("/v1/device/inverter/last_new_data", params={"device_sn": sn}))
    assert data["status"] == 0 and data["pac"] == 0 and data["ppv"] == 0
    device = ok(api.get("/v1/device/list", params={"plant_id": plant["plant_id"]}))["devices"][0]
    assert device["type"] == 1 and device["status"] == 2  # standby
    ok(_inverter_set(api, sn, "pv_on_off", "0101"))
    assert ok(api.get("/v1/device/inverter/last_new_data", params={"device_sn": sn}))["status"] == 1
    [off, on] = growatt_sim.control.commands()
    assert off["targets"] == [sn] and off["params"] == {
        "paramId": "pv_on_off",
        "command_1": "0000",
        "command_2": "",
    }
    assert on["params"]["command_1"] == "0101"


@pytest.mark.parametrize(
    ("param_id", "c1", "c2", "expected"),
    [
        ("pv_on_off", "1", "", 10008),
        ("pv_on_off", "", "", 10007),
        ("pv_active_p_rate", "101", "", 10008),
        ("pv_active_p_rate", "100", "", 0),
        ("pv_reactive_p_rate", "50", "Sideways", 10008),
        ("pv_reactive_p_rate", "50", "", 10007),
        ("pv_reactive_p_rate", "50", "Over", 0),
        ("pv_power_factor", "0.7", "", 10008),
        ("pv_power_factor", "-0.9", "", 0),
        ("pf_sys_year", "2016-01-03 12:00", "", 10009),
        ("pf_sys_year", "2016-01-03 12:00:00", "", 0),
        ("pv_grid_voltage_high", "240.75", "", 10008),
        ("pv_grid_voltage_high", "240.7", "", 0),
        ("pv_pf_cmd_memory_state", "2", "", 10008),
        ("set_any_reg", "19", "1849", 10008),
        ("set_any_reg", "19", "2215", 0),
        ("set_any_reg", "22", "5015", 0),
        ("set_any_reg", "0", "1", 10008),
        ("set_any_reg", "30", "251", 10008),
        ("set_any_reg", "99", "1", 10008),
        ("no_such_param", "1", "", 10006),
    ],
)
def test_inverter_set_ranges(api, plant, param_id, c1, c2, expected) -> None:
    assert code(_inverter_set(api, plant["inverter_sn"], param_id, c1, c2)) == expected


def test_inverter_set_device_errors(api) -> None:
    assert code(_inverter_set(api, "", "pv_on_off", "0000")) == 10004
    assert code(_inverter_set(api, "TZA9999999", "pv_on_off", "0000")) == 10002


def test_active_power_rate_caps_output(api, plant) -> None:
    ok(_inverter_set(api, plant["inverter_sn"], "pv_active_p_rate", "0"))
    data = ok(api.get("/v1/device/inverter/last_new_data", params={"device_sn": plant["inverter_sn"]}))
    assert data["pac"] == 0
