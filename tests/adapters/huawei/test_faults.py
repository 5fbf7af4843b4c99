"""Misbehaving vendor: dropped connections, 5xx, latency. Bounded retries, and never a command twice."""

from __future__ import annotations

import json

import pytest

from tests.adapters.huawei.helpers import commands_per_request, rate_limited, sent, targets
from vendors.base import ChargeDischarge, Outcome, TaskState
from vendors.errors import TransientError

CHARGE = ChargeDischarge("charge", "soc", target_soc_pct=90, power_w=2500)


def test_a_command_whose_answer_was_lost_is_resent_and_recognised_as_a_duplicate(make_adapter, sim, harness):
    adapter = make_adapter()
    plants = targets(sim, 3)
    adapter.realtime_kpis([plants[0].plant_code])  # logged in before the fault
    # The vendor handles the command, then the connection drops before the answer (NBI V7 9.3.4 requestID).
    sim.set_faults(drop_after_rate=1.0, paths=["chargeAndDischarge"], max_faults=1)

    result = adapter.send(CHARGE, plants, request_id="9001")

    assert result.duplicate
    assert [r.outcome for r in result.results] == [Outcome.ACCEPTED] * 3
    assert commands_per_request(sim) == {"9001": 1}
    attempts = [r for r in harness.records if r.endpoint == "chargeAndDischarge"]
    assert [a.vendor_code for a in attempts] == [None, "20048"]
    assert attempts[0].error and attempts[0].http_status is None
    statuses = adapter.poll(CHARGE, "9001", sent(plants, result))  # the remoteIDs come from the status
    assert all(s.state == TaskState.IN_PROGRESS and s.remote_id for s in statuses)


def test_commands_get_through_5xx_drops_and_latency_exactly_once(make_adapter, sim):
    adapter = make_adapter()
    plants = targets(sim, 8)
    # About one request in four fails (seeded: reproducible); four attempts a call see it through.
    sim.set_faults(latency_ms=15, error_5xx_rate=0.1, drop_rate=0.1, drop_after_rate=0.1)

    results = {}
    for n, plant in enumerate(plants):
        results[str(1000 + n)] = adapter.send(CHARGE, [plant], request_id=str(1000 + n))
    statuses = [
        adapter.poll(CHARGE, rid, sent([p], results[rid]))[0] for rid, p in zip(results, plants, strict=True)
    ]

    stats = sim.stats()["totals"]
    assert stats["errors_5xx"] + stats["drops"] > 0  # the faults did happen
    assert all(r.results[0].outcome == Outcome.ACCEPTED for r in results.values())
    assert all(s.state == TaskState.IN_PROGRESS for s in statuses)
    assert commands_per_request(sim) == dict.fromkeys(results, 1)
    assert rate_limited(sim) == 0


def test_retries_are_bounded_and_then_transient_error(make_adapter, sim, harness):
    adapter = make_adapter()
    (plant,) = targets(sim, 1)
    adapter.realtime_kpis([plant.plant_code])
    sim.set_faults(error_5xx_rate=1.0, paths=["chargeAndDischarge"])

    with pytest.raises(TransientError, match="503"):
        adapter.send(CHARGE, [plant], request_id="9002")

    attempts = [r for r in harness.records if r.endpoint == "chargeAndDischarge"]
    assert [a.http_status for a in attempts] == [503] * 4
    assert commands_per_request(sim) == {}


def test_a_failing_observer_never_breaks_the_call(make_adapter, sim):
    def broken(record):
        raise RuntimeError("audit database is down")

    (plant,) = targets(sim, 1)
    result = make_adapter(observer=broken).send(CHARGE, [plant], request_id="9003")

    assert result.results[0].outcome == Outcome.ACCEPTED


def test_call_records_describe_every_call_without_secrets(make_adapter, sim, harness):
    adapter = make_adapter()
    plants = targets(sim, 2)
    adapter.send(CHARGE, plants, request_id="9004")

    login, command = harness.records
    assert (login.endpoint, login.params, login.http_status, login.vendor_code) == (
        "login",
        {"username": "nbi_user_1"},
        200,
        "0",
    )
    assert command.endpoint == "chargeAndDischarge" and command.request_id == "9004"
    assert command.targets == tuple(p.plant_code for p in plants)
    assert command.params["requestID"] == 9004 and command.params["dispatchSwitch"] == 1
    assert command.duration_ms > 0 and json.loads(command.response_excerpt)["failCode"] == 0
    assert all(r.account_key == harness.account().key for r in harness.records)
    everything = json.dumps([r.__dict__ for r in harness.records], default=str)
    assert "nbi_pass_1" not in everything
    token = adapter.calls.session.current()
    assert token and token not in everything
