"""Enrolment by datalogger SN and check code (Growatt 4.3.10 validate + 4.3.2 add), discovery (4.2.1,
4.2.4, 4.3.1, 4.3.4, 4.3.15) and realtime KPIs (4.3.8, 4.3.13) with our sign conventions."""

from __future__ import annotations

import pytest

from vendors.base import ChargeDischarge, SnEnrolment


def _pool(growatt) -> list[dict]:
    return growatt.control.plants(enrolled=False, limit=1000)


def test_a_datalogger_with_its_check_code_joins_the_named_existing_plant(growatt):
    logger = _pool(growatt)[0]
    plant = growatt.plants()[3]
    adapter = growatt.adapter()

    (result,) = adapter.enrol_by_sn(
        [SnEnrolment(sn=logger["datalogger_sn"], check_code=logger["check_code"], plant_name=plant["name"])]
    )

    assert result.success, result.error
    assert result.plant_code == str(plant["plant_id"]) and result.plant_name == plant["name"]
    devices = {d.sn: d.device_type for d in adapter.list_devices([result.plant_code])}
    assert devices[logger["datalogger_sn"]] == "logger"
    assert devices[logger["storage_sn"]] == "battery" and devices[logger["inverter_sn"]] == "inverter"


def test_a_datalogger_for_a_new_plant_gets_a_plant_in_its_timezone(growatt):
    logger = _pool(growatt)[1]
    adapter = growatt.adapter()

    (result,) = adapter.enrol_by_sn(
        [
            SnEnrolment(
                sn=logger["datalogger_sn"],
                check_code=logger["check_code"].lower(),
                plant_name="Smith family, Heidelberg",
                timezone="Europe/Berlin",
            )
        ]
    )

    assert result.success, result.error
    created = {p.plant_code: p for p in adapter.list_plants()}[result.plant_code]
    assert created.name == "Smith family, Heidelberg" and created.timezone == "Europe/Berlin"
    unit = growatt.control.plant(int(result.plant_code))["units"][0]
    assert unit["datalogger_sn"] == logger["datalogger_sn"] and unit["timezone"] == "Europe/Berlin"


def test_re_enrolling_a_datalogger_already_in_our_plant_is_harmless(growatt):
    plant = growatt.plants()[0]
    adapter = growatt.adapter()

    (result,) = adapter.enrol_by_sn([SnEnrolment(sn=plant["datalogger_sn"], check_code=plant["check_code"])])

    assert result.success and result.plant_code == str(plant["plant_id"])
    assert growatt.commands("/v1/device/datalogger/add") == []


@pytest.mark.parametrize(
    ("sn", "code", "error"),
    [
        ("first-pool", "ZZZZZZ", "10002"),  # SN and check code do not match
        ("JPC123", "ABCDEF", "10001"),  # wrong length
        ("first-pool", None, "check_code is required"),
        ("account-2", "own", "another account"),
    ],
)
def test_enrolment_refusals_are_reported_per_item(growatt, sn, code, error):
    pool = _pool(growatt)[0]
    other = growatt.plants("account-2")[0]
    sn = {"first-pool": pool["datalogger_sn"], "account-2": other["datalogger_sn"]}.get(sn, sn)
    code = other["check_code"] if code == "own" else code
    adapter = growatt.adapter()

    (result,) = adapter.enrol_by_sn([SnEnrolment(sn=sn, check_code=code, plant_name="Anything")])

    assert result.success is False and result.key == sn
    assert error in result.error
    assert growatt.commands("/v1/device/datalogger/add") == []


def test_enrolment_by_authorisation_code_is_not_offered_by_growatt(growatt):
    adapter = growatt.adapter()

    results = adapter.enrol_by_ac(["AC-1", "AC-2"])

    assert [r.key for r in results] == ["AC-1", "AC-2"]
    assert all(not r.success and "datalogger SN and check code" in r.error for r in results)
    assert growatt.records == []


@pytest.mark.usefixtures("document_profile")  # IANA names; the field's "GMT+8": test_field_timezones.py
def test_list_plants_gives_every_plant_of_the_account_with_its_timezone(growatt):
    adapter = growatt.adapter()

    plants = {p.plant_code: p for p in adapter.list_plants()}

    truth = {str(p["plant_id"]): p for p in growatt.plants()}
    assert plants.keys() == truth.keys()
    for code, plant in plants.items():
        assert plant.name == truth[code]["name"] and plant.timezone == truth[code]["timezone"]
        assert plant.pv_capacity_kwp and plant.pv_capacity_kwp > 0


def test_list_devices_gives_inverter_storage_and_datalogger_with_rated_power(growatt):
    plant = growatt.plants()[0]
    adapter = growatt.adapter()

    devices = adapter.list_devices([str(plant["plant_id"])])

    by_type = {d.device_type: d for d in devices}
    unit = plant["units"][0]
    assert (
        by_type["inverter"].sn == unit["inverter_sn"]
        and by_type["inverter"].rated_power_w == unit["pv_peak_w"]
    )
    assert by_type["battery"].sn == unit["storage_sn"]
    assert by_type["logger"].sn == unit["datalogger_sn"]


def test_realtime_kpis_follow_our_sign_conventions_while_charging(growatt):
    plant = next(p for p in growatt.plants() if p["soc"] < 60)
    adapter = growatt.adapter()
    adapter.send(
        ChargeDischarge("charge", "duration", duration_min=120), [growatt.target(plant)], request_id="k-1"
    )
    # The battery charges while we look: hold the simulated clock still so that the adapter's reading and
    # the simulator's truth below are of the same instant (at speed 600 a busy machine's second is ten
    # vendor minutes of charging). Six minutes on, inside the window: past Growatt's 5-minute rule for the
    # storage_last_data the send made (the paused clock would otherwise refuse the repeat, 10012).
    growatt.control.set_speed(0)
    growatt.control.advance(6 * 60)

    (kpi,) = adapter.realtime_kpis([str(plant["plant_id"])])

    unit = growatt.unit(plant["plant_id"])
    assert kpi.soc_pct == pytest.approx(unit["soc"], abs=1.0)
    assert kpi.battery_power_w == unit["max_power_w"]  # > 0: charging
    assert kpi.measured_at is not None and kpi.health == "ok"
    # Energy balance of the site: what comes in (PV + import) goes to the load and the battery.
    grid_import = -kpi.meter_power_w if kpi.meter_power_w < 0 else 0.0
    grid_export = kpi.meter_power_w if kpi.meter_power_w > 0 else 0.0
    assert kpi.load_power_w >= 0
    assert kpi.pv_power_w + grid_import == pytest.approx(
        kpi.load_power_w + kpi.battery_power_w + grid_export, abs=kpi.pv_power_w * 0.01 + 1
    )


def test_a_reading_growatt_would_refuse_to_repeat_is_served_from_the_last_answer(growatt):
    plant = growatt.plants()[0]
    adapter = growatt.adapter(max_wait_s=0.0)  # no time to wait out the 5-minute rule

    (first,) = adapter.realtime_kpis([str(plant["plant_id"])])
    (second,) = adapter.realtime_kpis([str(plant["plant_id"])])

    assert second == first
    reads = [r for r in growatt.records if r.endpoint == "device/storage/storage_last_data"]
    assert len(reads) == 1  # the second came from the shared state, not from a refused or waited call
    assert growatt.control.stats()["totals"]["rate_limited"] == 0
