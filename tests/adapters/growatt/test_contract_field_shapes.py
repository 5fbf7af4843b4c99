"""Contract: for every endpoint the adapter reads, an answer in the field's shape (our fixtures, written from
FIELD_NOTES.md) goes through the adapter to the right values, and the simulator's field profile serves the
same shape (the same keys with the same JSON types), so tests against the simulator stand for the field.
"""

from __future__ import annotations

import pytest

from tests.adapters.growatt.fixture_server import fixture_server, load
from vendors.base import ChargeDischarge, Outcome

# The fields the adapter reads, per endpoint (discovery.py, progress.py, adapter.py).
READ_FIELDS = {
    "plant__list.json": ("plant_id", "name", "latitude", "longitude", "peak_power", "country"),
    "plant__details__1201.json": ("name", "country", "latitude", "longitude", "timezone"),
    "device__list.json": ("device_id", "device_sn", "datalogger_sn", "type", "model", "lost", "status"),
    "device__datalogger__list.json": ("sn", "manufacturer", "last_update_time"),
    "device__inverter__inv_data_info.json": ("nominalPower",),
    "device__storage__storage_last_data.json": (
        "time", "status", "capacity", "pCharge", "pDischarge", "pacToGrid", "pacToUser", "eChargeTotal",
        "eDischargeTotal", "faultCode", "errorCode",
    ),
    "device__inverter__last_new_data.json": ("time", "status", "pac", "ppv"),
}  # fmt: skip


def _row(data):
    """The record of an answer: the object itself, or the first row of its list."""
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        return lists[0][0] if lists and lists[0] else data
    return data


def _kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _sim_answer(growatt, name: str) -> dict:
    plant = growatt.plants()[1]
    unit = plant["units"][0]
    by_plant = {"plant_id": plant["plant_id"]}
    requests = {
        "plant__list.json": ("GET", "/v1/plant/list", {}),
        "plant__details__1201.json": ("GET", "/v1/plant/details", by_plant),
        "device__list.json": ("GET", "/v1/device/list", by_plant),
        "device__datalogger__list.json": ("GET", "/v1/device/datalogger/list", by_plant),
        "device__inverter__inv_data_info.json": ("GET", "/v1/device/inverter/inv_data_info",
                                                 {"device_sn": unit["inverter_sn"]}),
        "device__storage__storage_last_data.json": ("POST", "/v1/device/storage/storage_last_data",
                                                    {"storage_sn": unit["storage_sn"]}),
        "device__inverter__last_new_data.json": ("GET", "/v1/device/inverter/last_new_data",
                                                 {"device_sn": unit["inverter_sn"]}),
    }  # fmt: skip
    method, path, params = requests[name]
    with growatt.sim.client() as api:
        response = api.get(path, params=params) if method == "GET" else api.post(path, data=params)
    return response.json()


@pytest.mark.parametrize("name", sorted(READ_FIELDS))
def test_the_simulator_serves_the_field_shape_of_each_endpoint_the_adapter_reads(growatt, name):
    fixture, served = load(name), _sim_answer(growatt, name)
    assert served["error_code"] == fixture["error_code"] == 0
    ours, theirs = _row(fixture["data"]), _row(served["data"])
    for field in READ_FIELDS[name]:
        assert field in theirs, f"{name}: the simulator has no {field}"
        if name == "plant__list.json" and field in ("latitude", "longitude"):
            assert _kind(theirs[field]) == "str"  # "" or "52.52": both forms are strings in the field
            continue
        assert _kind(theirs[field]) == _kind(ours[field]), (
            f"{name}: {field} {theirs[field]!r} vs {ours[field]!r}"
        )


def test_field_shaped_plants_devices_and_readings_parse_through_the_adapter(growatt):
    with fixture_server() as url:
        adapter = growatt.adapter(base_url=url, clock_speed=1.0)
        plants = {p.plant_code: p for p in adapter.list_plants()}
        devices = adapter.list_devices(["1201"])
        (kpi,) = adapter.realtime_kpis(["1201"])

    # "GMT+8" -> UTC+8; "PRC" -> Asia/Shanghai with 0/0 read as "no coordinates"; "1" (hours) -> UTC+1
    # even though the coordinates are in Germany: the device runs the fixed offset (FIELD_NOTES).
    assert plants["1201"].timezone == "Etc/GMT-8" and plants["1201"].latitude is None
    assert plants["1202"].timezone == "Asia/Shanghai" and plants["1202"].latitude is None
    assert plants["1203"].timezone == "Etc/GMT-1" and plants["1203"].latitude == pytest.approx(52.37)
    assert plants["1201"].pv_capacity_kwp == pytest.approx(8.8)
    kinds = {d.sn: d.device_type for d in devices}
    assert kinds == {"TZA0000042": "inverter", "SPB0000042": "battery", "JPC0000042": "logger"}
    assert next(d for d in devices if d.sn == "TZA0000042").rated_power_w == pytest.approx(3000)
    # Numbers as strings become numbers.
    assert kpi.soc_pct == pytest.approx(56.4) and kpi.battery_power_w == pytest.approx(2980.0)
    assert kpi.pv_power_w == pytest.approx(1610.0) and kpi.health == "ok"


def test_a_field_shaped_storage_reading_plans_a_charge_in_the_plants_offset(growatt):
    target_tz = "Etc/GMT-8"
    with fixture_server() as url:
        adapter = growatt.adapter(base_url=url, clock_speed=1.0)
        targets = [growatt.target(growatt.plants()[0])]
        target = targets[0].__class__(
            plant_code="1201", timezone=target_tz, storage_sns=("SPB0000042",), inverter_sns=("TZA0000042",),
            battery_rated_kwh=10.0,
        )  # fmt: skip
        (result,) = adapter.send(
            ChargeDischarge("charge", "duration", duration_min=60), [target], request_id="fixture-charge"
        ).results

    assert result.outcome == Outcome.ACCEPTED, result.message
    assert f"local ({target_tz})" in result.message
    assert result.remote_id and result.remote_id.split("|")[1] == "56.4"  # the SOC baseline, parsed
