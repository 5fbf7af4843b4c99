"""The Growatt adapter on hybrids (MIN, SPH, SPA) against the simulator: discovery first (the family is
learned there and only there), then charge, discharge and stop through the VPP interface, read back and
released; bad parameters end the plant's task rejected with the vendor's code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.adapters.growatt.helpers import poll_once, wait_real
from vendors.base import ChargeDischarge, DeviceInfo, DevicePower, Outcome, PlantTarget, TaskState

FAMILIES = ("tlx", "mix", "spa")


def target_from_discovery(plant: dict, devices: list[DeviceInfo]) -> PlantTarget:
    """What dispatch.engine.targets builds from the stored devices (battery rows are storage machines)."""
    mine = [d for d in devices if d.plant_code == str(plant["plant_id"])]
    return PlantTarget(
        plant_code=str(plant["plant_id"]),
        timezone=plant["timezone"],
        storage_sns=tuple(d.sn for d in mine if d.device_type == "battery"),
        inverter_sns=tuple(d.sn for d in mine if d.device_type == "inverter"),
        battery_rated_kwh=sum(float(d.extra.get("battery_rated_kwh") or 0) for d in mine) or None,
        device_families=tuple(
            (d.sn, d.extra["family"], d.extra.get("rated_power_w")) for d in mine if d.extra.get("family")
        ),
    )


@pytest.fixture
def hybrids(growatt):
    """account-1's first three plants made a MIN, an SPH and an SPA, then discovered by the adapter."""
    growatt.control.set_speed(0)  # the simulated clock moves only when a test moves it
    plants = growatt.plants()[:3]
    for plant, family in zip(plants, FAMILIES, strict=True):
        growatt.control.set_family([plant["plant_id"]], family)
    adapter = growatt.adapter()
    devices = adapter.list_devices([str(p["plant_id"]) for p in plants])
    out = {}
    for plant, family in zip(plants, FAMILIES, strict=True):
        truth = growatt.control.plant(plant["plant_id"])
        out[family] = (truth, target_from_discovery(truth, devices), devices)
    return adapter, out


def _vpp_commands(growatt) -> list[dict]:
    return growatt.commands("/v1/vppRemoteSetNew")


def test_discovery_learns_family_rated_power_and_battery_size(hybrids):
    _, found = hybrids
    for family, (truth, target, devices) in found.items():
        mine = [d for d in devices if d.plant_code == str(truth["plant_id"]) and d.device_type != "logger"]
        (device,) = mine
        assert device.sn == truth["storage_sn"] and device.device_type == "inverter"
        assert device.extra["family"] == family
        assert device.rated_power_w == truth["units"][0]["max_power_w"]
        true_kwh = truth["units"][0]["capacity_wh"] / 1000
        assert device.extra["battery_rated_kwh"] == pytest.approx(true_kwh, rel=0.1)
        assert target.device_families == ((truth["storage_sn"], family, device.rated_power_w),)


def test_charge_to_a_soc_on_every_family_is_read_back_and_released(growatt, hybrids):
    adapter, found = hybrids
    for family, (truth, target, _) in found.items():
        goal = min(100, int(truth["soc"]) + 15)
        command = ChargeDischarge(action="charge", control="soc", target_soc_pct=goal)
        request_id = f"hyb-charge-{family}"
        sent = adapter.send(command, [target], request_id=request_id).results[0]
        assert sent.outcome == Outcome.ACCEPTED, sent.message
        assert sent.remote_id and sent.remote_id.startswith("vpp|")
        (vpp,) = [c for c in _vpp_commands(growatt) if c["targets"] == [truth["storage_sn"]]]
        assert vpp["params"]["param2"] == "100"  # +100 % of the rating
        # past the 5-minute repeat rule on both clocks: the simulator's (paused, moved by hand) and the
        # adapter's read cache (real seconds at speed 600)
        growatt.control.advance(301)
        wait_real(0.6)
        early = poll_once(adapter, command, request_id, target, sent.remote_id)
        assert early.state == TaskState.IN_PROGRESS and early.message.startswith("confirmed, charging")
        growatt.control.advance(3 * 3600)
        wait_real(0.6)
        done = poll_once(adapter, command, request_id, target, sent.remote_id)
        assert done.state == TaskState.COMPLETED, done.message
        assert "released" in done.message and done.charged_kwh and done.charged_kwh > 0
        unit = growatt.control.plant(truth["plant_id"])["units"][0]
        assert unit["vpp"] is None and unit["soc"] >= goal - 0.5
        # told once, told again: a re-poll sends nothing more
        again = poll_once(adapter, command, request_id, target, sent.remote_id)
        assert again.state == TaskState.COMPLETED
        assert len([c for c in _vpp_commands(growatt) if c["targets"] == [truth["storage_sn"]]]) == 2


def test_discharge_by_duration_at_a_power_is_a_share_of_the_rating(growatt, hybrids):
    adapter, found = hybrids
    truth, target, _ = found["tlx"]  # MIN 5000TL-XH
    command = ChargeDischarge(action="discharge", control="duration", duration_min=30, power_w=1200)
    sent = adapter.send(command, [target], request_id="hyb-dis").results[0]
    assert sent.outcome == Outcome.ACCEPTED, sent.message
    (vpp,) = _vpp_commands(growatt)
    assert vpp["params"] == {"type": "vppRemoteSetNew", "param1": "30", "param2": "-24"}  # 1200 / 5000 W
    growatt.control.advance(31 * 60)
    wait_real(0.6)
    sent_at = datetime.now(UTC) - timedelta(seconds=31 * 60 / growatt.sim.speed)
    done = poll_once(adapter, command, "hyb-dis", target, sent.remote_id, sent_at=sent_at)
    assert done.state == TaskState.COMPLETED and done.message.startswith("time is up"), done.message
    assert done.discharged_kwh and done.discharged_kwh > 0
    assert len(_vpp_commands(growatt)) == 1  # expired on the device: no release owed


def test_stop_releases_a_running_device_and_leaves_an_idle_one_alone(growatt, hybrids):
    adapter, found = hybrids
    running, idle = found["mix"], found["spa"]
    charge = ChargeDischarge(action="charge", control="duration", duration_min=120)
    assert adapter.send(charge, [running[1]], request_id="hyb-run").results[0].outcome == Outcome.ACCEPTED
    growatt.control.advance(301)  # past the repeat rule since discovery read the same record
    wait_real(0.6)
    stop = ChargeDischarge(action="stop")
    stopped = adapter.send(stop, [running[1]], request_id="hyb-stop").results[0]
    assert stopped.state == TaskState.COMPLETED and "release" in stopped.message
    assert growatt.control.plant(running[0]["plant_id"])["units"][0]["vpp"] is None
    left = adapter.send(stop, [idle[1]], request_id="hyb-stop-idle").results[0]
    assert left.state == TaskState.COMPLETED and "idle, nothing sent" in left.message
    assert [c["targets"] for c in _vpp_commands(growatt)] == [[running[0]["storage_sn"]]] * 2


def test_already_at_the_target_sends_nothing(growatt, hybrids):
    adapter, found = hybrids
    truth, target, _ = found["spa"]
    command = ChargeDischarge(
        action="discharge", control="soc", target_soc_pct=min(100, int(truth["soc"]) + 5)
    )
    result = adapter.send(command, [target], request_id="hyb-there").results[0]
    assert result.state == TaskState.COMPLETED and "nothing sent" in result.message
    assert _vpp_commands(growatt) == []


def test_bad_parameters_end_rejected_with_the_vendors_code(growatt, hybrids):
    adapter, found = hybrids
    truth, target, _ = found["mix"]
    low = ChargeDischarge(action="discharge", control="soc", target_soc_pct=5)
    result = adapter.send(low, [target], request_id="hyb-low").results[0]
    assert (result.outcome, result.vendor_code, result.state) == (Outcome.REJECTED, "10008", TaskState.FAILED)
    growatt.control.plants_offline([truth["plant_id"]])
    charge = ChargeDischarge(action="charge", control="duration", duration_min=30)
    offline = adapter.send(charge, [target], request_id="hyb-offline").results[0]
    assert (offline.outcome, offline.vendor_code) == (Outcome.REJECTED, "10005"), offline.message
    assert _vpp_commands(growatt) == []


def test_a_device_that_answers_success_but_does_not_act_fails_unconfirmed(growatt, hybrids):
    adapter, found = hybrids
    truth, target, _ = found["tlx"]
    growatt.control.fail_tasks([truth["plant_id"]])
    command = ChargeDischarge(action="charge", control="duration", duration_min=120)
    sent = adapter.send(command, [target], request_id="hyb-fail").results[0]
    assert sent.outcome == Outcome.ACCEPTED
    growatt.control.advance(20 * 60)
    wait_real(0.6)
    # Twenty vendor minutes since the send, on our clock (sent_at), held still through the poll: a stall of
    # a busy machine is no vendor time (at speed 600, 10 s more would be "time is up" of the 2 h window).
    with time_machine.travel(datetime.now(UTC), tick=False):
        sent_at = datetime.now(UTC) - timedelta(seconds=20 * 60 / growatt.sim.speed)
        status = poll_once(adapter, command, "hyb-fail", target, sent.remote_id, sent_at=sent_at)
    assert status.state == TaskState.FAILED and status.message.startswith("not confirmed"), status.message


def test_a_window_armed_ahead_is_refused_rather_than_started_early(growatt, hybrids):
    adapter, found = hybrids
    _, target, _ = found["mix"]
    ahead = ChargeDischarge(
        action="charge",
        control="duration",
        duration_min=30,
        window_start=datetime.now(UTC) + timedelta(hours=1),
    )
    result = adapter.send(ahead, [target], request_id="hyb-ahead").results[0]
    assert result.outcome == Outcome.REJECTED and "at once" in result.message
    assert _vpp_commands(growatt) == []


def test_device_power_is_not_sent_to_a_hybrid_through_inverter_set(growatt, hybrids):
    adapter, found = hybrids
    _, target, _ = found["tlx"]
    result = adapter.send(DevicePower(on=False), [target], request_id="hyb-off").results[0]
    assert result.outcome == Outcome.REJECTED and "no device SN" in result.message
    assert growatt.commands("/v1/inverterSet") == []
