"""chargeAndDischarge (NBI V7 9.3.4) and its status (9.3.5) through the adapter, against the simulator."""

from __future__ import annotations

import random

import pytest

from tests.adapters.huawei.helpers import commands_per_request, rate_limited, sent, targets
from vendors.base import ChargeDischarge, Outcome, TaskState
from vendors.errors import VendorRejected


def new_request_id() -> str:
    return str(random.randrange(1, 2**63))


def test_charge_by_soc_is_accepted_and_completes_with_the_energy_the_vendor_reports(make_adapter, sim):
    adapter = make_adapter()
    plants = targets(sim, 3, where=lambda s: s["battery"]["soc"] < 80)
    command = ChargeDischarge("charge", "soc", target_soc_pct=90, power_w=3000)
    request_id = new_request_id()

    result = adapter.send(command, plants, request_id=request_id)

    assert [r.outcome for r in result.results] == [Outcome.ACCEPTED] * 3
    assert all(r.remote_id and not r.final for r in result.results)
    (logged,) = [c for c in sim.commands() if c["request_id"] == request_id]
    assert logged["targets"] == [p.plant_code for p in plants]
    assert logged["params"] == {"dispatchSwitch": 1, "controlType": 1, "targetSOC": 90, "powerDispatch": 3000}

    statuses = adapter.poll(command, request_id, sent(plants, result))
    assert [s.state for s in statuses] == [TaskState.IN_PROGRESS] * 3

    sim.advance(12 * 3600)  # 3 kW into at most 20 kWh: done well within 12 simulated hours
    statuses = adapter.poll(command, request_id, sent(plants, result))
    assert [s.state for s in statuses] == [TaskState.COMPLETED] * 3
    for status, plant in zip(statuses, plants, strict=True):
        truth = sim.plant(plant.plant_code)["battery"]
        assert truth["soc"] == pytest.approx(90, abs=0.5)
        assert status.charged_kwh and status.charged_kwh > 0
        assert status.discharged_kwh is None
        assert status.exec_start and status.exec_end and status.exec_end >= status.exec_start
    assert rate_limited(sim) == 0


def test_discharge_by_duration_sends_negative_power_and_stop_sends_switch_zero(make_adapter, sim):
    adapter = make_adapter()
    plants = targets(sim, 2, where=lambda s: s["battery"]["soc"] > 40)
    discharge_id, stop_id = new_request_id(), new_request_id()

    discharge = adapter.send(
        ChargeDischarge("discharge", "duration", duration_min=30, power_w=2000),
        plants,
        request_id=discharge_id,
    )
    stop = adapter.send(ChargeDischarge("stop"), plants, request_id=stop_id)

    assert all(r.outcome == Outcome.ACCEPTED for r in discharge.results + stop.results)
    logged = {c["request_id"]: c["params"] for c in sim.commands()}
    # NBI V7 9.3.4: powerDispatch < 0 during forced discharge; dispatchTime in minutes.
    assert logged[discharge_id] == {
        "dispatchSwitch": 2,
        "controlType": 2,
        "dispatchTime": 30,
        "powerDispatch": -2000,
    }
    assert logged[stop_id] == {"dispatchSwitch": 0}


def test_plants_without_an_operable_battery_are_rejected_per_plant(make_adapter, sim):
    adapter = make_adapter()
    good, broken = targets(sim, 2)
    sim.no_battery([broken.plant_code])
    command = ChargeDischarge("charge", "soc", target_soc_pct=95)

    mixed = adapter.send(command, [good, broken], request_id=new_request_id())
    alone = adapter.send(command, [broken], request_id=new_request_id())

    by_code = {r.plant_code: r for r in mixed.results}
    assert by_code[good.plant_code].outcome == Outcome.ACCEPTED
    assert by_code[broken.plant_code].outcome == Outcome.REJECTED
    assert by_code[broken.plant_code].vendor_code == "dispatchResult=1"
    # A request whose only plant has no battery is refused as a whole: 20053, attributed to that plant.
    (only,) = alone.results
    assert (only.outcome, only.vendor_code) == (Outcome.REJECTED, "20053")
    assert "no operable battery" in only.message.lower()


def test_an_unauthorised_plant_is_rejected_alone_and_refuses_a_mixed_batch_as_a_whole(make_adapter, sim):
    adapter = make_adapter()
    (mine,) = targets(sim, 1)
    (theirs,) = targets(sim, 1, account="nbi_user_2")
    command = ChargeDischarge("charge", "soc", target_soc_pct=95)

    (alone,) = adapter.send(command, [theirs], request_id=new_request_id()).results
    assert (alone.outcome, alone.vendor_code) == (Outcome.REJECTED, "20045")

    # NBI V7 9.3.4 20045 refuses the whole request without saying which plant: the caller must split.
    with pytest.raises(VendorRejected) as refused:
        adapter.send(command, [mine, theirs], request_id=new_request_id())
    assert refused.value.code == "20045"
    assert commands_per_request(sim) == {}


def test_invalid_values_are_rejected_for_every_target(make_adapter, sim):
    adapter = make_adapter()
    plants = targets(sim, 2)

    result = adapter.send(
        ChargeDischarge("charge", "soc", target_soc_pct=150), plants, request_id=new_request_id()
    )

    assert {(r.outcome, r.vendor_code) for r in result.results} == {(Outcome.REJECTED, "20042")}


def test_batches_over_100_plants_and_non_numeric_ids_are_refused_before_any_call(make_adapter, sim, harness):
    adapter = make_adapter()
    plants = targets(sim, 101)
    command = ChargeDischarge("charge", "soc", target_soc_pct=95)

    with pytest.raises(ValueError, match="at most 100"):
        adapter.send(command, plants, request_id=new_request_id())
    with pytest.raises(ValueError, match="63-bit"):
        adapter.send(command, plants[:1], request_id="job-7")
    assert harness.records == []
    assert adapter.max_targets_per_request(command.kind) == 100
