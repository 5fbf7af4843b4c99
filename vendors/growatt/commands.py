"""Our commands as Growatt settings: storageSet / inverterSet steps, daily windows, documented ranges.

Growatt has no dispatch call: a charge or discharge is a schedule written into the storage machine with
storageSet (# Growatt 4.3.12), one parameter per call, and the device runs it on its own clock in the
plant's local time. The mapping chosen here (see ``charge_steps`` and friends):

- charge: ``storage_ac_charge_soc_limit`` (the target SOC, 10-80 %; 80 for a duration charge, the most
  the document allows), ``storage_ac_charge_hour_start`` (the window now .. now + duration), then
  ``storage_ac_charge_enable_disable`` 1. Arming comes LAST, so a refusal of an earlier step leaves
  nothing armed.
- discharge: ``storage_lithium_battery`` (the SOC floor, 0-10 %, only for a SOC discharge),
  ``storage_cmd_forced_discharge_time1`` (the window), then ``storage_cmd_forced_discharge_enable`` "0"
  (the document encodes 0 = Enable, 1 = Prohibited).
- stop: ``storage_ac_charge_enable_disable`` 0 and ``storage_cmd_forced_discharge_enable`` "1": both
  windows disarmed whatever armed them, which also undoes a command that failed half way.
- power: the document has no power parameter for either window; the machine runs at its own rate, and
  ``power_w`` is ignored with a note in the result's message (rejecting would fail every Growatt plant of
  every dispatch that states a power, for a value the device cannot take anyway).

Windows are ``start hour, start minute, end hour, end minute`` with hours 0-24 and the end not before the
start (error 10013), so a window never crosses midnight. One that would is split: ``[start, 24:00)`` is
sent with the command and ``[00:00, end)`` once the plant's local day has turned (the adapter's poll).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from vendors.base import ChargeDischarge
from vendors.setters import Setter, Value, Variant

from .setters import INVERTER, STORAGE

STORAGE_SET = "storageSet"  # Growatt 4.3.12
INVERTER_SET = "inverterSet"  # Growatt 4.3.7

# storageSet types (# Growatt 4.3.12)
AC_CHARGE_ENABLE = "storage_ac_charge_enable_disable"  # 0 Prohibited, 1 Enable
AC_CHARGE_ENABLE_APP = "storage_ac_charge_enable_disenable"  # Growatt's app and pages (FIELD_NOTES)
AC_CHARGE_WINDOW = "storage_ac_charge_hour_start"
AC_CHARGE_SOC_LIMIT = "storage_ac_charge_soc_limit"  # 10-80 %
DISCHARGE_ENABLE = "storage_cmd_forced_discharge_enable"  # 0 Enable, 1 Prohibited (sic)
DISCHARGE_WINDOW = "storage_cmd_forced_discharge_time1"
SOC_FLOOR = "storage_lithium_battery"  # lithium battery SOC lower limit, 0-10 %
STORAGE_ON_OFF = "storage_cmd_on_off"
PV_ON_OFF = "pv_on_off"  # Growatt 4.3.7
ON, OFF = "0101", "0000"  # 4.3.7: "0101" power on (automatic grid), "0000" shut down
ON_SHINEPHONE = "0001"  # growattServer base_api.py set_classic_inverter_on_off (FIELD_NOTES "on code")

CHARGE_SOC_RANGE = (10, 80)
DISCHARGE_SOC_RANGE = (0, 10)
MAX_WINDOW_MIN = 1440
DEFAULT_SOC_WINDOW_MIN = 360
"""A SOC command without a duration gets this long a window: a 15 kWh battery at 2 kW from empty to 80 %."""


class Refusal(Exception):
    """A command this adapter refuses before sending anything: the plant's task ends REJECTED.

    ``code`` is the error_code the document gives the vendor's own refusal of the same value, so the task
    carries the same code whether the adapter or the cloud caught it.
    """

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Step:
    """One setting call: its endpoint, the device, the exact form body (its identity) and a label."""

    endpoint: str
    sn: str
    params: dict[str, str]
    label: str

    def to_json(self) -> dict:
        return {"endpoint": self.endpoint, "sn": self.sn, "params": self.params, "label": self.label}

    @classmethod
    def from_json(cls, data: dict) -> Step:
        return cls(data["endpoint"], data["sn"], dict(data["params"]), data["label"])


def storage_step(sn: str, type_id: str, *values: str) -> Step:
    # 4.3.12: all four values are required; "an empty pass-through string" for the unused ones.
    padded = [*values, " ", " ", " ", " "][:4]
    params = {"storage_sn": sn, "type": type_id}
    params.update({f"param{i}": v for i, v in enumerate(padded, start=1)})
    shown = ",".join(v for v in values if v.strip())
    return Step(STORAGE_SET, sn, params, f"storageSet {type_id}={shown} on {sn}")


def inverter_step(sn: str, param_id: str, command_1: str, command_2: str = "") -> Step:
    # 4.3.7: command_2 is required, "" when the parameter takes one value.
    params = {"device_sn": sn, "paramId": param_id, "command_1": command_1, "command_2": command_2}
    shown = ",".join(v for v in (command_1, command_2) if v)
    return Step(INVERTER_SET, sn, params, f"inverterSet {param_id}={shown} on {sn}")


# --- windows in the plant's local time -------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in the plant's local time, whole minutes; at most 24 h long."""

    start: datetime
    end: datetime

    @property
    def crosses_midnight(self) -> bool:
        """True when the end falls on a later local day than the start (and is not exactly its 24:00)."""
        return self.end.date() > self.start.date() and not (
            self.end.date() == self.start.date() + timedelta(days=1) and _minute_of_day(self.end) == 0
        )

    @property
    def midnight(self) -> datetime:
        """The local midnight that splits a crossing window (the start of the second segment)."""
        day = self.start.date() + timedelta(days=1)
        return datetime(day.year, day.month, day.day, tzinfo=self.start.tzinfo)

    def first_segment(self) -> tuple[str, str, str, str]:
        """``(start h, start m, end h, end m)`` of what is sent with the command; 24:00 ends the day."""
        start = _minute_of_day(self.start)
        end = (
            1440 if self.crosses_midnight or self.end.date() > self.start.date() else _minute_of_day(self.end)
        )
        return _hm(start) + _hm(end)

    def second_segment(self) -> tuple[str, str, str, str] | None:
        """``(0, 0, end h, end m)`` for a window that crosses midnight, else None."""
        return ("0", "0", *_hm(_minute_of_day(self.end))) if self.crosses_midnight else None

    def encode(self) -> str:
        return f"{self.start:%Y%m%d%H%M}{self.end:%Y%m%d%H%M}"

    @classmethod
    def decode(cls, text: str, zone: ZoneInfo) -> Window:
        start = datetime.strptime(text[:12], "%Y%m%d%H%M").replace(tzinfo=zone)
        end = datetime.strptime(text[12:24], "%Y%m%d%H%M").replace(tzinfo=zone)
        return cls(start, end)


def _minute_of_day(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _hm(minutes: int) -> tuple[str, str]:
    return str(minutes // 60), str(minutes % 60)


def plan_window(now_local: datetime, duration_min: int) -> Window:
    """``now .. now + duration`` from the start of the current local minute.

    The duration is elapsed time (added in UTC), so a window over a DST change lasts what was asked; its
    ends are then read on the plant's wall clock, which is what the device compares them with.
    """
    zone = now_local.tzinfo
    start = now_local.replace(second=0, microsecond=0)
    end = (start.astimezone(ZoneInfo("UTC")) + timedelta(minutes=duration_min)).astimezone(zone)
    return Window(start, end)


def window_minutes(command: ChargeDischarge) -> int:
    """How long the window of a charge or discharge lasts, or a Refusal naming the rule."""
    if command.control == "duration":
        minutes = command.duration_min
        if minutes is None or not 1 <= minutes <= MAX_WINDOW_MIN:
            raise Refusal(
                f"duration_min must be 1-{MAX_WINDOW_MIN} minutes (a Growatt window is at most a day)"
            )
        return int(minutes)
    if command.duration_min is not None:
        if not 1 <= command.duration_min <= MAX_WINDOW_MIN:
            raise Refusal(
                f"duration_min must be 1-{MAX_WINDOW_MIN} minutes (a Growatt window is at most a day)"
            )
        return int(command.duration_min)
    return DEFAULT_SOC_WINDOW_MIN


def target_soc(command: ChargeDischarge) -> int | None:
    """The SOC a SOC command sets, checked against the document's range for that parameter."""
    if command.control != "soc":
        return None
    if command.target_soc_pct is None:
        raise Refusal("target_soc_pct is required for SOC control")
    value = round(float(command.target_soc_pct))
    if command.action == "charge":
        low, high = CHARGE_SOC_RANGE
        if not low <= value <= high:
            raise Refusal(
                f"target SOC {command.target_soc_pct:g} % is out of range: Growatt charges to a SOC limit of "
                f"{low}-{high} % (storage_ac_charge_soc_limit, Growatt 4.3.12)",
                "10008",
            )
    else:
        low, high = DISCHARGE_SOC_RANGE
        if not low <= value <= high:
            raise Refusal(
                f"target SOC {command.target_soc_pct:g} % is out of range: Growatt discharges down to a SOC "
                f"lower limit of {low}-{high} % (storage_lithium_battery, Growatt 4.3.12)",
                "10008",
            )
    return value


# --- the plans ---------------------------------------------------------------------------------------------


def charge_steps(sns: list[str], window: Window, soc: int | None) -> tuple[list[Step], list[Step]]:
    """``(prepare, arm)``: every storage machine is prepared before any is armed."""
    limit = str(soc if soc is not None else CHARGE_SOC_RANGE[1])
    prepare = []
    for sn in sns:
        prepare.append(storage_step(sn, AC_CHARGE_SOC_LIMIT, limit))
        prepare.append(storage_step(sn, AC_CHARGE_WINDOW, *window.first_segment()))
    return prepare, [storage_step(sn, AC_CHARGE_ENABLE, "1") for sn in sns]


def discharge_steps(sns: list[str], window: Window, soc: int | None) -> tuple[list[Step], list[Step]]:
    prepare = []
    for sn in sns:
        if soc is not None:
            prepare.append(storage_step(sn, SOC_FLOOR, str(soc)))
        prepare.append(storage_step(sn, DISCHARGE_WINDOW, *window.first_segment()))
    return prepare, [storage_step(sn, DISCHARGE_ENABLE, "0") for sn in sns]


def disarm_step(action: str, sn: str) -> Step:
    """What undoes the arming of ``action`` on one machine."""
    if action == "charge":
        return storage_step(sn, AC_CHARGE_ENABLE, "0")
    return storage_step(sn, DISCHARGE_ENABLE, "1")


def stop_steps(sns: list[str]) -> list[Step]:
    return [disarm_step(action, sn) for sn in sns for action in ("charge", "discharge")]


def second_segment_steps(action: str, sns: list[str], window: Window) -> list[Step]:
    segment = window.second_segment()
    if segment is None:
        return []
    type_id = AC_CHARGE_WINDOW if action == "charge" else DISCHARGE_WINDOW
    return [storage_step(sn, type_id, *segment) for sn in sns]


# --- raw settings, checked against the document before sending (the rule table: setters.py) -----------


def _number(value: str, low, high, what: str, *, integer: bool = False) -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise Refusal(f"{what}: {value!r} is not a number", "10008") from None
    if not number.is_finite() or (integer and number != number.to_integral_value()):
        raise Refusal(f"{what}: {value!r} is not {'an integer' if integer else 'a number'}", "10008")
    if low is not None and high is not None and not low <= number <= high:
        raise Refusal(f"{what}: {value} is out of range {low:g}-{high:g}", "10008")
    return number


def _check_value(text: str, value: Value, source: str):
    """One positional string checked against its table entry: the number it reads as, or None."""
    what = f"{source} {value.label}"
    if value.kind == "code":
        if text.strip() not in value.codes:
            raise Refusal(f"{source}: {text!r} is not one of {', '.join(value.codes)}", "10008")
        return None
    if value.kind == "datetime":
        try:
            datetime.strptime(text.strip(), value.fmt)
        except ValueError:
            raise Refusal(f"{source}: {text!r} is not in the format {value.shown}", "10009") from None
        return None
    number = _number(text, value.low, value.high, what, integer=value.kind == "int")
    if value.places is not None and number.as_tuple().exponent < -value.places:  # type: ignore[operator]
        raise Refusal(
            f"{source}: up to {'one decimal' if value.places == 1 else f'{value.places} decimals'}", "10008"
        )
    return number


def _check_rule(variant: Variant, numbers: list, source: str) -> None:
    if variant.rule == "window":
        sh, sm, eh, em = (int(n) for n in numbers)
        if (sh == 24 and sm) or (eh == 24 and em):
            raise Refusal(f"{source}: hour 24 is only valid as 24:00", "10008")
        if eh * 60 + em < sh * 60 + sm:
            raise Refusal(f"{source}: the end time can not be less than the start time", "10013")
    elif variant.rule == "open_voltage":
        open_v, mpp_v = numbers
        low, high = (open_v * Decimal(str(x)) for x in variant.ratio)
        if not low <= mpp_v <= high:
            raise Refusal(
                f"{source} MPP voltage ({variant.ratio[0]:g}-{variant.ratio[1]:g} x open circuit voltage): "
                f"{mpp_v} is out of range {low:g}-{high:g}",
                "10008",
            )
    elif variant.rule == "power_factor":
        if abs(numbers[0]) < Decimal(str(variant.min_abs)):
            raise Refusal(
                f"{source}: a power factor is -{variant.min_abs:g}~-1 or {variant.min_abs:g}~1", "10008"
            )
    elif variant.rule == "register":
        register, value = (int(n) for n in numbers)
        if register not in variant.registers:
            raise Refusal(f"{source}: register {register} is not one of {sorted(variant.registers)}", "10008")
        low, high, _ = variant.registers[register]
        _number(str(value), low, high, f"{source} register {register} value", integer=True)
        switch, allowed = variant.switch
        if register == switch and value not in allowed:
            raise Refusal(
                f"{source}: register {switch} takes {allowed[0]} (shutdown) or {allowed[1]} (boot)", "10008"
            )


def _validate(setter: Setter, name: str, values: tuple[str, ...], what: str) -> tuple[str, ...]:
    """The values to send for one raw setting, or a Refusal (the document's table and codes)."""
    if name not in setter.variants:
        raise Refusal(f"{what} {name!r} does not exist ({setter.section})", "10006")
    variant = setter.variants[name]
    source = f"{name} ({setter.section})"
    values = tuple(v.strip() for v in (list(values) + [""] * setter.slots)[: setter.slots])
    if any(not v for v in values[: variant.needed]):
        raise Refusal(f"{source}: {variant.needed} value(s) required", "10007")
    numbers = [_check_value(text, value, source) for text, value in zip(values, variant.values, strict=False)]
    _check_rule(variant, numbers, source)
    return values[: variant.needed]


def validate_storage_set(param_type: str, params: tuple[str, ...]) -> tuple[str, ...]:
    """The values to send for a raw storageSet, or a Refusal (# Growatt 4.3.12 table and codes)."""
    return _validate(STORAGE, param_type, params, "storageSet type")


def validate_inverter_set(param_id: str, command_1: str, command_2: str) -> tuple[str, str]:
    """The values to send for a raw inverterSet, or a Refusal (# Growatt 4.3.7 table and codes)."""
    values = _validate(INVERTER, param_id, (command_1, command_2), "inverterSet parameter")
    return values[0], values[1] if len(values) == 2 else ""
