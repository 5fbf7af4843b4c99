"""Parameter rules of ``storageSet`` (# Growatt 4.3.12) and ``inverterSet`` (# Growatt 4.3.7).

Why a module of its own: these ranges are what an adapter must respect, and each refusal has a
documented code; keeping them in one table-like place makes the rules reviewable against the document.
Validation returns the parsed values; ``effects`` applies them. Codes shared by both setters:
10006 type does not exist, 10007 value empty, 10008 value out of range, 10009 bad date/time format;
storageSet adds 10013 (end time before start time).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from .protocol import GrowattError

TYPE_UNKNOWN = 10006
VALUE_EMPTY = 10007
OUT_OF_RANGE = 10008
BAD_DATETIME = 10009
END_BEFORE_START = 10013

Parsed = dict[str, object]


def _require(values: list[str], count: int) -> None:
    if any(not v for v in values[:count]):
        raise GrowattError(VALUE_EMPTY, "The parameter value is null")


def _number(value: str, low: float, high: float, *, integer: bool = False) -> float:
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise GrowattError(OUT_OF_RANGE, f"{value!r} is not a number") from None
    if not number.is_finite() or (integer and number != number.to_integral_value()):
        raise GrowattError(OUT_OF_RANGE, f"{value!r} is not {'an integer' if integer else 'a number'}")
    if not low <= number <= high:
        raise GrowattError(OUT_OF_RANGE, f"{value} is not in the range {low:g}-{high:g}")
    return float(number)


def _choice(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise GrowattError(OUT_OF_RANGE, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _datetime(value: str, fmt: str, shown: str) -> str:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        raise GrowattError(BAD_DATETIME, f"The date and time format is incorrect, expected {shown}") from None
    return value


# --- storageSet (# Growatt 4.3.12) ----------------------------------------------------------------


def _window(values: list[str]) -> Parsed:
    """``start hour, start minute, end hour, end minute``: 0-24 / 0-59 each; end not before start.

    24 is allowed as an hour only as 24:00 (the end of the day) so a window never leaves its day.
    """
    _require(values, 4)
    sh, sm, eh, em = (
        int(_number(v, 0, hi, integer=True)) for v, hi in zip(values, (24, 59, 24, 59), strict=True)
    )
    if (sh == 24 and sm) or (eh == 24 and em):
        raise GrowattError(OUT_OF_RANGE, "24 is only valid as 24:00")
    start, end = sh * 60 + sm, eh * 60 + em
    if end < start:
        raise GrowattError(END_BEFORE_START, "The end time can not be less than the start time")
    return {"start_min": start, "end_min": end}


def _on_off(values: list[str]) -> Parsed:
    # "0000" shutdown, "0101" on with automatic grid connection. The document writes "Shutdown" for both
    # values of storage_cmd_on_off; read as in pv_on_off (# Growatt 4.3.7), where 0101 is power on.
    _require(values, 1)
    return {"on": _choice(values[0], ("0000", "0101")) == "0101"}


def _flag(values: list[str]) -> Parsed:
    _require(values, 1)
    return {"value": _choice(values[0], ("0", "1"))}


def _open_voltage(values: list[str]) -> Parsed:
    # "Open circuit voltage: 300V-500V", "MPP voltage: Open circuit voltage 0.55-0.9": read as an MPP
    # voltage between 0.55 and 0.9 times the open circuit voltage.
    _require(values, 2)
    open_v = _number(values[0], 300, 500)
    mpp_v = _number(values[1], round(open_v * 0.55, 6), round(open_v * 0.9, 6))
    return {"open_voltage": open_v, "mpp_voltage": mpp_v}


def _single(low: int, high: int) -> Callable[[list[str]], Parsed]:
    def parse(values: list[str]) -> Parsed:
        _require(values, 1)
        return {"value": _number(values[0], low, high, integer=True)}

    return parse


def _storage_time(values: list[str]) -> Parsed:
    _require(values, 1)
    return {"value": _datetime(values[0], "%Y-%m-%d %H:%M", "YYYY-MM-DD HH:mm")}


STORAGE_TYPES: dict[str, Callable[[list[str]], Parsed]] = {
    "storage_cmd_on_off": _on_off,
    "storage_cmd_mode": _flag,  # 1 free mode, 0 standard mode
    "storage_cmd_forced_discharge_enable": _flag,  # 0 Enable, 1 Prohibited (sic)
    "storage_lithium_battery": _single(0, 10),  # lithium battery SOC lower limit (%)
    "storage_fdt_open_voltage": _open_voltage,
    "storage_cmd_forced_discharge_time1": _window,
    "storage_cmd_sys_year": _storage_time,
    "storage_ac_charge_enable_disable": _flag,  # 0 Prohibited, 1 Enable
    "storage_ac_charge_hour_start": _window,
    "storage_ac_charge_soc_limit": _single(10, 80),  # stop SOC of AC charging (%)
}


def validate_storage_set(type_id: str, values: list[str]) -> Parsed:
    """Parsed values of one storageSet call, or GrowattError with the documented code."""
    parse = STORAGE_TYPES.get(type_id)
    if parse is None:
        raise GrowattError(TYPE_UNKNOWN, "The set parameter type does not exist")
    return parse(values)


# --- inverterSet (# Growatt 4.3.7) ----------------------------------------------------------------

# set_any_reg registers: address -> (low, high) in the register's own units (10x volts, 100x hertz).
REGISTERS: dict[int, tuple[int, int]] = {
    19: (1850, 2850),  # mains voltage lower limit, 185-285 V x 10
    20: (1850, 2850),  # mains voltage upper limit, 185-285 V x 10
    21: (4000, 6500),  # mains frequency lower limit, 40-65 Hz x 100
    22: (4000, 6500),  # mains frequency upper limit, 40-65 Hz x 100
    30: (1, 250),  # inverter communication address
    0: (0, 257),  # switch: only 0 (shutdown) and 257 (boot)
    3: (0, 100),  # active power, % of rated power
}


def _power_factor(values: list[str]) -> Parsed:
    _require(values, 1)
    pf = _number(values[0], -1, 1)
    if abs(pf) < 0.8:
        raise GrowattError(OUT_OF_RANGE, "power factor must be in -0.8~-1 or 0.8~1")
    return {"value": pf}


def _voltage_high(values: list[str]) -> Parsed:
    # "Such as: 240.7 (up to one decimal)"; no range is given, the register range of the mains voltage
    # upper limit (185-285 V) is applied.
    _require(values, 1)
    volts = _number(values[0], 185, 285)
    if "." in values[0] and len(values[0].split(".", 1)[1]) > 1:
        raise GrowattError(OUT_OF_RANGE, "up to one decimal")
    return {"value": volts}


def _reactive(values: list[str]) -> Parsed:
    _require(values, 2)
    return {"value": _number(values[0], 0, 100), "mode": _choice(values[1], ("Over", "Under"))}


def _any_reg(values: list[str]) -> Parsed:
    _require(values, 2)
    register = int(_number(values[0], 0, 65535, integer=True))
    if register not in REGISTERS:
        raise GrowattError(OUT_OF_RANGE, f"register {register} is not settable")
    low, high = REGISTERS[register]
    value = int(_number(values[1], low, high, integer=True))
    if register == 0 and value not in (0, 257):
        raise GrowattError(OUT_OF_RANGE, "register 0 takes 0 (shutdown) or 257 (boot)")
    return {"register": register, "value": value}


def _inverter_on_off(values: list[str]) -> Parsed:
    _require(values, 1)
    return {"on": _choice(values[0], ("0000", "0101")) == "0101"}


def _inverter_time(values: list[str]) -> Parsed:
    _require(values, 1)
    return {"value": _datetime(values[0], "%Y-%m-%d %H:%M:%S", "YYYY-MM-DD HH:mm:ss")}


def _rate(values: list[str]) -> Parsed:
    _require(values, 1)
    return {"value": _number(values[0], 0, 100)}


INVERTER_TYPES: dict[str, Callable[[list[str]], Parsed]] = {
    "pv_on_off": _inverter_on_off,
    "pv_pf_cmd_memory_state": _flag,
    "pv_active_p_rate": _rate,
    "pv_reactive_p_rate": _reactive,
    "pv_power_factor": _power_factor,
    "pf_sys_year": _inverter_time,
    "pv_grid_voltage_high": _voltage_high,
    "set_any_reg": _any_reg,
}


def validate_inverter_set(param_id: str, values: list[str]) -> Parsed:
    """Parsed values of one inverterSet call, or GrowattError with the documented code."""
    parse = INVERTER_TYPES.get(param_id)
    if parse is None:
        raise GrowattError(TYPE_UNKNOWN, "The set parameter type does not exist")
    return parse(values)
