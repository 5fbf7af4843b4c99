"""Contract: enrolment by SN and by authorisation code (NBI V7 9.6.1.1, 9.6.1.2) in the field's shapes
(tests/fixtures/huawei), through the real adapter, and the simulator's answers in the same shapes."""

from __future__ import annotations

from tests.adapters.huawei.replay import fixture, shape_mismatches
from vendors.base import SnEnrolment


def test_enrolment_by_sn_and_by_authorisation_code(cloud, replayed, served):
    cloud.answer("vpp/snEnrolment", fixture("sn_enrolment.json"))
    cloud.answer("vpp/acEnrolment", fixture("ac_enrolment.json"))

    found, missing = replayed.enrol_by_sn(
        [SnEnrolment("HV0234881437", username="owner_15"), SnEnrolment("HV0000000000", username="x")]
    )
    (by_code,) = replayed.enrol_by_ac(["41000002086"])

    assert (found.success, found.plant_code, found.plant_name) == (True, "NE=33554490", "Plant 15 Shanghai")
    assert (missing.success, missing.plant_code, missing.error) == (False, None, "The device does not exist.")
    assert (by_code.success, by_code.plant_code) == (True, "NE=33554494")

    waiting = served.sim.control.plants(enrolled=False, limit=2)
    sn_body = {
        "devices": [{"sn": waiting[0]["enrolmentSns"][0], "username": waiting[0]["owner"]["username"]}]
    }
    assert shape_mismatches(fixture("sn_enrolment.json"), served("vpp/snEnrolment", sn_body)) == []
    ac_body = {"authorizationCodes": waiting[1]["authorizationCode"]}
    assert shape_mismatches(fixture("ac_enrolment.json"), served("vpp/acEnrolment", ac_body)) == []
