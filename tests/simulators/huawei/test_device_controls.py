"""Battery DoD, inverter on/off and plant EMS mode answer per device at once (# NBI V7 9.3.6-9.3.8)."""

from __future__ import annotations

import pytest

from tests.simulators.huawei.helpers import dispatch, fail_code, ok


def dn_of(plant, type_id):
    return next(d["dn"] for d in plant["devices"] if d["deviceTypeId"] == type_id)


@pytest.mark.parametrize(("requested", "applied"), [(90, 90), (50, 80), (100, 100)])
def test_dod_is_clamped_to_the_huawei_battery_range(nbi, sim, plants, requested, applied):
    battery_dns = [p["battery"]["dn"] for p in plants[:2]]
    data = ok(nbi("/vpp/dod", {"dns": ",".join(battery_dns), "dod": requested}))
    assert data == [{"dn": dn, "result": 0, "setDOD": applied} for dn in battery_dns]
    assert sim.control.plant(plants[0]["plantCode"])["battery"]["dod"] == applied
    (command,) = sim.control.commands()
    assert command["targets"] == battery_dns and command["params"]["dod"] == requested


def test_dod_sets_the_floor_of_later_discharges(nbi, sim, plants):
    plant = plants[0]
    ok(nbi("/vpp/dod", {"dns": plant["battery"]["dn"], "dod": 80}))
    ok(dispatch(nbi, plant["plantCode"], 1, dispatchSwitch=2, controlType=2, dispatchTime=1440))
    sim.control.advance(20 * 3600)
    assert sim.control.plant(plant["plantCode"])["battery"]["soc"] == pytest.approx(
        min(20, plant["battery"]["soc"])
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [({"dns": "", "dod": 90}, 20011), ({"dod": 90}, 20011), ({"dns": "NE=1", "dod": 101}, 20039),
     ({"dns": "NE=1"}, 20039), ({"dns": "NE=1", "dod": 90}, 20046)],
)  # fmt: skip
def test_dod_errors(nbi, body, code):
    assert fail_code(nbi("/vpp/dod", body)) == code


def test_dod_refuses_non_battery_devices_and_more_than_100(nbi, sim, plants):
    assert fail_code(nbi("/vpp/dod", {"dns": dn_of(plants[0], 20822), "dod": 90})) == 20006
    sim.control.advance(60)
    assert fail_code(nbi("/vpp/dod", {"dns": ",".join(f"NE={n}" for n in range(101)), "dod": 90})) == 20017


def test_dod_fails_for_offline_plants(nbi, sim, plants):
    sim.control.plants_offline([plants[0]["plantCode"]])
    data = ok(
        nbi("/vpp/dod", {"dns": plants[0]["battery"]["dn"] + "," + plants[1]["battery"]["dn"], "dod": 90})
    )
    assert [d["result"] for d in data] == [1, 0]
    sim.control.advance(60)
    assert fail_code(nbi("/vpp/dod", {"dns": plants[0]["battery"]["dn"], "dod": 90})) == 20051


def test_inverter_off_stops_pv_and_on_restarts_it(nbi, sim, plants):
    plant = next(p for p in plants if len([d for d in p["devices"] if d["deviceTypeId"] == 20822]) == 1)
    inverter = dn_of(plant, 20822)
    assert ok(nbi("/vpp/devOnOff", {"dns": inverter, "controlType": 2})) == [{"dn": inverter, "result": 0}]
    assert (
        next(d for d in sim.control.plant(plant["plantCode"])["devices"] if d["dn"] == inverter)["on"]
        is False
    )
    sim.control.advance(60)
    ok(nbi("/vpp/devOnOff", {"dns": inverter, "controlType": 1}))
    assert (
        next(d for d in sim.control.plant(plant["plantCode"])["devices"] if d["dn"] == inverter)["on"] is True
    )
    assert [c["params"]["controlType"] for c in sim.control.commands()] == [2, 1]


@pytest.mark.parametrize(("control_type", "code"), [(3, 20019), (None, 20019)])
def test_dev_on_off_switch_type_must_be_1_or_2(nbi, plants, control_type, code):
    assert (
        fail_code(nbi("/vpp/devOnOff", {"dns": dn_of(plants[0], 20822), "controlType": control_type})) == code
    )


def test_dev_on_off_refuses_foreign_and_non_inverter_devices(nbi, sim, plants, other_plants):
    assert fail_code(nbi("/vpp/devOnOff", {"dns": dn_of(other_plants[0], 20822), "controlType": 2})) == 20046
    sim.control.advance(60)
    assert fail_code(nbi("/vpp/devOnOff", {"dns": plants[0]["battery"]["dn"], "controlType": 2})) == 20006
    sim.control.advance(60)
    sim.control.plants_offline([plants[0]["plantCode"]])
    assert fail_code(nbi("/vpp/devOnOff", {"dns": dn_of(plants[0], 20822), "controlType": 2})) == 20052


def test_ems_accepts_only_scheduled_charge_discharge(nbi, sim, logger_plant):
    for control_type in (0, 2, 4, 5, 7):
        assert (
            fail_code(nbi("/vpp/ems", {"dn": logger_plant["plantCode"], "controlType": control_type}))
            == 20117
        )
        sim.control.advance(60)
    data = ok(nbi("/vpp/ems", {"dn": logger_plant["plantCode"], "controlType": 6}))
    assert data == [
        {
            "name": next(d["name"] for d in logger_plant["devices"] if d["deviceTypeId"] == 20821),
            "success": True,
            "message": "Operation complete.",
        }
    ]
    assert sim.control.plant(logger_plant["plantCode"])["emsControlType"] == 6


def test_ems_takes_one_plant_with_a_smartlogger(nbi, sim, logger_plant, dongle_plant, other_plants):
    two = logger_plant["plantCode"] + "," + dongle_plant["plantCode"]
    assert fail_code(nbi("/vpp/ems", {"dn": two, "controlType": 6})) == 20015
    sim.control.advance(60)
    assert fail_code(nbi("/vpp/ems", {"dn": dongle_plant["plantCode"], "controlType": 6})) == 20013
    sim.control.advance(60)
    assert fail_code(nbi("/vpp/ems", {"dn": other_plants[0]["plantCode"], "controlType": 6})) == 20045
    sim.control.advance(60)
    assert fail_code(nbi("/vpp/ems", {"controlType": 6})) == 20010
    assert sim.control.commands() == []


def test_ems_is_once_a_minute(nbi, sim, logger_plant):
    assert ok(nbi("/vpp/ems", {"dn": logger_plant["plantCode"], "controlType": 6}))
    assert fail_code(nbi("/vpp/ems", {"dn": logger_plant["plantCode"], "controlType": 6})) == 407
