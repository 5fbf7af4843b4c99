"""The API's raw Growatt setter rules (dispatch.commands) and the Growatt adapter's (vendors.growatt.commands)
are two readings of Growatt 4.3.7 / 4.3.12; they must agree. If the API accepted what the adapter refuses,
an operator would get a 201 and then every plant `rejected` for a rule a 400 could have named; if it refused
what the adapter accepts, a documented setting could not be sent at all.

Generated over each parameter's edges: ranges, integers vs fractions, 24:00, end before start, and the
open-circuit / MPP voltage ratio.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from dispatch.kinds import validate_command
from vendors.growatt.commands import Refusal, validate_inverter_set, validate_storage_set

_number = st.one_of(
    st.integers(-30, 6600),
    st.decimals(min_value=-2, max_value=600, places=2, allow_nan=False, allow_infinity=False).map(float),
)
_hour, _minute = st.integers(-1, 25), st.integers(-1, 61)


def _text(value) -> str:
    """A JSON number as it reaches the vendor in a string parameter."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _api_accepts(kind: str, params: dict) -> bool:
    try:
        validate_command(kind, params)
    except ValidationError:
        return False
    return True


def _adapter_accepts(check, *args) -> bool:
    try:
        check(*args)
    except Refusal:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(
    param_type=st.sampled_from(["storage_ac_charge_hour_start", "storage_cmd_forced_discharge_time1"]),
    window=st.tuples(_hour, _minute, _hour, _minute),
)
def test_time_windows(param_type, window):
    keys = ("start_hour", "start_minute", "end_hour", "end_minute")
    api = _api_accepts("storage_set", {"param_type": param_type, **dict(zip(keys, window, strict=True))})
    adapter = _adapter_accepts(validate_storage_set, param_type, tuple(map(str, window)))
    assert api == adapter, window


@settings(max_examples=400, deadline=None)
@given(
    param_type=st.sampled_from(["storage_ac_charge_soc_limit", "storage_lithium_battery"]),
    value=_number,
)
def test_storage_percentages(param_type, value):
    api = _api_accepts("storage_set", {"param_type": param_type, "value": value})
    assert api == _adapter_accepts(validate_storage_set, param_type, (_text(value),)), value


@settings(max_examples=400, deadline=None)
@given(open_v=st.integers(280, 520), mpp_v=st.integers(140, 480))
def test_open_circuit_and_mpp_voltage(open_v, mpp_v):
    params = {"param_type": "storage_fdt_open_voltage", "open_voltage_v": open_v, "mpp_voltage_v": mpp_v}
    api = _api_accepts("storage_set", params)
    adapter = _adapter_accepts(validate_storage_set, "storage_fdt_open_voltage", (str(open_v), str(mpp_v)))
    assert api == adapter, (open_v, mpp_v)


@settings(max_examples=400, deadline=None)
@given(
    param_id=st.sampled_from(["pv_active_p_rate", "pv_power_factor", "pv_grid_voltage_high"]),
    value=_number,
)
def test_inverter_numbers(param_id, value):
    api = _api_accepts("inverter_set", {"param_id": param_id, "value": value})
    assert api == _adapter_accepts(validate_inverter_set, param_id, _text(value), ""), value


@settings(max_examples=400, deadline=None)
@given(register=st.sampled_from([0, 3, 5, 19, 20, 21, 22, 30, 31]), value=st.integers(-5, 7000))
def test_any_register(register, value):
    api = _api_accepts("inverter_set", {"param_id": "set_any_reg", "register": register, "value": value})
    adapter = _adapter_accepts(validate_inverter_set, "set_any_reg", str(register), str(value))
    assert api == adapter, (register, value)


@settings(deadline=None)
@given(
    param=st.sampled_from(
        [
            ("storage_set", "storage_cmd_on_off"),
            ("storage_set", "storage_cmd_mode"),
            ("storage_set", "storage_cmd_forced_discharge_enable"),
            ("storage_set", "storage_ac_charge_enable_disable"),
            ("inverter_set", "pv_on_off"),
            ("inverter_set", "pv_pf_cmd_memory_state"),
        ]
    ),
    code=st.sampled_from(["0", "1", "2", "0000", "0101", "0100", "on"]),
)
def test_codes(param, code):
    kind, name = param
    if kind == "storage_set":
        api = _api_accepts(kind, {"param_type": name, "value": code})
        adapter = _adapter_accepts(validate_storage_set, name, (code,))
    else:
        api = _api_accepts(kind, {"param_id": name, "value": code})
        adapter = _adapter_accepts(validate_inverter_set, name, code, "")
    assert api == adapter, (name, code)
