"""device/list and datalogger/list (# Growatt 4.3.4, 4.3.1): an inverter (type 1) and a storage machine
(type 2) behind one datalogger per plant."""

from tests.simulators.growatt.helpers import code, ok

DEVICE_FIELDS = {
    "device_id", "datalogger_sn", "device_sn", "manufacturer", "model", "type", "last_update_time",
    "lost", "status",
}  # fmt: skip


def test_device_list_shows_inverter_and_storage_with_their_datalogger(api, plant) -> None:
    data = ok(api.get("/v1/device/list", params={"plant_id": plant["plant_id"]}))
    assert data["count"] == 2
    by_type = {d["type"]: d for d in data["devices"]}
    assert set(by_type[1]) == DEVICE_FIELDS
    assert by_type[1]["device_sn"] == plant["inverter_sn"]
    assert by_type[2]["device_sn"] == plant["storage_sn"]
    assert {d["datalogger_sn"] for d in data["devices"]} == {plant["datalogger_sn"]}
    assert all(d["lost"] == 0 for d in data["devices"])


def test_device_list_errors(api) -> None:
    assert code(api.get("/v1/device/list")) == 10002
    assert code(api.get("/v1/device/list", params={"plant_id": "12"})) == 10003


def test_datalogger_list(api, plant) -> None:
    data = ok(api.get("/v1/device/datalogger/list", params={"plant_id": plant["plant_id"]}))
    assert data["count"] == 1
    assert data["dataloggers"][0]["sn"] == plant["datalogger_sn"]
    assert code(api.get("/v1/device/datalogger/list", params={"plant_id": ""})) == 10002
    assert code(api.get("/v1/device/datalogger/list", params={"plant_id": "1"})) == 10003


def test_get_with_an_urlencoded_body_is_read(api, plant) -> None:
    response = api.request(
        "GET",
        "/v1/device/list",
        content=f"plant_id={plant['plant_id']}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert ok(response)["count"] == 2


def test_wrong_method_is_not_routed(api) -> None:
    assert api.post("/v1/device/list").status_code == 405
