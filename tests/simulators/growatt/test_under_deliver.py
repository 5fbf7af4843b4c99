"""/_sim/plants/under-deliver: a machine runs its windows at a share of its rating (0: takes and ignores
them), and storage_last_data shows the power and SOC as they really move."""

from datetime import timedelta

import pytest

from tests.simulators.growatt.helpers import advance_to_local, code, morning_if_late, window_params


def _discharge(storage_set, sn: str, start, end) -> None:
    assert code(storage_set(sn, "storage_lithium_battery", "5")) == 0
    assert code(storage_set(sn, "storage_cmd_forced_discharge_time1", *window_params(start, end))) == 0
    assert code(storage_set(sn, "storage_cmd_forced_discharge_enable", "0")) == 0  # 0 = Enable (sic)


@pytest.mark.parametrize("share", [0.5, 0.0])
def test_an_under_delivering_machine_gives_its_share_of_the_rating(
    growatt_sim, plant, storage_set, storage_last, share
) -> None:
    tz, sn, unit = plant["timezone"], plant["storage_sn"], plant["units"][0]
    growatt_sim.control.set_speed(0)  # the clock moves only by advance: exact energies
    growatt_sim.control.under_deliver([plant["plant_id"]], share)
    local = morning_if_late(growatt_sim, tz, latest_hour=15)
    start = (local + timedelta(hours=1)).replace(second=0, microsecond=0)
    _discharge(storage_set, sn, start, start + timedelta(hours=2))

    advance_to_local(growatt_sim, tz, start + timedelta(minutes=30))
    reading = storage_last(sn)
    assert reading["pDischarge"] == pytest.approx(unit["max_power_w"] * share)
    moved_pct = 100 * unit["max_power_w"] * share * 0.5 / unit["capacity_wh"]
    assert reading["capacity"] == pytest.approx(plant["soc"] - moved_pct, abs=0.01)
    assert reading["status"] == (2 if share else 0)

    growatt_sim.control.restore([plant["plant_id"]])
    advance_to_local(growatt_sim, tz, start + timedelta(minutes=40))
    assert storage_last(sn)["pDischarge"] == pytest.approx(unit["max_power_w"])


def test_under_deliver_checks_its_share(growatt_sim, plant) -> None:
    for share in (1.5, -0.1, "half", True):
        response = growatt_sim.control._http.post(
            "/_sim/plants/under-deliver", json={"plantIds": [plant["plant_id"]], "share": share}
        )
        assert response.status_code == 400
