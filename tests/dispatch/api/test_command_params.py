"""Command parameters are validated from the vendor documents: errors name `params.<field>` and the rule.

Pure validation, no database: `validate_command(kind, params)` (dispatch.kinds) -> (normalised params,
command dataclass).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from dispatch.kinds import validate_command
from vendors.base import (
    ChargeDischarge,
    DefaultSetting,
    DevicePower,
    Drm,
    EmsMode,
    InverterSet,
    SetDod,
    StorageSet,
)
from vpp.errors import _flatten


def errors_of(kind, params) -> dict[str, list[str]]:
    """{"params.field": ["code", ...]} as the API would answer it."""
    with pytest.raises(ValidationError) as caught:
        validate_command(kind, params)
    return {
        name: [e["code"] for e in errs] for name, errs in _flatten(caught.value.get_full_details()).items()
    }


WINDOW = {"start_hour": 1, "start_minute": 30, "end_hour": 5, "end_minute": 0}

VALID = [
    (
        "charge_discharge",
        {"action": "charge", "control": "soc", "target_soc_pct": 90, "power_w": 3000},
        ChargeDischarge(action="charge", control="soc", target_soc_pct=90.0, power_w=3000),
    ),
    (
        "charge_discharge",
        {"action": "discharge", "control": "duration", "duration_min": 120},
        ChargeDischarge(action="discharge", control="duration", duration_min=120),
    ),
    ("charge_discharge", {"action": "stop"}, ChargeDischarge(action="stop")),
    ("charge_discharge", {"action": "charge", "control": "duration", "duration_min": 1440}, None),
    ("charge_discharge", {"action": "charge", "control": "soc", "target_soc_pct": 0}, None),
    (
        "charge_discharge",
        {"action": "charge", "control": "soc", "target_soc_pct": 100, "power_w": None},
        None,
    ),
    ("dod", {"dod_pct": 90}, SetDod(dod_pct=90)),
    ("dod", {"dod_pct": 0}, SetDod(dod_pct=0)),
    ("dod", {"dod_pct": 100.0}, SetDod(dod_pct=100)),
    ("device_power", {"on": False}, DevicePower(on=False)),
    ("ems_mode", {"control_type": 6}, EmsMode(control_type=6)),
    ("drm", {"drm0": False, "drm1": True, "drm5": False}, Drm(drm0=False, drm1=True, drm5=False)),
    (
        "default_setting",
        {"max_feed_grid_power_kw": -1000, "active_power_gradient": 5000},
        DefaultSetting(max_feed_grid_power_kw=-1000.0, active_power_gradient=5000.0),
    ),
    ("default_setting", {"active_power_gradient": 0.1}, DefaultSetting(active_power_gradient=0.1)),
    ("default_setting", {"max_feed_grid_power_kw": 12.345}, DefaultSetting(max_feed_grid_power_kw=12.345)),
    (
        "storage_set",
        {"param_type": "storage_ac_charge_hour_start", **WINDOW},
        StorageSet(param_type="storage_ac_charge_hour_start", params=("1", "30", "5", "0")),
    ),
    (
        "storage_set",
        {
            "param_type": "storage_cmd_forced_discharge_time1",
            "start_hour": 0,
            "start_minute": 0,
            "end_hour": 24,
            "end_minute": 0,
        },
        StorageSet(param_type="storage_cmd_forced_discharge_time1", params=("0", "0", "24", "0")),
    ),  # fmt: skip
    (
        "storage_set",
        {"param_type": "storage_ac_charge_soc_limit", "value": 80},
        StorageSet(param_type="storage_ac_charge_soc_limit", params=("80", "", "", "")),
    ),
    ("storage_set", {"param_type": "storage_lithium_battery", "value": 10}, None),
    ("storage_set", {"param_type": "storage_cmd_on_off", "value": "0000"}, None),
    ("storage_set", {"param_type": "storage_cmd_mode", "value": "1"}, None),
    ("storage_set", {"param_type": "storage_cmd_forced_discharge_enable", "value": "0"}, None),
    ("storage_set", {"param_type": "storage_ac_charge_enable_disable", "value": "1"}, None),
    ("storage_set", {"param_type": "storage_cmd_sys_year", "value": "2026-03-29 02:30"}, None),
    (
        "storage_set",
        {"param_type": "storage_fdt_open_voltage", "open_voltage_v": 400, "mpp_voltage_v": 300},
        StorageSet(param_type="storage_fdt_open_voltage", params=("400", "300", "", "")),
    ),
    (
        "inverter_set",
        {"param_id": "pv_on_off", "value": "0101"},
        InverterSet(param_id="pv_on_off", command_1="0101"),
    ),
    (
        "inverter_set",
        {"param_id": "pv_active_p_rate", "value": 55.5},
        InverterSet(param_id="pv_active_p_rate", command_1="55.5"),
    ),
    (
        "inverter_set",
        {"param_id": "pv_reactive_p_rate", "value": 20, "mode": "Under"},
        InverterSet(param_id="pv_reactive_p_rate", command_1="20", command_2="Under"),
    ),
    ("inverter_set", {"param_id": "pv_power_factor", "value": -0.8}, None),
    ("inverter_set", {"param_id": "pv_power_factor", "value": 1}, None),
    ("inverter_set", {"param_id": "pv_pf_cmd_memory_state", "value": "1"}, None),
    ("inverter_set", {"param_id": "pf_sys_year", "value": "2026-01-03 12:00:00"}, None),
    ("inverter_set", {"param_id": "pv_grid_voltage_high", "value": 240.7}, None),
    (
        "inverter_set",
        {"param_id": "set_any_reg", "register": 21, "value": 5015},
        InverterSet(param_id="set_any_reg", command_1="21", command_2="5015"),
    ),
    ("inverter_set", {"param_id": "set_any_reg", "register": 0, "value": 257}, None),
]


@pytest.mark.parametrize(("kind", "params", "command"), VALID)
def test_valid_params_give_the_command_and_normalised_params_that_validate_again(kind, params, command):
    normalised, built = validate_command(kind, params)
    if command is not None:
        assert built == command
    assert built.kind == kind
    # What a job stores validates again to the same command: the engine can rebuild it from the row.
    assert validate_command(kind, normalised) == (normalised, built)


SOC = {"action": "charge", "control": "soc"}
DUR = {"action": "charge", "control": "duration"}
AC_WINDOW = {"param_type": "storage_ac_charge_hour_start", **WINDOW}

INVALID = [
    # (kind, params, field under params, code)
    ("charge_discharge", {"action": "boost"}, "action", "invalid_choice"),
    ("charge_discharge", {}, "action", "required"),
    ("charge_discharge", {"action": "charge"}, "control", "required"),
    ("charge_discharge", SOC, "target_soc_pct", "required"),
    ("charge_discharge", DUR, "duration_min", "required"),
    ("charge_discharge", {**SOC, "target_soc_pct": 100.5}, "target_soc_pct", "max_value"),
    ("charge_discharge", {**SOC, "target_soc_pct": -1}, "target_soc_pct", "min_value"),
    ("charge_discharge", {**SOC, "target_soc_pct": "90"}, "target_soc_pct", "invalid"),
    ("charge_discharge", {**SOC, "target_soc_pct": True}, "target_soc_pct", "invalid"),
    ("charge_discharge", {**DUR, "duration_min": 1441}, "duration_min", "max_value"),
    ("charge_discharge", {**DUR, "duration_min": 30.5}, "duration_min", "invalid"),
    ("charge_discharge", {**SOC, "target_soc_pct": 50, "duration_min": 5}, "duration_min", "not_allowed"),
    ("charge_discharge", {**DUR, "duration_min": 5, "target_soc_pct": 50}, "target_soc_pct", "not_allowed"),
    (
        "charge_discharge",
        {"action": "discharge", "control": "soc", "target_soc_pct": 20, "power_w": -3000},
        "power_w",
        "not_positive",
    ),
    ("charge_discharge", {**SOC, "target_soc_pct": 20, "power_w": 0}, "power_w", "not_positive"),
    ("charge_discharge", {**SOC, "target_soc_pct": 20, "power_w": 2**31}, "power_w", "max_value"),
    ("charge_discharge", {"action": "stop", "power_w": 3000}, "power_w", "not_allowed"),
    ("charge_discharge", {"action": "stop", "control": "soc"}, "control", "not_allowed"),
    ("charge_discharge", {**SOC, "target_soc": 90}, "target_soc", "unknown_field"),
    ("charge_discharge", ["charge"], "params", "invalid"),
    ("dod", {"dod_pct": 101}, "dod_pct", "max_value"),
    ("dod", {"dod_pct": 50.5}, "dod_pct", "invalid"),
    ("dod", {}, "dod_pct", "required"),
    ("device_power", {"on": "true"}, "on", "invalid"),
    ("device_power", {"on": 1}, "on", "invalid"),
    ("ems_mode", {"control_type": 2}, "control_type", "not_supported"),
    ("ems_mode", {"control_type": 7}, "control_type", "invalid_choice"),
    ("drm", {"drm0": True, "drm1": False}, "drm5", "required"),
    ("drm", {"drm0": True, "drm1": False, "drm5": "false"}, "drm5", "invalid"),
    ("default_setting", {}, "params", "required"),
    ("default_setting", {"max_feed_grid_power_kw": -1000.5}, "max_feed_grid_power_kw", "min_value"),
    ("default_setting", {"max_feed_grid_power_kw": 1.2345}, "max_feed_grid_power_kw", "max_decimal_places"),
    ("default_setting", {"active_power_gradient": 0.099}, "active_power_gradient", "min_value"),
    ("default_setting", {"active_power_gradient": 5000.001}, "active_power_gradient", "max_value"),
    ("storage_set", {"value": "0101"}, "param_type", "required"),
    ("storage_set", {"param_type": "storage_turbo", "value": "1"}, "param_type", "invalid_choice"),
    ("storage_set", {"param_type": "storage_ac_charge_soc_limit", "value": 90}, "value", "max_value"),
    ("storage_set", {"param_type": "storage_ac_charge_soc_limit", "value": 9}, "value", "min_value"),
    ("storage_set", {"param_type": "storage_lithium_battery", "value": 11}, "value", "max_value"),
    ("storage_set", {"param_type": "storage_cmd_on_off", "value": "0001"}, "value", "invalid_choice"),
    ("storage_set", {"param_type": "storage_cmd_on_off", "value": 101}, "value", "invalid_choice"),
    ("storage_set", {"param_type": "storage_cmd_mode", "value": "2"}, "value", "invalid_choice"),
    (
        "storage_set",
        {"param_type": "storage_cmd_forced_discharge_enable", "value": 0},
        "value",
        "invalid_choice",
    ),
    ("storage_set", {**AC_WINDOW, "end_hour": 1}, "end_hour", "end_before_start"),
    ("storage_set", {**AC_WINDOW, "start_minute": 60}, "start_minute", "max_value"),
    ("storage_set", {**AC_WINDOW, "end_hour": 25}, "end_hour", "max_value"),
    ("storage_set", {**AC_WINDOW, "end_hour": 24, "end_minute": 1}, "end_minute", "max_value"),
    ("storage_set", {"param_type": "storage_ac_charge_hour_start", "start_hour": 1}, "end_hour", "required"),
    (
        "storage_set",
        {"param_type": "storage_cmd_sys_year", "value": "2026-01-03 12:00:00"},
        "value",
        "invalid_format",
    ),
    (
        "storage_set",
        {"param_type": "storage_fdt_open_voltage", "open_voltage_v": 299, "mpp_voltage_v": 200},
        "open_voltage_v",
        "min_value",
    ),
    (
        "storage_set",
        {"param_type": "storage_fdt_open_voltage", "open_voltage_v": 400, "mpp_voltage_v": 361},
        "mpp_voltage_v",
        "out_of_range",
    ),
    (
        "storage_set",
        {"param_type": "storage_ac_charge_soc_limit", "value": 50, "param1": "50"},
        "param1",
        "unknown_field",
    ),
    ("inverter_set", {"param_id": "pv_turbo", "value": "1"}, "param_id", "invalid_choice"),
    ("inverter_set", {"param_id": "pv_active_p_rate", "value": 100.1}, "value", "max_value"),
    ("inverter_set", {"param_id": "pv_power_factor", "value": 0.79}, "value", "out_of_range"),
    ("inverter_set", {"param_id": "pv_power_factor", "value": -1.01}, "value", "min_value"),
    ("inverter_set", {"param_id": "pv_reactive_p_rate", "value": 20}, "mode", "required"),
    (
        "inverter_set",
        {"param_id": "pv_reactive_p_rate", "value": 20, "mode": "over"},
        "mode",
        "invalid_choice",
    ),
    ("inverter_set", {"param_id": "pf_sys_year", "value": "2026-01-03"}, "value", "invalid_format"),
    ("inverter_set", {"param_id": "pv_grid_voltage_high", "value": 240.75}, "value", "max_decimal_places"),
    ("inverter_set", {"param_id": "pv_grid_voltage_high", "value": 300}, "value", "max_value"),
    ("inverter_set", {"param_id": "set_any_reg", "register": 5, "value": 1}, "register", "invalid_choice"),
    ("inverter_set", {"param_id": "set_any_reg", "register": 0, "value": 1}, "value", "invalid_choice"),
    ("inverter_set", {"param_id": "set_any_reg", "register": 19, "value": 221.5}, "value", "invalid"),
    ("inverter_set", {"param_id": "set_any_reg", "register": 19, "value": 1849}, "value", "out_of_range"),
    ("charge", {"action": "charge"}, "command", "invalid_choice"),
]


@pytest.mark.parametrize(("kind", "params", "field", "code"), INVALID)
def test_invalid_params_name_the_field_and_the_rule(kind, params, field, code):
    errors = errors_of(kind, params)
    name = field if field in ("command", "params") else f"params.{field}"
    assert code in errors.get(name, []), errors


def test_an_error_message_states_the_rule_and_its_source():
    with pytest.raises(ValidationError) as caught:
        validate_command("charge_discharge", {"action": "charge", "control": "soc", "target_soc_pct": 120})
    errors = _flatten(caught.value.get_full_details())
    assert (
        errors["params.target_soc_pct"][0]["message"]
        == "Must be between 0 and 100 (target SOC in %, NBI V7 9.3.4)."
    )


@settings(deadline=None)  # a shared, loaded CPU must not turn a slow example into a failure
@given(soc=st.floats(min_value=0, max_value=100), power=st.one_of(st.none(), st.integers(1, 2**31 - 1)))
def test_any_soc_in_range_with_any_positive_power_is_accepted(soc, power):
    normalised, command = validate_command(
        "charge_discharge", {"action": "discharge", "control": "soc", "target_soc_pct": soc, "power_w": power}
    )
    assert command.target_soc_pct == soc and command.power_w == power


@settings(deadline=None)  # a shared, loaded CPU must not turn a slow example into a failure
@given(
    soc=st.one_of(
        st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False),
        st.floats(min_value=100.000001, allow_nan=False, allow_infinity=False),
    )
)
def test_any_soc_out_of_range_is_refused_naming_target_soc(soc):
    errors = errors_of("charge_discharge", {"action": "charge", "control": "soc", "target_soc_pct": soc})
    assert set(errors) == {"params.target_soc_pct"}


@settings(deadline=None)  # a shared, loaded CPU must not turn a slow example into a failure
@given(power=st.integers(max_value=0))
def test_zero_or_negative_power_is_refused_whatever_the_action(power):
    for action in ("charge", "discharge"):
        errors = errors_of(
            "charge_discharge",
            {"action": action, "control": "duration", "duration_min": 10, "power_w": power},
        )
        assert errors == {"params.power_w": ["not_positive"]}


@settings(deadline=None)  # a shared, loaded CPU must not turn a slow example into a failure
@given(
    st.tuples(st.integers(0, 24), st.integers(0, 59), st.integers(0, 24), st.integers(0, 59)),
    st.sampled_from(["storage_ac_charge_hour_start", "storage_cmd_forced_discharge_time1"]),
)
def test_a_time_window_is_accepted_exactly_when_it_is_a_real_window_not_ending_before_it_starts(
    window, param_type
):
    sh, sm, eh, em = window
    params = {
        "param_type": param_type,
        "start_hour": sh,
        "start_minute": sm,
        "end_hour": eh,
        "end_minute": em,
    }
    real = not (sh == 24 and sm) and not (eh == 24 and em)
    ordered = sh * 60 + sm <= eh * 60 + em
    if real and ordered:
        _, command = validate_command("storage_set", params)
        assert command.params == (str(sh), str(sm), str(eh), str(em))
    else:
        errors = errors_of("storage_set", params)
        assert errors, params
        if real:
            assert errors == {"params.end_hour": ["end_before_start"]}


@settings(deadline=None)  # a shared, loaded CPU must not turn a slow example into a failure
@given(
    key=st.text(min_size=1, max_size=20).filter(lambda k: k not in {"drm0", "drm1", "drm5"}),
    value=st.one_of(st.booleans(), st.integers(), st.text()),
)
def test_an_unknown_key_is_refused_by_name(key, value):
    params = {"drm0": True, "drm1": False, "drm5": False, key: value}
    assert errors_of("drm", params) == {f"params.{key}": ["unknown_field"]}


@settings(deadline=None)  # a shared, loaded CPU must not turn a slow example into a failure
@given(value=st.decimals(min_value=-1000, max_value=100000, places=3, allow_nan=False, allow_infinity=False))
def test_feed_in_power_with_three_decimals_from_minus_1000_is_accepted(value):
    _, command = validate_command("default_setting", {"max_feed_grid_power_kw": float(value)})
    assert command.max_feed_grid_power_kw == float(value)
