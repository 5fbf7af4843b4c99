"""Plants told to misbehave through ``/_sim/plants/...`` and simkit's faults: what a client sees."""

from datetime import datetime, timedelta

import httpx
import pytest

from tests.simulators.growatt.helpers import advance_to_local, code, morning_if_late, ok, window_params


def test_offline_plant_refuses_settings_with_10005_and_reports_stale_data(
    growatt_sim, api, plant, storage_set, storage_last
) -> None:
    sn = plant["storage_sn"]
    before = storage_last(sn)
    growatt_sim.control.plants_offline([plant["plant_id"]])
    growatt_sim.control.advance(3600)
    assert code(storage_set(sn, "storage_cmd_mode", "1")) == 10005  # Collector dropped
    inverter = {
        "device_sn": plant["inverter_sn"],
        "paramId": "pv_on_off",
        "command_1": "0000",
        "command_2": "",
    }
    assert code(api.post("/v1/inverterSet", data=inverter)) == 10005
    stale = datetime.strptime(storage_last(sn)["time"], "%Y-%m-%d %H:%M:%S")
    now = growatt_sim.local_now(plant["timezone"]).replace(tzinfo=None)
    assert now - stale >= timedelta(minutes=59)  # the data it sent before dropping off
    assert stale >= datetime.strptime(before["time"], "%Y-%m-%d %H:%M:%S")
    devices = ok(api.get("/v1/device/list", params={"plant_id": plant["plant_id"]}))["devices"]
    assert all(d["lost"] == 1 for d in devices)
    assert growatt_sim.control.commands() == []

    growatt_sim.control.plants_online([plant["plant_id"]])
    assert code(storage_set(sn, "storage_cmd_mode", "1")) == 0


def test_offline_plant_keeps_running_its_schedule_unseen(
    growatt_sim, plant, storage_set, storage_last
) -> None:
    tz, sn = plant["timezone"], plant["storage_sn"]
    local = morning_if_late(growatt_sim, tz, latest_hour=18)
    start = (local + timedelta(minutes=30)).replace(second=0, microsecond=0)
    assert (
        code(
            storage_set(sn, "storage_ac_charge_hour_start", *window_params(start, start + timedelta(hours=1)))
        )
        == 0
    )
    assert code(storage_set(sn, "storage_ac_charge_enable_disable", "1")) == 0
    growatt_sim.control.plants_offline([plant["plant_id"]])
    advance_to_local(growatt_sim, tz, start + timedelta(hours=2))
    assert storage_last(sn)["capacity"] == pytest.approx(plant["soc"])  # what it last sent
    growatt_sim.control.plants_online([plant["plant_id"]])
    assert storage_last(sn)["capacity"] > plant["soc"]


def test_fail_tasks_plant_accepts_settings_that_have_no_effect(growatt_sim, plant, storage_set) -> None:
    growatt_sim.control.fail_tasks([plant["plant_id"]])
    assert code(storage_set(plant["storage_sn"], "storage_ac_charge_enable_disable", "1")) == 0
    assert len(growatt_sim.control.commands()) == 1
    schedule = growatt_sim.control.plant(plant["plant_id"])["units"][0]["schedule"]
    assert schedule["ac_charge_enabled"] is False


def test_no_battery_plant_has_no_storage_machine(growatt_sim, api, plant, storage_set) -> None:
    growatt_sim.control.no_battery([plant["plant_id"]])
    assert code(storage_set(plant["storage_sn"], "storage_cmd_mode", "1")) == 10012
    last = api.post("/v1/device/storage/storage_last_data", data={"storage_sn": plant["storage_sn"]})
    assert code(last) == 10002
    devices = ok(api.get("/v1/device/list", params={"plant_id": plant["plant_id"]}))["devices"]
    assert [d["type"] for d in devices] == [1]


def test_unknown_plant_ids_are_a_bad_request(growatt_sim) -> None:
    with pytest.raises(httpx.HTTPStatusError):
        growatt_sim.control.plants_offline([42])


def test_simkit_faults_apply_to_vendor_paths_only(growatt_sim, api) -> None:
    growatt_sim.control.set_faults(error_5xx_rate=1.0)
    assert api.get("/v1/plant/list").status_code == 503
    assert growatt_sim.control.clock()["speed"] == growatt_sim.speed  # /_sim/ is never faulted
    growatt_sim.control.set_faults(drop_rate=1.0, max_faults=1)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/v1/plant/list")
    assert code(api.get("/v1/plant/list")) == 0
    assert growatt_sim.control.stats()["totals"]["drops"] == 1


def test_restore_undoes_offline_fail_and_no_battery(growatt_sim, plant, storage_set, storage_last) -> None:
    ids = [plant["plant_id"]]
    growatt_sim.control.plants_offline(ids)
    growatt_sim.control.fail_tasks(ids)
    growatt_sim.control.no_battery(ids)
    growatt_sim.control.restore(ids)
    truth = growatt_sim.control.plant(plant["plant_id"])["units"][0]
    assert (truth["offline"], truth["fail_tasks"], truth["has_battery"]) == (False, False, True)
    assert code(storage_set(plant["storage_sn"], "storage_ac_charge_enable_disable", "1")) == 0
    assert growatt_sim.control.plant(plant["plant_id"])["units"][0]["schedule"]["ac_charge_enabled"] is True
    assert storage_last(plant["storage_sn"])["capacity"] == pytest.approx(plant["soc"])
