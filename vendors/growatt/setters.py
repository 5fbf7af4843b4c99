"""The raw setters' rules, once: every storageSet type (# Growatt 4.3.12) and inverterSet parameter
(# Growatt 4.3.7) we let through, with its values, their ranges, codes and formats, and the rules that tie
values together.

Two readers, one table: the API validates a dispatch's JSON params by it (dispatch.commands builds its
serializers from `SETTERS`, errors naming the field), and the adapter checks the positional strings it is
about to send by it (vendors.growatt.commands.validate_storage_set / validate_inverter_set, refusals
carrying the code the document gives the cloud's own refusal). No Django here.

A variant's values are listed in the order the vendor takes them (param1..param4, command_1/command_2).
`rule` names a check over several values:
- "window": a daily window, hours 0-24, minutes 0-59, 24 only as 24:00, end not before start (10013);
- "open_voltage": the MPP voltage is 0.55-0.9 times the open circuit voltage (storage_fdt_open_voltage);
- "power_factor": -0.8 to -1 or 0.8 to 1 (pv_power_factor);
- "register": `REGISTERS` gives each settable address's range; register 0 takes only 0 or 257.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from vendors.base import CommandKind
from vendors.setters import Setter, Value, Variant

STORAGE_SECTION, INVERTER_SECTION = "Growatt 4.3.12", "Growatt 4.3.7"
ON_OFF = ("0000", "0101")  # "0000" shut down, no automatic grid connection; "0101" on with it
BINARY = ("0", "1")

MPP_RATIO = (0.55, 0.9)  # storage_fdt_open_voltage: MPP voltage / open circuit voltage
MIN_POWER_FACTOR = 0.8  # pv_power_factor: |pf| in [0.8, 1]
WINDOW_HOURS, WINDOW_MINUTES = (0, 24), (0, 59)

# set_any_reg registers (4.3.7 advanced settings): address -> (low, high, what) in the register's own
# units (volts x 10, hertz x 100, as the document's precautions say); register 0 takes only 0 or 257.
REGISTERS: Mapping[int, tuple[int, int, str]] = MappingProxyType(
    {
        19: (1850, 2850, "mains voltage lower limit, V x 10"),
        20: (1850, 2850, "mains voltage upper limit, V x 10"),
        21: (4000, 6500, "mains frequency lower limit, Hz x 100"),
        22: (4000, 6500, "mains frequency upper limit, Hz x 100"),
        30: (1, 250, "inverter communication address"),
        0: (0, 257, "switch: 0 shutdown, 257 boot"),
        3: (0, 100, "active power, % of rated power"),
    }
)
SWITCH_REGISTER, SWITCH_VALUES = 0, (0, 257)  # the register that takes only these two values


def _code(*codes: str) -> tuple[Value, ...]:
    return (Value("value", "code", codes=codes),)


def _window() -> tuple[Value, ...]:
    hours, minutes = WINDOW_HOURS, WINDOW_MINUTES
    return (
        Value("start_hour", "int", "start hour", *hours),
        Value("start_minute", "int", "start minute", *minutes),
        Value("end_hour", "int", "end hour", *hours),
        Value("end_minute", "int", "end minute", *minutes),
    )


def _variants(*variants: Variant) -> Mapping[str, Variant]:
    return MappingProxyType({v.name: v for v in variants})


STORAGE = Setter(
    CommandKind.STORAGE_SET,
    "param_type",
    STORAGE_SECTION,
    4,
    _variants(
        Variant("storage_cmd_on_off", _code(*ON_OFF)),
        Variant("storage_cmd_mode", _code(*BINARY)),  # 1 free mode, 0 standard mode
        # The vendor's raw codes, as documented: 0 = Enable and 1 = Prohibited (sic).
        Variant("storage_cmd_forced_discharge_enable", _code(*BINARY)),
        Variant(
            "storage_lithium_battery",
            (
                Value(
                    "value", "int", "SOC lower limit (%)", 0, 10, unit="lithium battery SOC lower limit in %"
                ),
            ),
        ),
        Variant(
            "storage_fdt_open_voltage",
            (
                Value("open_voltage_v", "number", "open circuit voltage (V)", 300, 500, unit="V"),
                Value("mpp_voltage_v", "number", "MPP voltage"),
            ),
            rule="open_voltage",
            ratio=MPP_RATIO,
        ),
        Variant("storage_cmd_forced_discharge_time1", _window(), rule="window"),
        Variant(
            "storage_cmd_sys_year",
            (Value("value", "datetime", fmt="%Y-%m-%d %H:%M", shown="YYYY-MM-DD HH:mm"),),
        ),
        Variant("storage_ac_charge_enable_disable", _code(*BINARY)),  # 0 Prohibited, 1 Enable
        Variant("storage_ac_charge_hour_start", _window(), rule="window"),
        Variant(
            "storage_ac_charge_soc_limit",
            (Value("value", "int", "SOC limit (%)", 10, 80, unit="AC charge SOC limit in %"),),
        ),
    ),
)

INVERTER = Setter(
    CommandKind.INVERTER_SET,
    "param_id",
    INVERTER_SECTION,
    2,
    _variants(
        Variant("pv_on_off", _code(*ON_OFF)),
        Variant("pv_pf_cmd_memory_state", _code(*BINARY)),  # 1 on, 0 off
        Variant(
            "pv_active_p_rate",
            (Value("value", "number", "active power (%)", 0, 100, unit="% of rated power"),),
        ),
        Variant(
            "pv_reactive_p_rate",
            (
                Value("value", "number", "reactive power (%)", 0, 100, unit="%"),
                Value("mode", "code", "mode", codes=("Over", "Under")),  # capacitive / inductive
            ),
        ),
        Variant(
            "pv_power_factor",
            (Value("value", "number", "power factor", -1, 1),),
            rule="power_factor",
            min_abs=MIN_POWER_FACTOR,
        ),
        Variant(
            "pf_sys_year", (Value("value", "datetime", fmt="%Y-%m-%d %H:%M:%S", shown="YYYY-MM-DD HH:mm:ss"),)
        ),
        # "Such as: 240.7 (up to one decimal)"; no range is stated there, so the range of the same limit as
        # a register (mains voltage upper limit, 185-285 V, address 20) applies.
        Variant("pv_grid_voltage_high", (Value("value", "number", "volts", 185, 285, places=1, unit="V"),)),
        Variant(
            "set_any_reg",
            (Value("register", "int", "register"), Value("value", "int", "register value")),
            rule="register",
            registers=REGISTERS,
            switch=(SWITCH_REGISTER, SWITCH_VALUES),
        ),
    ),
)

SETTERS: Mapping[CommandKind, Setter] = MappingProxyType({s.kind: s for s in (STORAGE, INVERTER)})
