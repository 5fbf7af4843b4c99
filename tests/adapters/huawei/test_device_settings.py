"""DoD (NBI V7 9.3.6), inverter on/off (9.3.7) and EMS mode (9.3.8): answered per device at once, final."""

from __future__ import annotations

import pytest

from tests.adapters.huawei.helpers import targets
from vendors.base import (
    CommandKind,
    DevicePower,
    EmsMode,
    InverterSet,
    Outcome,
    PlantTarget,
    SetDod,
    StorageSet,
    TaskState,
)


def test_dod_goes_to_battery_dns_and_is_final_per_plant(make_adapter, sim):
    adapter = make_adapter()
    online, offline = targets(sim, 2)
    sim.plants_offline([offline.plant_code])

    result = adapter.send(SetDod(dod_pct=95), [online, offline], request_id="1")

    by_code = {r.plant_code: r for r in result.results}
    ok, failed = by_code[online.plant_code], by_code[offline.plant_code]
    assert (ok.outcome, ok.final, ok.state) == (Outcome.ACCEPTED, True, TaskState.COMPLETED)
    assert ok.devices == online.battery_dns and ok.message == "setDOD=95"
    assert (failed.outcome, failed.final, failed.state) == (Outcome.ACCEPTED, True, TaskState.FAILED)
    (logged,) = [c for c in sim.commands() if c["endpoint"].endswith("/dod")]
    assert logged["targets"] == list(online.battery_dns)
    assert sim.plant(online.plant_code)["battery"]["dod"] == 95


def test_dod_out_of_the_battery_range_reports_what_the_battery_took(make_adapter, sim):
    (plant,) = targets(sim, 1)

    (result,) = make_adapter().send(SetDod(dod_pct=50), [plant], request_id="1").results

    # NBI V7 9.3.6: "If the DoD value is out of range, the closest allowed DoD value will be used."
    assert result.state == TaskState.COMPLETED and result.message == "setDOD=80"


def test_a_plant_without_known_battery_dns_is_rejected_without_a_call(make_adapter, harness):
    (result,) = make_adapter().send(SetDod(dod_pct=90), [PlantTarget("NE=1")], request_id="1").results

    assert result.outcome == Outcome.REJECTED and "battery DN" in result.message
    assert harness.records == []


def test_inverters_switch_off_and_on_through_their_dns(make_adapter, sim):
    adapter = make_adapter()
    plants = targets(sim, 2)

    off = adapter.send(DevicePower(on=False), plants, request_id="1")
    truth_off = [
        d["on"] for p in plants for d in sim.plant(p.plant_code)["devices"] if d["deviceTypeId"] == 20822
    ]
    on = adapter.send(DevicePower(on=True), plants, request_id="2")

    assert {(r.outcome, r.final, r.state) for r in off.results + on.results} == {
        (Outcome.ACCEPTED, True, TaskState.COMPLETED)
    }
    assert truth_off and not any(truth_off)
    logged = [c for c in sim.commands() if c["endpoint"].endswith("/devOnOff")]
    assert [c["params"]["controlType"] for c in logged] == [2, 1]  # NBI V7 9.3.7: 1 on, 2 off
    assert logged[0]["targets"] == [dn for p in plants for dn in p.inverter_dns]


def test_devices_of_a_single_offline_plant_fail_as_a_whole_request(make_adapter, sim):
    (plant,) = targets(sim, 1)
    sim.plants_offline([plant.plant_code])

    (result,) = make_adapter().send(DevicePower(on=False), [plant], request_id="1").results

    assert (result.outcome, result.vendor_code) == (Outcome.REJECTED, "20052")


def test_ems_mode_6_goes_to_one_plant_and_answers_per_smartlogger(make_adapter, sim):
    adapter = make_adapter()
    (logger_plant,) = targets(sim, 1, where=lambda s: s["hasSmartLogger"])
    (dongle_plant,) = targets(sim, 1, where=lambda s: not s["hasSmartLogger"])

    (ok,) = adapter.send(EmsMode(control_type=6), [logger_plant], request_id="1").results
    (no_logger,) = adapter.send(EmsMode(control_type=6), [dongle_plant], request_id="2").results

    assert (ok.outcome, ok.final, ok.state) == (Outcome.ACCEPTED, True, TaskState.COMPLETED)
    assert ok.devices and sim.plant(logger_plant.plant_code)["emsControlType"] == 6
    assert (no_logger.outcome, no_logger.vendor_code) == (Outcome.REJECTED, "20013")
    assert adapter.max_targets_per_request(CommandKind.EMS_MODE) == 1
    with pytest.raises(ValueError):
        adapter.send(EmsMode(control_type=6), [logger_plant, dongle_plant], request_id="3")


def test_unsupported_ems_types_are_rejected_without_spending_the_once_a_minute_call(
    make_adapter, sim, harness
):
    (plant,) = targets(sim, 1, where=lambda s: s["hasSmartLogger"])

    (result,) = make_adapter().send(EmsMode(control_type=5), [plant], request_id="1").results

    assert result.outcome == Outcome.REJECTED and "type 6" in result.message
    assert harness.records == []


@pytest.mark.parametrize("command", [StorageSet("1"), InverterSet("pv_on_off", "1")], ids=lambda c: c.kind)
def test_growatt_only_commands_are_unsupported_for_every_target(make_adapter, sim, harness, command):
    adapter = make_adapter()
    plants = targets(sim, 2)

    result = adapter.send(command, plants, request_id="1")

    assert not adapter.supports(command.kind)
    assert [r.outcome for r in result.results] == [Outcome.UNSUPPORTED] * 2
    assert harness.records == [] and sim.commands() == []
