"""Hybrid families in the simulator (FIELD_NOTES "Hybrid families"): MIN (tlx, type 7), SPH (mix, type 5) and
SPA (type 6) with their setters' ranges and codes, their latest records, and the VPP interface; the field's
slot written in parts that answers success and reverts."""

from __future__ import annotations

import pytest

from tests.simulators.growatt.helpers import code, morning_if_late, ok

FAMILY_TYPE = {"tlx": 7, "mix": 5, "spa": 6}
SN_PARAM = {"tlx": "tlx_sn", "mix": "mix_sn", "spa": "spa_sn"}


@pytest.fixture
def hybrids(growatt_sim, plants) -> dict[str, dict]:
    """Three of account-1's plants made a MIN, an SPH and an SPA; their true state after the change."""
    out = {}
    for plant, family in zip(plants[:3], ("tlx", "mix", "spa"), strict=True):
        growatt_sim.control.set_family([plant["plant_id"]], family)
        out[family] = growatt_sim.control.plant(plant["plant_id"])
    return out


def _vpp(api, sn: str, minutes: str, percentage: str):
    return api.post("/v1/vppRemoteSetNew", data={"vppSn": sn, "time": minutes, "percentage": percentage})


def test_device_list_shows_each_family_as_one_device_of_its_type(api, hybrids):
    for family, plant in hybrids.items():
        devices = ok(api.get("/v1/device/list", params={"plant_id": plant["plant_id"]}))["devices"]
        assert [(d["device_sn"], d["type"]) for d in devices] == [(plant["storage_sn"], FAMILY_TYPE[family])]
        assert plant["family"] == family


def test_last_data_reports_soc_and_the_battery_size_fields(api, hybrids):
    for family, plant in hybrids.items():
        record = ok(
            api.post(f"/v1/device/{family}/{family}_last_data", data={SN_PARAM[family]: plant["storage_sn"]})
        )
        soc = record["bdc1_soc"] if family == "tlx" else record["soc"]
        volts = record["bdc1_vbat"] if family == "tlx" else record["vbat"]
        assert soc == pytest.approx(plant["soc"], abs=0.1)
        kwh = record["bmsGaugeFCC"] * volts / 1000
        assert kwh == pytest.approx(plant["units"][0]["capacity_wh"] / 1000, rel=0.1)
        # another family's endpoint does not know the device
        other = "mix" if family != "mix" else "tlx"
        assert (
            code(
                api.post(f"/v1/device/{other}/{other}_last_data", data={SN_PARAM[other]: plant["storage_sn"]})
            )
            == 10002
        )


def test_get_soc_data_answers_beside_the_error_code(api, hybrids):
    sn = hybrids["mix"]["storage_sn"]
    body = api.post("/v1/device/vpp/getSocData", data={"vppSn": sn}).json()
    assert body["error_code"] == 0 and body["sn"] == sn and "data" not in body
    assert body["soc"] == pytest.approx(hybrids["mix"]["soc"], abs=0.1)
    assert api.post("/v1/device/vpp/getSocData", data={"vppSn": ""}).json()["error_code"] == 10003
    storage_sn = "SPB0000099"
    assert api.post("/v1/device/vpp/getSocData", data={"vppSn": storage_sn}).json()["error_code"] == 10002


def test_vpp_percentage_charges_at_its_share_of_the_rating_then_releases(growatt_sim, api, hybrids):
    growatt_sim.control.set_speed(0)
    plant = hybrids["tlx"]
    sn, before = plant["storage_sn"], plant["soc"]
    assert ok(_vpp(api, sn, "60", "50")) == 0
    growatt_sim.control.advance(600)  # 10 minutes at 50 % of 5 kW
    unit = growatt_sim.control.plant(plant["plant_id"])["units"][0]
    expected = min(100.0, before + 2500 * (600 / 3600) / unit["capacity_wh"] * 100)
    assert unit["soc"] == pytest.approx(expected, abs=0.2)
    assert unit["vpp"]["percentage"] == 50
    assert ok(_vpp(api, sn, "0", "0")) == 0  # release
    growatt_sim.control.advance(600)
    after = growatt_sim.control.plant(plant["plant_id"])["units"][0]
    assert after["vpp"] is None and after["soc"] == pytest.approx(unit["soc"], abs=0.01)


def test_vpp_codes_and_the_ten_second_rule(growatt_sim, api, hybrids):
    growatt_sim.control.set_speed(0)
    sn = hybrids["spa"]["storage_sn"]
    assert code(_vpp(api, "", "60", "50")) == 10004
    assert code(_vpp(api, "NOSUCH0001", "60", "50")) == 10012
    assert code(_vpp(api, sn, "", "50")) == 10007
    assert code(_vpp(api, sn, "60", "101")) == 10008
    assert code(_vpp(api, sn, "1441", "50")) == 10008
    assert code(_vpp(api, sn, "60", "-40")) == 0
    # another setting for the same device within 10 s: refused as too frequent
    refused = _vpp(api, sn, "30", "-20").json()
    assert refused["error_code"] == 10012 and refused["error_msg"].startswith("error_frequently_access")
    growatt_sim.control.advance(11)
    assert code(_vpp(api, sn, "30", "-20")) == 0
    periods = '[{"percentage": 60, "startTime": 120, "endTime": 60}]'
    growatt_sim.control.advance(11)
    assert code(api.post("/v1/vppSetNew", data={"vppSn": sn, "timePeriods": periods})) == 10008


CHARGE_PERIOD = ["50", "90", "1", "2", "0", "4", "0", "1", *["0"] * 10]


@pytest.mark.parametrize(
    ("family", "type_id", "values", "expected"),
    [
        ("tlx", "charge_power", ["80"], 0),
        ("tlx", "charge_power", ["101"], 10008),
        ("tlx", "discharge_stop_soc", [""], 10007),
        ("tlx", "ac_charge", ["2"], 10008),
        ("tlx", "time_segment1", ["1", "2", "0", "4", "0", "1"], 0),
        ("tlx", "time_segment9", ["3", "2", "0", "4", "0", "1"], 10008),
        ("tlx", "time_segment2", ["1", "5", "0", "4", "0", "1"], 10013),
        ("tlx", "time_segment10", ["1", "2", "0", "4", "0", "1"], 10006),
        ("mix", "mix_ac_charge_time_period", CHARGE_PERIOD, 0),
        ("mix", "mix_ac_charge_time_period", ["50", "90", "1", "24", "0", "4", "0", "1", *["0"] * 10], 10008),
        ("mix", "mix_ac_discharge_time_period", ["50", "20", "5", "0", "4", "0", "1", *["0"] * 10], 10013),
        ("mix", "spa_ac_charge_time_period", CHARGE_PERIOD, 10006),
        ("spa", "spa_ac_charge_time_period", CHARGE_PERIOD, 0),
        ("spa", "spa_ac_charge_time_period", ["", "90", "1", *["0"] * 15], 10007),
    ],
)
def test_family_setters_check_their_ranges(api, hybrids, family, type_id, values, expected):
    sn = hybrids[family]["storage_sn"]
    body = {SN_PARAM[family]: sn, "type": type_id, **{f"param{i}": v for i, v in enumerate(values, start=1)}}
    assert code(api.post(f"/v1/{family}Set", data=body)) == expected


def test_family_setter_codes_for_the_device(api, hybrids):
    assert code(api.post("/v1/mixSet", data={"mix_sn": "", "type": "mix_ac_charge_time_period"})) == 10004
    tlx_sn = hybrids["tlx"]["storage_sn"]
    assert code(api.post("/v1/mixSet", data={"mix_sn": tlx_sn, "type": "mix_ac_charge_time_period"})) == 10012


def test_a_period_written_in_parts_answers_success_and_reverts_in_the_field(growatt_sim, api, hybrids):
    growatt_sim.control.field(profile="field")
    plant = hybrids["mix"]
    sn = plant["storage_sn"]
    whole = {"mix_sn": sn, "type": "mix_ac_charge_time_period",
             **{f"param{i}": v for i, v in enumerate(CHARGE_PERIOD, start=1)}}  # fmt: skip
    assert ok(api.post("/v1/mixSet", data=whole)) == ""
    held = growatt_sim.control.plant(plant["plant_id"])["units"][0]["settings"]["mix_ac_charge_time_period"]
    in_parts = {**whole, "param1": "70", "param6": ""}  # period 1 without its end minute
    assert ok(api.post("/v1/mixSet", data=in_parts)) == ""
    unit = growatt_sim.control.plant(plant["plant_id"])["units"][0]
    assert unit["settings"]["mix_ac_charge_time_period"] == held  # reverted: the device kept its slot
    logged = [c for c in growatt_sim.control.commands() if c["endpoint"] == "/v1/mixSet"]
    assert len(logged) == 2  # the cloud took both


def test_a_period_written_in_parts_is_refused_by_the_document(api, hybrids):
    sn = hybrids["mix"]["storage_sn"]
    body = {"mix_sn": sn, "type": "mix_ac_charge_time_period",
            **{f"param{i}": v for i, v in enumerate(CHARGE_PERIOD, start=1)}, "param6": ""}  # fmt: skip
    assert code(api.post("/v1/mixSet", data=body)) == 10007


def test_a_whole_period_runs_on_the_device(growatt_sim, api, hybrids):
    growatt_sim.control.set_speed(0)
    plant = hybrids["spa"]
    local = morning_if_late(growatt_sim, plant["timezone"], 21)
    start = local.hour + 1
    values = ["100", "95", "1", str(start), "0", str(start + 1), "59", "1", *["0"] * 10]
    body = {"spa_sn": plant["storage_sn"], "type": "spa_ac_charge_time_period",
            **{f"param{i}": v for i, v in enumerate(values, start=1)}}  # fmt: skip
    assert ok(api.post("/v1/spaSet", data=body)) == ""
    schedule = growatt_sim.control.plant(plant["plant_id"])["units"][0]["schedule"]
    assert schedule["ac_charge_enabled"]
    assert schedule["ac_charge_window_min"] == [start * 60, (start + 1) * 60 + 59]
    assert schedule["ac_charge_soc_limit"] == 95
