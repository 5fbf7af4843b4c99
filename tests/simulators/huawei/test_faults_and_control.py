"""Misbehaviour on demand and the control plane (simkit routes + Huawei routes)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.simulators.huawei.helpers import fail_code, ok

CHARGE = {"dispatchSwitch": 1, "controlType": 2, "dispatchTime": 30}


def test_error_rate_answers_503_and_never_touches_the_control_plane(nbi, sim):
    sim.control.set_faults(error_5xx_rate=1.0)
    response = nbi.client.post("/plants", json={"pageNo": 1, "pageSize": 10})
    assert response.status_code == 503
    assert sim.control.clock()["speed"] == 0  # /_sim/ still answers
    assert sim.control.stats()["totals"]["errors_5xx"] == 1
    sim.control.clear_faults()
    assert ok(nbi("/plants", {"pageNo": 1, "pageSize": 10}))


def test_dropped_connection_before_handling_sends_nothing(nbi, sim, plants):
    sim.control.set_faults(drop_rate=1.0, paths=["chargeAndDischarge"])
    with pytest.raises(httpx.RemoteProtocolError):
        nbi.client.post(
            "/vpp/chargeAndDischarge", json={"plantCodes": plants[0]["plantCode"], "requestID": 1, **CHARGE}
        )
    assert sim.control.commands() == []
    assert ok(nbi("/vpp/plants", {"plantCodes": plants[0]["plantCode"]}))  # other paths unaffected


def test_lost_answer_after_acceptance_then_retry_gets_20048(nbi, sim, plants):
    """The case the service's stored requestID exists for: the command took effect, the answer was lost."""
    sim.control.set_faults(drop_after_rate=1.0, paths=["chargeAndDischarge"], max_faults=1)
    body = {"plantCodes": plants[0]["plantCode"], "requestID": 77, **CHARGE}
    with pytest.raises(httpx.RemoteProtocolError):
        nbi.client.post("/vpp/chargeAndDischarge", json=body)
    sim.control.advance(60)
    assert fail_code(nbi("/vpp/chargeAndDischarge", body)) == 20048
    assert [c["request_id"] for c in sim.control.commands()] == ["77"]
    assert sim.control.stats()["totals"]["drops"] == 1


def test_held_requests_wait_until_the_hold_is_lifted_and_are_then_handled(nbi, sim, plants):
    """A command in flight for as long as a test needs: held before it is handled, other paths answer."""
    sim.control.set_faults(hold=True, paths=["chargeAndDischarge"])
    body = {"plantCodes": plants[0]["plantCode"], "requestID": 5, **CHARGE}
    with ThreadPoolExecutor(max_workers=1) as pool:
        held = pool.submit(nbi, "/vpp/chargeAndDischarge", body)
        assert ok(nbi("/vpp/plants", {"plantCodes": plants[0]["plantCode"]}))  # other paths unaffected
        assert not held.done() and sim.control.commands() == []
        sim.control.clear_faults()
        assert ok(held.result(timeout=30))
    assert [c["request_id"] for c in sim.control.commands()] == ["5"]


def test_latency_is_added(nbi, sim):
    sim.control.set_faults(latency_ms=300)
    response = nbi.client.post("/plants", json={"pageNo": 1, "pageSize": 10})
    assert response.elapsed.total_seconds() >= 0.3


def test_reset_rebuilds_the_same_world_and_clears_state(nbi, sim, plants):
    ok(nbi("/vpp/chargeAndDischarge", {"plantCodes": plants[0]["plantCode"], "requestID": 1, **CHARGE}))
    sim.control.set_faults(error_5xx_rate=0.5)
    sim.control.advance(3600)
    sim.control.reset()
    assert sim.control.commands() == [] and sim.control.stats()["totals"]["requests"] == 0
    assert sim.control.get("/_sim/faults")["error_5xx_rate"] == 0
    assert sim.control.clock()["offset_s"] == 0 and sim.control.clock()["speed"] == sim.speed
    again = sim.control.plants(account="nbi_user_1", limit=1000)
    assert [(p["plantCode"], p["battery"]["soc"]) for p in again] == [
        (p["plantCode"], p["battery"]["soc"]) for p in plants
    ]
    assert sim.control.field()["profile"] == "field"  # the start-up profile is back too
    sim.control.set_field(profile="document")
    assert fail_code(nbi("/plants", {"pageNo": 1, "pageSize": 10})) == 305  # sessions are gone too


def test_rate_limits_can_be_switched_off_for_benchmarks(nbi, sim, plants):
    def send(index):
        return nbi(
            "/vpp/chargeAndDischarge",
            {"plantCodes": plants[index]["plantCode"], "requestID": index, **CHARGE},
        )

    sim.control.set_rate_limits(False)
    assert all(ok(send(index)) for index in range(3))
    sim.control.set_rate_limits(True)
    assert ok(send(5))
    assert fail_code(send(6)) == 407


def test_true_plant_state_listing(sim):
    waiting = sim.control.plants(enrolled=False, limit=5)
    assert len(waiting) == 5 and all(p["account"] is None for p in waiting)
    plant = waiting[0]
    assert plant["owner"]["email"] and plant["authorizationCode"] and plant["enrolmentSns"]
    assert sim.control.get("/_sim/plants", enrolled="1", limit=1)["total"] == 240
    assert sim.control.plant(plant["plantCode"])["plantCode"] == plant["plantCode"]
    with pytest.raises(httpx.HTTPStatusError):
        sim.control.plant("NE=1")
    with pytest.raises(httpx.HTTPStatusError):
        sim.control.plants_offline(["NE=1"])


def test_stats_count_per_account_and_endpoint(nbi, sim):
    ok(nbi("/plants", {"pageNo": 1, "pageSize": 10}))
    assert fail_code(nbi("/plants", {"pageNo": 1, "pageSize": 10})) == 407
    counters = sim.control.stats()["accounts"]["nbi_user_1"]["/rest/openapi/pvms/v1/plants"]
    assert counters == {"requests": 2, "rate_limited": 1, "errors_5xx": 0, "drops": 0}


def test_body_that_is_not_a_json_object_is_a_400(nbi):
    response = nbi.client.post("/plants", content=b"[1, 2]", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["failCode"] == 20004
