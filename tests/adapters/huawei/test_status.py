"""The chargeAndDischargeStatus encoding (NBI V7 9.3.5: 0 complete, 1 in progress, 2 timeout or failure)
normalised into TaskState, with the simulator driving each case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.adapters.huawei.helpers import sent, targets
from vendors.base import ChargeDischarge, SentTask, TaskState

CHARGE = ChargeDischarge("charge", "soc", target_soc_pct=95, power_w=1000)


def test_each_vendor_status_maps_to_its_task_state(make_adapter, sim):
    adapter = make_adapter()
    charging, failing, offline = targets(sim, 3, where=lambda s: s["battery"]["soc"] < 60)
    sim.plants_offline([offline.plant_code])
    plants = [charging, failing, offline]
    result = adapter.send(CHARGE, plants, request_id="77")
    sim.fail_tasks([failing.plant_code])

    sim.advance(600)  # past the first 3-minute status refresh
    states = {s.plant_code: s for s in adapter.poll(CHARGE, "77", sent(plants, result))}

    assert states[charging.plant_code].state == TaskState.IN_PROGRESS  # 1 kW: hours to 95 %
    assert states[failing.plant_code].state == TaskState.FAILED  # status 2 well before 24 h
    assert states[failing.plant_code].vendor_code == "2"
    assert states[offline.plant_code].state == TaskState.IN_PROGRESS
    sim.advance(24 * 3600)  # the offline plant's task can only time out (NBI V7 9.3.5)
    states = {s.plant_code: s for s in adapter.poll(CHARGE, "77", sent(plants, result))}
    assert states[charging.plant_code].state == TaskState.COMPLETED
    assert states[charging.plant_code].charged_kwh > 0
    assert states[failing.plant_code].state == TaskState.FAILED
    assert states[offline.plant_code].state == TaskState.TIMED_OUT
    assert states[offline.plant_code].exec_end is None


def test_status_2_without_a_timeout_message_is_timed_out_once_24_vendor_hours_have_passed(make_adapter, sim):
    adapter = make_adapter()
    (plant,) = targets(sim, 1)
    result = adapter.send(CHARGE, [plant], request_id="78")
    sim.fail_tasks([plant.plant_code])
    sim.advance(600)
    recent = SentTask(plant, result.results[0].remote_id, datetime.now(UTC))
    # 24 simulated hours are 144 real seconds at speed 600: a task sent that long ago has run out its time.
    long_ago = SentTask(plant, result.results[0].remote_id, datetime.now(UTC) - timedelta(seconds=145))

    assert adapter.poll(CHARGE, "78", [recent])[0].state == TaskState.FAILED
    assert adapter.poll(CHARGE, "78", [long_ago])[0].state == TaskState.TIMED_OUT


def test_a_task_replaced_by_a_newer_command_is_over_with_the_vendors_message(make_adapter, sim):
    adapter = make_adapter()
    (plant,) = targets(sim, 1, where=lambda s: s["battery"]["soc"] < 60)
    first = adapter.send(CHARGE, [plant], request_id="79")
    adapter.send(ChargeDischarge("stop"), [plant], request_id="80")
    sim.advance(600)

    (status,) = adapter.poll(CHARGE, "79", sent([plant], first))

    # NBI V7 9.3.5: a changed task is "processed as an exception (status is 0)", explained in message.
    assert status.state == TaskState.COMPLETED
    assert "new charge/discharge task" in status.message


def test_a_request_id_the_vendor_never_saw_polls_as_failed_with_20050(make_adapter, sim):
    (plant,) = targets(sim, 1)

    (status,) = make_adapter().poll(CHARGE, "424242", [SentTask(plant, None, datetime.now(UTC))])

    assert (status.state, status.vendor_code) == (TaskState.FAILED, "20050")
