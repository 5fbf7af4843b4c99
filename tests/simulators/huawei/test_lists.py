"""Plant list and device list (# NBI V7 9.2.1, 9.2.2)."""

from __future__ import annotations

import pytest

from tests.simulators.huawei.helpers import codes_csv, fail_code, ok


def test_plant_list_pages_over_the_accounts_plants(nbi, sim, plants):
    first = ok(nbi("/plants", {"pageNo": 1, "pageSize": 100}))
    assert (first["total"], first["pageCount"], first["pageNo"], first["pageSize"]) == (120, 2, 1, 100)
    sim.control.advance(60)  # one call a minute
    second = ok(nbi("/plants", {"pageNo": 2, "pageSize": 100}))
    listed = [p["plantCode"] for p in first["list"] + second["list"]]
    assert sorted(listed) == sorted(p["plantCode"] for p in plants)
    entry = first["list"][0]
    assert set(entry) == {
        "plantCode", "plantName", "plantAddress", "longitude", "latitude", "capacity",
        "contactPerson", "contactMethod", "gridConnectionDate",
    }  # fmt: skip
    assert entry["plantCode"].startswith("NE=") and len(entry["plantCode"]) == 11
    assert entry["gridConnectionDate"][-6] in "+-"  # time zone included


def test_plant_list_by_names(nbi, plants):
    names = [plants[3]["plantName"], plants[7]["plantName"]]
    data = ok(nbi("/plants", {"plantNames": ",".join(names)}))
    assert sorted(p["plantName"] for p in data["list"]) == sorted(names)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, 30004),
        ({"pageNo": 1}, 30005),
        ({"pageNo": 1, "pageSize": 40}, 30006),
        ({"pageNo": 0, "pageSize": 50}, 30021),
    ],
)
def test_plant_list_paging_errors(nbi, body, code):
    assert fail_code(nbi("/plants", body)) == code


def test_plant_list_is_limited_to_one_call_a_minute(nbi, sim):
    assert ok(nbi("/plants", {"pageNo": 1, "pageSize": 50}))
    assert fail_code(nbi("/plants", {"pageNo": 2, "pageSize": 50})) == 407
    sim.control.advance(59)
    assert fail_code(nbi("/plants", {"pageNo": 2, "pageSize": 50})) == 407  # refusals do not extend the wait
    sim.control.advance(1)
    assert ok(nbi("/plants", {"pageNo": 2, "pageSize": 50}))


def test_device_list_shows_inverter_battery_and_logger(nbi, plants):
    plant = plants[0]
    data = ok(nbi("/devices", {"plantCodes": plant["plantCode"], "pageNo": 1, "pageSize": 50}))
    by_type = {d["deviceTypeId"]: d for d in data["list"]}
    assert data["total"] == len(plant["devices"])
    assert 20822 in by_type and 20815 in by_type and (20821 in by_type or 20819 in by_type)
    battery = by_type[20815]
    assert battery["dn"] == plant["battery"]["dn"] and battery["dn"].startswith("NE=")
    assert battery["dataItemMap"]["ratedCapacity"] == plant["battery"]["ratedKwh"]
    assert set(battery["dataItemMap"]) == {"model", "ratedCapacity", "usableCapacity", "dod"}
    assert set(by_type[20822]["dataItemMap"]) == {"model", "ratedPower", "softwareVersion", "optimizerNumber"}


def test_device_list_filters_by_type(nbi, plants):
    data = ok(
        nbi(
            "/devices",
            {"plantCodes": codes_csv(plants[:10]), "deviceTypeId": 20815, "pageNo": 1, "pageSize": 50},
        )
    )
    assert data["total"] == 10 and {d["deviceTypeId"] for d in data["list"]} == {20815}


def test_device_list_refuses_other_accounts_plants_and_big_batches(nbi, sim, other_plants):
    body = {"plantCodes": other_plants[0]["plantCode"], "pageNo": 1, "pageSize": 50}
    assert fail_code(nbi("/devices", body)) == 20007
    sim.control.advance(60)
    too_many = ",".join(f"NE={n}" for n in range(101))
    assert fail_code(nbi("/devices", {"plantCodes": too_many, "pageNo": 1, "pageSize": 50})) == 20015
    sim.control.advance(60)
    assert fail_code(nbi("/devices", {"plantCodes": "", "pageNo": 1, "pageSize": 50})) == 20010
