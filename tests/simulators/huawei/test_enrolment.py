"""Enrolment by device SN and by authorisation code (# NBI V7 9.6.1.1, 9.6.1.2)."""

from __future__ import annotations

import pytest

from tests.simulators.huawei.helpers import fail_code, ok


@pytest.fixture
def waiting(sim):
    """Plants not yet authorised to any northbound account, with their SNs, owners and codes."""
    return sim.control.plants(enrolled=False, limit=100)


def test_sn_enrolment_moves_the_plant_into_the_account(nbi, sim, waiting):
    plant = waiting[0]
    sn = plant["enrolmentSns"][0]
    data = ok(nbi("/vpp/snEnrolment", {"devices": [{"sn": sn, "email": plant["owner"]["email"]}]}))
    assert data == [
        {
            "sn": sn,
            "success": True,
            "errorMsg": "",
            "plantCode": plant["plantCode"],
            "plantName": plant["plantName"],
        }
    ]
    assert sim.control.plant(plant["plantCode"])["account"] == "nbi_user_1"
    sim.control.advance(60)
    assert ok(nbi("/vpp/plants", {"plantCodes": plant["plantCode"]}))[0]["plantCode"] == plant["plantCode"]
    (command,) = sim.control.commands()
    assert command["targets"] == [plant["plantCode"]]


def test_sn_enrolment_needs_the_right_owner(nbi, waiting):
    plant = waiting[0]
    devices = [
        {"sn": plant["enrolmentSns"][0], "username": "someone_else"},
        {"sn": plant["enrolmentSns"][0]},
        {"sn": "NOSUCHSN", "phone": plant["owner"]["phone"]},
        {"sn": waiting[1]["enrolmentSns"][0], "phone": waiting[1]["owner"]["phone"]},
    ]
    data = ok(nbi("/vpp/snEnrolment", {"devices": devices}))
    assert [d["success"] for d in data] == [False, False, False, True]
    assert data[0]["plantCode"] is None and data[0]["errorMsg"]


def test_re_enrolling_an_own_plant_succeeds_but_another_accounts_plant_fails(nbi, nbi_other, sim, waiting):
    plant = waiting[0]
    device = {"sn": plant["enrolmentSns"][-1], "username": plant["owner"]["username"]}
    assert ok(nbi("/vpp/snEnrolment", {"devices": [device]}))[0]["success"] is True
    sim.control.advance(60)
    again = ok(nbi("/vpp/snEnrolment", {"devices": [{**device, "sn": plant["enrolmentSns"][0]}]}))
    assert again[0]["success"] is True and again[0]["plantCode"] == plant["plantCode"]
    theirs = ok(nbi_other("/vpp/snEnrolment", {"devices": [device]}))
    assert theirs[0]["success"] is False
    assert sim.control.plant(plant["plantCode"])["account"] == "nbi_user_1"


def test_ac_enrolment(nbi, sim, waiting):
    codes = [waiting[0]["authorizationCode"], "QAAAVZZZZZ3", waiting[1]["authorizationCode"]]
    data = ok(nbi("/vpp/acEnrolment", {"authorizationCodes": ",".join(codes)}))
    assert [(d["authorizationCode"], d["success"]) for d in data] == [
        (codes[0], True),
        (codes[1], False),
        (codes[2], True),
    ]
    assert data[1]["errorMsg"] == "Not found authorization code" and data[1]["plantCode"] is None
    assert sim.control.plant(waiting[1]["plantCode"])["account"] == "nbi_user_1"


def test_enrolment_errors_and_limits(nbi, sim):
    assert fail_code(nbi("/vpp/acEnrolment", {"authorizationCodes": ""})) == 20038
    sim.control.advance(60)
    assert (
        fail_code(nbi("/vpp/acEnrolment", {"authorizationCodes": ",".join(str(n) for n in range(1001))}))
        == 20038
    )
    sim.control.advance(60)
    assert ok(nbi("/vpp/acEnrolment", {"authorizationCodes": "X"}))
    assert fail_code(nbi("/vpp/acEnrolment", {"authorizationCodes": "X"})) == 407
    assert fail_code(nbi("/vpp/snEnrolment", {"devices": []})) == 22008
