"""Device on/off, raw storageSet / inverterSet checked against the document before sending, and the
commands Growatt does not offer."""

from __future__ import annotations

import pytest

from vendors.base import (
    CommandKind,
    DefaultSetting,
    DevicePower,
    Drm,
    EmsMode,
    InverterSet,
    Outcome,
    SetDod,
    StorageSet,
    TaskState,
)


def test_device_power_off_then_on_switches_inverter_and_storage_machine(growatt):
    plant = growatt.plants()[0]
    target = growatt.target(plant)
    adapter = growatt.adapter()

    (off,) = adapter.send(DevicePower(on=False), [target], request_id="pw-off").results

    assert off.outcome == Outcome.ACCEPTED and off.final and off.state == TaskState.COMPLETED
    unit = growatt.unit(plant["plant_id"])
    assert unit["inverter_on"] is False and unit["schedule"]["storage_on"] is False
    inverter_cmd = growatt.commands("/v1/inverterSet")[0]["params"]
    assert inverter_cmd == {"paramId": "pv_on_off", "command_1": "0000", "command_2": ""}  # Growatt 4.3.7

    (on,) = adapter.send(DevicePower(on=True), [target], request_id="pw-on").results

    assert on.outcome == Outcome.ACCEPTED and on.final
    unit = growatt.unit(plant["plant_id"])
    assert unit["inverter_on"] is True and unit["schedule"]["storage_on"] is True
    assert set(on.devices) == {*target.inverter_sns, *target.storage_sns}


def test_valid_raw_storage_set_is_sent_to_every_storage_machine_and_final(growatt):
    plant = growatt.plants()[0]
    adapter = growatt.adapter()

    command = StorageSet("storage_ac_charge_hour_start", ("2", "30", "5", "0"))
    (result,) = adapter.send(command, [growatt.target(plant)], request_id="raw-1").results

    assert result.outcome == Outcome.ACCEPTED and result.final and result.state == TaskState.COMPLETED
    assert growatt.unit(plant["plant_id"])["schedule"]["ac_charge_window_min"] == [150, 300]


def test_valid_raw_inverter_set_is_final(growatt):
    plant = growatt.plants()[0]
    adapter = growatt.adapter()

    (result,) = adapter.send(
        InverterSet("pv_active_p_rate", "60"), [growatt.target(plant)], request_id="raw-2"
    ).results

    assert result.outcome == Outcome.ACCEPTED and result.final
    assert growatt.unit(plant["plant_id"])["active_rate_pct"] == 60


@pytest.mark.parametrize(
    ("command", "code", "rule"),
    [
        (StorageSet("storage_ac_charge_soc_limit", ("90", "", "", "")), "10008", "out of range 10-80"),
        (StorageSet("storage_ac_charge_soc_limit", ("55.5", "", "", "")), "10008", "not an integer"),
        (StorageSet("storage_lithium_battery", ("11", "", "", "")), "10008", "out of range 0-10"),
        (StorageSet("storage_ac_charge_hour_start", ("25", "0", "26", "0")), "10008", "start hour"),
        (StorageSet("storage_cmd_forced_discharge_time1", ("24", "30", "24", "30")), "10008", "24:00"),
        (StorageSet("storage_ac_charge_hour_start", ("10", "0", "9", "0")), "10013", "end time"),
        (StorageSet("storage_cmd_forced_discharge_enable", ("2", "", "", "")), "10008", "one of 0, 1"),
        (StorageSet("storage_cmd_on_off", ("1111", "", "", "")), "10008", "0000, 0101"),
        (StorageSet("storage_fdt_open_voltage", ("400", "380", "", "")), "10008", "MPP voltage"),
        (StorageSet("storage_cmd_sys_year", ("2026/01/03 12:00", "", "", "")), "10009", "YYYY-MM-DD HH:mm"),
        (StorageSet("storage_ac_charge_soc_limit", ("", "", "", "")), "10007", "value(s) required"),
        (StorageSet("storage_made_up", ("1", "", "", "")), "10006", "does not exist"),
        (InverterSet("pv_active_p_rate", "120"), "10008", "out of range 0-100"),
        (InverterSet("pv_power_factor", "0.5"), "10008", "-0.8~-1 or 0.8~1"),
        (InverterSet("pv_reactive_p_rate", "20", "Sideways"), "10008", "Over, Under"),
        (InverterSet("pv_grid_voltage_high", "240.75"), "10008", "one decimal"),
        (InverterSet("set_any_reg", "5", "1"), "10008", "register 5"),
        (InverterSet("set_any_reg", "0", "100"), "10008", "0 (shutdown) or 257"),
        (InverterSet("set_any_reg", "19", "3000"), "10008", "out of range 1850-2850"),
        (InverterSet("pf_sys_year", "2016-01-03 12:00"), "10009", "YYYY-MM-DD HH:mm:ss"),
        (InverterSet("pv_on_off", "1"), "10008", "0000, 0101"),
    ],
    ids=lambda v: v if isinstance(v, str) else getattr(v, "param_type", getattr(v, "param_id", "")),
)
def test_raw_settings_outside_the_documented_ranges_are_rejected_before_sending(growatt, command, code, rule):
    plant = growatt.plants()[0]
    adapter = growatt.adapter()

    (result,) = adapter.send(command, [growatt.target(plant)], request_id="bad-1").results

    assert result.outcome == Outcome.REJECTED and result.final and result.state == TaskState.FAILED
    assert result.vendor_code == code  # the code the document gives the cloud's own refusal
    assert rule in result.message
    assert growatt.records == [] and growatt.control.commands() == []


@pytest.mark.parametrize(
    "command",
    [SetDod(80), EmsMode(6), Drm(True, False, False), DefaultSetting(max_feed_grid_power_kw=5.0)],
    ids=lambda c: c.kind,
)
def test_commands_growatt_does_not_offer_are_unsupported(growatt, command):
    plant = growatt.plants()[0]
    adapter = growatt.adapter()

    assert adapter.supports(command.kind) is False
    (result,) = adapter.send(command, [growatt.target(plant)], request_id="uns-1").results

    assert result.outcome == Outcome.UNSUPPORTED
    assert growatt.records == []


def test_supported_commands_take_one_plant_per_request(growatt):
    adapter = growatt.adapter()
    supported = {kind for kind in CommandKind if adapter.supports(kind)}

    assert supported == {
        CommandKind.CHARGE_DISCHARGE,
        CommandKind.DEVICE_POWER,
        CommandKind.STORAGE_SET,
        CommandKind.INVERTER_SET,
    }
    assert {adapter.max_targets_per_request(kind) for kind in supported} == {1}
    with pytest.raises(ValueError):
        adapter.send(DevicePower(on=True), [growatt.target(p) for p in growatt.plants()[:2]], request_id="x")


def test_a_setting_the_vendor_refuses_is_rejected_with_its_code(growatt):
    plant = growatt.plants()[0]
    growatt.control.plants_offline([plant["plant_id"]])
    adapter = growatt.adapter()

    (result,) = adapter.send(DevicePower(on=False), [growatt.target(plant)], request_id="off-1").results

    assert result.outcome == Outcome.REJECTED and result.final
    assert result.vendor_code == "10005"  # 4.3.7 collector dropped
    assert "step 1/2 refused" in result.message and "pv_on_off" in result.message
