"""Enrolment by datalogger SN and check code (# Growatt 4.3.10, 4.2.8, 4.3.2, 4.3.3): validate, create a
plant, add the datalogger; the unit then answers the device endpoints in the plant's local time."""

from tests.simulators.growatt.helpers import code, ok


def _pool_unit(growatt_sim) -> dict:
    return growatt_sim.control.plants(enrolled=False)[0]


def test_validate_checks_length_then_code_then_existence(growatt_sim, api, plant) -> None:
    pool = _pool_unit(growatt_sim)
    sn, check = pool["datalogger_sn"], pool["check_code"]
    assert (
        code(api.post("/v1/device/datalogger/validate", data={"datalogSn": "SHORT", "valiCode": check}))
        == 10001
    )
    assert (
        code(api.post("/v1/device/datalogger/validate", data={"datalogSn": sn, "valiCode": "WRONG1"}))
        == 10002
    )
    data = ok(api.post("/v1/device/datalogger/validate", data={"datalogSn": sn, "valiCode": check}))
    assert data == {"dataloggerSn": sn, "valiCode": check}
    taken = api.post(
        "/v1/device/datalogger/validate",
        data={"datalogSn": plant["datalogger_sn"], "valiCode": plant["check_code"]},
    )
    assert code(taken) == 10003
    assert taken.json()["data"]["plant_id"] == plant["plant_id"]
    assert taken.json()["data"]["user_id"] == plant["user_id"]


def test_enrol_flow_moves_the_unit_into_the_callers_new_plant(growatt_sim, api, storage_last) -> None:
    pool = _pool_unit(growatt_sim)
    sn = pool["datalogger_sn"]
    ok(api.post("/v1/device/datalogger/validate", data={"datalogSn": sn, "valiCode": pool["check_code"]}))
    plant_id = ok(
        api.post(
            "/v1/plant/add",
            data={
                "c_user_id": "1001",
                "name": "Enrolled Home",
                "peak_power": "6",
                "timezone_id": pool["timezone"],
            },
        )
    )["plant_id"]
    ok(api.post("/v1/device/datalogger/add", data={"plant_id": plant_id, "sn": sn, "c_user_id": "1001"}))

    devices = ok(api.get("/v1/device/list", params={"plant_id": plant_id}))["devices"]
    assert {d["device_sn"] for d in devices} == {pool["inverter_sn"], pool["storage_sn"]}
    assert storage_last(pool["storage_sn"])["capacity"] == round(pool["soc"], 2)
    truth = growatt_sim.control.plant(plant_id)
    assert truth["enrolled"] and truth["account"] == "account-1" and truth["datalogger_sn"] == sn
    assert sn not in {p["datalogger_sn"] for p in growatt_sim.control.plants(enrolled=False)}
    [command] = [c for c in growatt_sim.control.commands() if c["endpoint"] == "/v1/device/datalogger/add"]
    assert command["targets"] == [sn] and command["params"]["plant_id"] == plant_id
    again = api.post("/v1/device/datalogger/add", data={"plant_id": plant_id, "sn": sn, "c_user_id": "1001"})
    assert code(again) == 10003


def test_datalogger_add_errors(growatt_sim, api, plant) -> None:
    sn = _pool_unit(growatt_sim)["datalogger_sn"]
    pid = plant["plant_id"]
    add = "/v1/device/datalogger/add"
    assert code(api.post(add, data={"plant_id": pid, "sn": sn, "c_user_id": ""})) == 10006
    assert code(api.post(add, data={"plant_id": "", "sn": sn, "c_user_id": "1001"})) == 10002
    assert code(api.post(add, data={"plant_id": pid, "sn": "NOPE000000", "c_user_id": "1001"})) == 10002
    assert code(api.post(add, data={"plant_id": pid, "sn": sn, "c_user_id": "1002"})) == 10005
    assert code(api.post(add, data={"plant_id": "1", "sn": sn, "c_user_id": "1001"})) == 10004
    assert growatt_sim.control.commands() == []


def test_datalogger_delete_returns_the_unit_to_the_pool(growatt_sim, api, plant) -> None:
    pid, sn = plant["plant_id"], plant["datalogger_sn"]
    assert code(api.post("/v1/device/datalogger/delete", data={"plant_id": pid, "sn": "JPC9999999"})) == 10004
    assert code(api.post("/v1/device/datalogger/delete", data={"plant_id": "1", "sn": sn})) == 10003
    ok(api.post("/v1/device/datalogger/delete", data={"plant_id": pid, "sn": sn}))
    assert ok(api.get("/v1/device/list", params={"plant_id": pid}))["count"] == 0
    assert sn in {p["datalogger_sn"] for p in growatt_sim.control.plants(enrolled=False, limit=1000)}
    last = api.post("/v1/device/storage/storage_last_data", data={"storage_sn": plant["storage_sn"]})
    assert code(last) == 10002
