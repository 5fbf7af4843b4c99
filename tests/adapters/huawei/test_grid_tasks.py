"""DRM (NBI V7 9.6.1.6 / 9.6.1.7) and the plant default task (9.6.1.3 / 9.6.1.4): sent, then polled."""

from __future__ import annotations

from tests.adapters.huawei.helpers import sent, targets
from vendors.base import DefaultSetting, Drm, Outcome, PlantTarget, TaskState
from vendors.huawei.adapter import drm_batches


def test_drm_is_accepted_per_plant_and_polled_to_completion(make_adapter, sim):
    adapter = make_adapter()
    plants = targets(sim, 2, where=lambda s: not s["hasSmartLogger"])
    command = Drm(drm0=False, drm1=True, drm5=False)

    result = adapter.send(command, plants, request_id="1")

    assert all(r.outcome == Outcome.ACCEPTED and r.remote_id for r in result.results)
    assert [s.state for s in adapter.poll(command, "1", sent(plants, result))] == [TaskState.IN_PROGRESS] * 2
    sim.advance(600)
    statuses = adapter.poll(command, "1", sent(plants, result))
    assert [s.state for s in statuses] == [TaskState.COMPLETED] * 2
    assert all(s.exec_end for s in statuses)
    assert sim.plant(plants[0].plant_code)["drm"] == "drm0=false,drm1=true,drm5=false"


def test_drm_is_rejected_where_smartloggers_connect_the_plant_and_fails_where_the_device_fails(
    make_adapter, sim
):
    adapter = make_adapter()
    (logger_plant,) = targets(sim, 1, where=lambda s: s["hasSmartLogger"])
    (failing,) = targets(sim, 1, where=lambda s: not s["hasSmartLogger"])
    sim.fail_tasks([failing.plant_code])
    command = Drm(drm0=True, drm1=False, drm5=False)

    result = adapter.send(command, [logger_plant, failing], request_id="1")
    by_code = {r.plant_code: r for r in result.results}
    sim.advance(600)
    (status,) = adapter.poll(command, "1", sent([failing], result))

    assert by_code[logger_plant.plant_code].outcome == Outcome.REJECTED
    assert by_code[failing.plant_code].outcome == Outcome.ACCEPTED
    assert status.state == TaskState.FAILED


def testdrm_batches_respect_200_inverters_as_well_as_100_plants():
    big = [PlantTarget(f"NE={i}", inverter_dns=("a", "b", "c")) for i in range(100)]

    batches = drm_batches(big)

    assert [len(b) for b in batches] == [66, 34]  # 66 x 3 = 198 inverters, then the rest
    assert [len(b) for b in drm_batches([PlantTarget(f"NE={i}") for i in range(100)])] == [100]


def test_default_setting_carries_the_vendor_request_id_and_polls_by_it(make_adapter, sim):
    adapter = make_adapter()
    plants = targets(sim, 2)
    command = DefaultSetting(max_feed_grid_power_kw=1.5, active_power_gradient=2.0)

    result = adapter.send(command, plants, request_id="1")

    assert result.vendor_request_id and result.vendor_request_id != "1"
    assert all(
        r.outcome == Outcome.ACCEPTED and r.remote_id == result.vendor_request_id for r in result.results
    )
    (logged,) = [c for c in sim.commands() if c["endpoint"].endswith("/plantDefaultSetting")]
    assert logged["request_id"] == result.vendor_request_id
    assert [s.state for s in adapter.poll(command, "1", sent(plants, result))] == [TaskState.IN_PROGRESS] * 2
    sim.advance(600)
    assert [s.state for s in adapter.poll(command, "1", sent(plants, result))] == [TaskState.COMPLETED] * 2
    assert sim.plant(plants[0].plant_code)["maxFeedGridPower"] == 1.5


def test_default_setting_out_of_range_is_rejected_per_plant_with_the_vendor_code(make_adapter, sim):
    adapter = make_adapter()
    plants = targets(sim, 2)

    result = adapter.send(DefaultSetting(active_power_gradient=9999.0), plants, request_id="1")

    # NBI V7 9.6.1.3: gradient in [0.1, 5000]; every plant refused -> 20613 with per-plant 20611.
    assert {(r.outcome, r.vendor_code) for r in result.results} == {(Outcome.REJECTED, "20611")}
    assert "valid range" in result.results[0].message


def test_default_task_that_fails_on_the_device_polls_as_failed(make_adapter, sim):
    adapter = make_adapter()
    plants = targets(sim, 1)
    sim.fail_tasks([plants[0].plant_code])
    command = DefaultSetting(max_feed_grid_power_kw=2.0)

    result = adapter.send(command, plants, request_id="1")
    sim.advance(600)
    (status,) = adapter.poll(command, "1", sent(plants, result))

    assert result.results[0].outcome == Outcome.ACCEPTED
    assert status.state == TaskState.FAILED and status.vendor_code == "status=2"
