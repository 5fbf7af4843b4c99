"""The same setting (device, type and values) repeated within 5 simulated minutes is refused with
error_code 10012 and counted as rate-limited; it goes through again after 5 minutes."""

from tests.simulators.growatt.helpers import code


def test_identical_storage_set_within_five_minutes_is_refused_with_10012(
    growatt_sim, storage_set, plant
) -> None:
    sn = plant["storage_sn"]
    assert code(storage_set(sn, "storage_ac_charge_soc_limit", "70")) == 0
    repeated = storage_set(sn, "storage_ac_charge_soc_limit", "70")
    assert code(repeated) == 10012
    assert "5 minutes" in repeated.json()["error_msg"]
    stats = growatt_sim.control.stats()
    assert stats["accounts"]["account-1"]["/v1/storageSet"]["rate_limited"] == 1
    assert len(growatt_sim.control.commands()) == 1


def test_other_values_or_other_types_are_not_repeats(storage_set, plant) -> None:
    sn = plant["storage_sn"]
    assert code(storage_set(sn, "storage_ac_charge_soc_limit", "70")) == 0
    assert code(storage_set(sn, "storage_ac_charge_soc_limit", "60")) == 0
    assert code(storage_set(sn, "storage_lithium_battery", "5")) == 0
    assert code(storage_set(sn, "storage_ac_charge_soc_limit", "70")) == 10012  # 70 again, still within 5 min


def test_same_setting_on_another_device_is_not_a_repeat(storage_set, plants) -> None:
    assert code(storage_set(plants[0]["storage_sn"], "storage_cmd_mode", "1")) == 0
    assert code(storage_set(plants[1]["storage_sn"], "storage_cmd_mode", "1")) == 0


def test_repeat_succeeds_after_five_simulated_minutes(growatt_sim, storage_set, plant) -> None:
    sn = plant["storage_sn"]
    assert code(storage_set(sn, "storage_ac_charge_soc_limit", "70")) == 0
    growatt_sim.control.advance(300)
    assert code(storage_set(sn, "storage_ac_charge_soc_limit", "70")) == 0
    assert len(growatt_sim.control.commands()) == 2


def test_inverter_set_follows_the_same_rule(growatt_sim, api, plant) -> None:
    data = {
        "device_sn": plant["inverter_sn"],
        "paramId": "pv_active_p_rate",
        "command_1": "50",
        "command_2": "",
    }
    assert code(api.post("/v1/inverterSet", data=data)) == 0
    assert code(api.post("/v1/inverterSet", data=data)) == 10012
    growatt_sim.control.advance(300)
    assert code(api.post("/v1/inverterSet", data=data)) == 0


def test_rule_is_off_when_rate_limits_are_disabled(growatt_sim, storage_set, plant) -> None:
    growatt_sim.control.set_rate_limits(False)
    assert code(storage_set(plant["storage_sn"], "storage_cmd_mode", "1")) == 0
    assert code(storage_set(plant["storage_sn"], "storage_cmd_mode", "1")) == 0
