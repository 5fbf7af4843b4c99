"""Delivering charge/discharge tasks: validation, duplicates, batches, refusals (# NBI V7 9.3.4)."""

from __future__ import annotations

import pytest

from tests.simulators.huawei.helpers import codes_csv, fail_code, ok

CHARGE_TO_90 = {"dispatchSwitch": 1, "controlType": 1, "targetSOC": 90, "powerDispatch": 2000}


def charge(plants, request_id=1, **overrides):
    return {"plantCodes": codes_csv(plants), "requestID": request_id, **CHARGE_TO_90, **overrides}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"plantCodes": ""}, 20010),
        ({"plantCodes": ",".join(f"NE={n}" for n in range(101))}, 20015),
        ({"dispatchSwitch": 3}, 20040),
        ({"dispatchSwitch": None}, 20040),
        ({"controlType": None}, 20041),
        ({"controlType": 3}, 20040),
        ({"targetSOC": 101}, 20042),
        ({"targetSOC": None}, 20042),
        ({"controlType": 2, "dispatchTime": 1441}, 20043),
        ({"controlType": 2}, 20043),
        ({"requestID": None}, 20044),
        ({"powerDispatch": -2000}, 20047),
        ({"dispatchSwitch": 2, "targetSOC": 20, "powerDispatch": 2000}, 20047),
    ],
)
def test_invalid_requests_get_the_documented_code_and_send_nothing(nbi, sim, plants, overrides, code):
    assert fail_code(nbi("/vpp/chargeAndDischarge", charge(plants[:2], **overrides))) == code
    assert sim.control.commands() == []


def test_accepted_task_answers_per_plant_with_remote_ids(nbi, sim, plants):
    data = ok(nbi("/vpp/chargeAndDischarge", charge(plants[:3], request_id=4711)))
    assert [d["plantCode"] for d in data] == [p["plantCode"] for p in plants[:3]]
    assert all(d["dispatchResult"] == 0 and d["remoteID"] for d in data)
    assert len({d["remoteID"] for d in data}) == 3
    assert data[0]["sn"] in plants[0]["enrolmentSns"]
    (command,) = sim.control.commands()
    assert command["request_id"] == "4711" and command["account"] == "nbi_user_1"
    assert command["targets"] == [p["plantCode"] for p in plants[:3]]


def test_a_batch_of_100_plants_is_accepted(nbi, plants):
    data = ok(nbi("/vpp/chargeAndDischarge", charge(plants[:100])))
    assert len(data) == 100 and all(d["dispatchResult"] == 0 for d in data)


def test_duplicate_request_id_is_20048_and_nothing_is_sent_twice(nbi, sim, plants):
    assert ok(nbi("/vpp/chargeAndDischarge", charge(plants[:2], request_id=99)))
    sim.control.advance(60)
    assert fail_code(nbi("/vpp/chargeAndDischarge", charge(plants[:2], request_id=99))) == 20048
    sim.control.advance(60)
    assert fail_code(nbi("/vpp/chargeAndDischarge", charge(plants[2:4], request_id=99))) == 20048
    assert len(sim.control.commands()) == 1


def test_request_ids_are_unique_across_accounts(nbi, nbi_other, sim, plants, other_plants):
    assert ok(nbi("/vpp/chargeAndDischarge", charge(plants[:1], request_id=7)))
    assert fail_code(nbi_other("/vpp/chargeAndDischarge", charge(other_plants[:1], request_id=7))) == 20048


def test_unauthorised_plants_are_20045(nbi, plants, other_plants):
    assert fail_code(nbi("/vpp/chargeAndDischarge", charge([plants[0], other_plants[0]]))) == 20045


def test_once_per_minute_then_the_next_window_succeeds(nbi, sim, plants):
    assert ok(nbi("/vpp/chargeAndDischarge", charge(plants[:1], request_id=1)))
    assert fail_code(nbi("/vpp/chargeAndDischarge", charge(plants[1:2], request_id=2))) == 407
    sim.control.advance(60)
    assert ok(nbi("/vpp/chargeAndDischarge", charge(plants[1:2], request_id=2)))
    assert [c["request_id"] for c in sim.control.commands()] == ["1", "2"]
    assert sim.control.stats()["totals"]["rate_limited"] == 1


def test_no_operable_battery_fails_that_plant_or_the_whole_request(nbi, sim, plants):
    sim.control.no_battery([plants[0]["plantCode"], plants[1]["plantCode"]])
    assert fail_code(nbi("/vpp/chargeAndDischarge", charge(plants[:2], request_id=1))) == 20053
    sim.control.advance(60)
    data = ok(nbi("/vpp/chargeAndDischarge", charge(plants[:3], request_id=2)))
    assert [d["dispatchResult"] for d in data] == [1, 1, 0]
    assert data[0]["remoteID"] is None
    assert sim.control.commands()[0]["targets"] == [plants[2]["plantCode"]]


def test_same_signal_while_a_task_runs_is_refused(nbi, sim, plants):
    assert ok(nbi("/vpp/chargeAndDischarge", charge(plants[:1], request_id=1, targetSOC=100)))
    sim.control.advance(60)
    assert fail_code(nbi("/vpp/chargeAndDischarge", charge(plants[:1], request_id=2, targetSOC=100))) == 20049
    sim.control.advance(60)
    data = ok(nbi("/vpp/chargeAndDischarge", charge(plants[:2], request_id=3, targetSOC=100)))
    assert [d["dispatchResult"] for d in data] == [1, 0]
