"""Validate a dispatch request's `params` for its command kind, from the vendor documents.

Each kind's declaration (dispatch.kinds) names its serializer here; `dispatch.kinds.validate_command(kind,
params)`, the entry point, returns the normalised params (plain JSON: what a job stores) and the
`vendors.base` command dataclass (what an adapter sends), or raises a DRF ValidationError whose keys name
the offending field as `params.<field>` with the rule broken, so the API answers 400 naming it.

One DRF serializer per command kind (per parameter type for the raw setters, built from the vendor's
rule table: vendors.setters via vendors.registry). Conventions:
- Unknown keys are refused (`unknown_field`): a typo such as `target_soc` must not be silently ignored.
- Types are strict JSON: numbers are JSON numbers (not strings, not booleans), flags JSON booleans, vendor
  codes JSON strings. A command that shuts inverters down is not guessed from "0" or "no".
- Only rules that hold for every plant are checked here. Rules that depend on the plant are the adapter's
  (or the vendor's), and end as that plant's task `rejected`, not as a 400, because the same request is
  valid for the other plants of a mixed fleet:
    * One vendor's AC-charge SOC limit is 10-80 % (its storage_ac_charge_soc_limit) while another takes
      0-100 (NBI V7 9.3.4): a charge to 90 % is accepted here and rejected per plant of the first.
    * The maximum feed-in power's upper bound is the plant's capacity (NBI V7 9.6.1.3): per plant.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from vendors import registry
from vendors.base import (
    ChargeDischarge,
    Command,
    CommandKind,
    DefaultSetting,
    DevicePower,
    Drm,
    EmsMode,
    SetDod,
)
from vendors.setters import Value, Variant
from vpp.api_fields import StrictFloatField  # a finite JSON number (1e400 is infinity: refused)

INT32_MAX = 2**31 - 1  # NBI V7's Integer parameters are Java ints


# --- strict fields ---------------------------------------------------------------------------------------


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer (5 or 5.0); refuses strings, booleans, fractions and infinities."""

    default_error_messages = {"invalid": "An integer is required."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():  # inf and nan are not integers either
            self.fail("invalid")
        return super().to_internal_value(int(data))


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false (a JSON boolean)."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class CodeField(serializers.ChoiceField):
    """One of the vendor's string codes, as a JSON string."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or data not in self.choices:
            allowed = ", ".join(f'"{c}"' for c in self.choices)
            raise ValidationError(f"Must be one of {allowed} (a JSON string).", code="invalid_choice")
        return data


class DecimalPlacesField(StrictFloatField):
    """A number with at most `places` decimal places (NBI V7 9.6.1.3: "Only three decimal places")."""

    def __init__(self, *, places: int, **kwargs):
        self.places = places
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        exponent = Decimal(repr(value)).normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < -self.places:
            places = f"{self.places} decimal place{'s' if self.places != 1 else ''}"
            raise ValidationError(f"Use at most {places}.", code="max_decimal_places")
        return value


def _range_messages(low, high, source: str) -> dict[str, str]:
    # Django's validators %-format their message: a literal % must be doubled.
    rule = f"Must be between {low} and {high} ({source}).".replace("%", "%%")
    return {"min_value": rule, "max_value": rule}


# --- the base: unknown keys are an error -----------------------------------------------------------------


class ParamsSerializer(serializers.Serializer):
    """Params of one command: `to_command` builds the vendors.base dataclass from validated data."""

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            raise ValidationError({"non_field_errors": ["params must be a JSON object."]}, code="invalid")
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            allowed = ", ".join([*self.context.get("selectors", ()), *self.fields]) or "none"
            message = f"Unknown parameter; allowed: {allowed}."
            raise ValidationError({key: [message] for key in unknown}, code="unknown_field")
        return super().to_internal_value(data)

    def to_command(self, data: dict) -> Command:
        raise NotImplementedError


def _forbid(errors: dict, data: dict, fields: tuple[str, ...], why: str) -> None:
    for name in fields:
        if data.get(name) is not None:
            errors[name] = [ErrorDetail(f"Not allowed {why}.", code="not_allowed")]


def _require(errors: dict, data: dict, fields: tuple[str, ...], why: str) -> None:
    for name in fields:
        if data.get(name) is None:
            errors[name] = [ErrorDetail(f"Required {why}.", code="required")]


# --- VPP commands (NBI V7 9.3.4-9.3.8, 9.6.1.3, 9.6.1.6); charge/discharge and on/off on every vendor -----


class ChargeDischargeParams(ParamsSerializer):
    """Forced charge / discharge / stop (NBI V7 9.3.4 dispatchSwitch 1 / 2 / 0).

    `control` (controlType 1 SOC, 2 duration) is required to charge or discharge and refused for stop, as
    are its target, duration and power: a stop carries nothing else. `power_w` is a magnitude; the
    direction comes from `action` (the vendor's sign, > 0 charge < 0 discharge, is the adapter's).
    """

    action = CodeField(choices=["charge", "discharge", "stop"])
    control = CodeField(choices=["soc", "duration"], required=False, allow_null=True)
    target_soc_pct = StrictFloatField(
        required=False, allow_null=True, min_value=0, max_value=100,
        error_messages=_range_messages(0, 100, "target SOC in %, NBI V7 9.3.4"),
    )  # fmt: skip
    duration_min = StrictIntegerField(
        required=False, allow_null=True, min_value=0, max_value=1440,
        error_messages=_range_messages(0, 1440, "minutes, NBI V7 9.3.4 dispatchTime"),
    )  # fmt: skip
    power_w = StrictIntegerField(required=False, allow_null=True, max_value=INT32_MAX)

    def validate_power_w(self, value):
        if value is not None and value <= 0:
            raise ValidationError(
                "power_w is a magnitude in watts and must be greater than 0; the direction comes from "
                "action (charge or discharge).",
                code="not_positive",
            )
        return value

    def validate(self, data):
        errors: dict = {}
        action, control = data["action"], data.get("control")
        if action == "stop":
            _forbid(
                errors, data, ("control", "target_soc_pct", "duration_min", "power_w"), "when action is stop"
            )
        elif control is None:
            _require(errors, data, ("control",), f"to {action} (soc or duration, NBI V7 9.3.4 controlType)")
        elif control == "soc":
            _require(errors, data, ("target_soc_pct",), "when control is soc")
            _forbid(errors, data, ("duration_min",), "when control is soc")
        else:
            _require(errors, data, ("duration_min",), "when control is duration")
            _forbid(errors, data, ("target_soc_pct",), "when control is duration")
        if errors:
            raise ValidationError(errors)
        return {k: v for k, v in data.items() if v is not None}

    def to_command(self, data):
        return ChargeDischarge(
            action=data["action"],
            control=data.get("control"),
            target_soc_pct=data.get("target_soc_pct"),
            duration_min=data.get("duration_min"),
            power_w=data.get("power_w"),
        )


class DodParams(ParamsSerializer):
    """Battery depth of discharge, an integer percentage (NBI V7 9.3.6, error 20039: range [0,100])."""

    dod_pct = StrictIntegerField(
        min_value=0, max_value=100, error_messages=_range_messages(0, 100, "DoD in %, NBI V7 9.3.6")
    )

    def to_command(self, data):
        return SetDod(dod_pct=data["dod_pct"])


class DevicePowerParams(ParamsSerializer):
    """Inverters on or off (NBI V7 9.3.7 controlType 1 on / 2 off; an inverterSet pv_on_off elsewhere)."""

    on = StrictBooleanField()

    def to_command(self, data):
        return DevicePower(on=data["on"])


EMS_NOT_SUPPORTED = {0: "no control", 2: "maximum self-consumption", 4: "fully fed to grid", 5: "TOU"}


class EmsModeParams(ParamsSerializer):
    """EMS control type (NBI V7 9.3.8): the document lists 0, 2, 4 and 5 as "not supported"; only 6
    (scheduled charge/discharge) is accepted by the vendor, so only 6 is accepted here."""

    control_type = StrictIntegerField()

    def validate_control_type(self, value):
        if value in EMS_NOT_SUPPORTED:
            raise ValidationError(
                f"EMS control type {value} ({EMS_NOT_SUPPORTED[value]}) is not supported by the vendor; "
                "only 6 (scheduled charge/discharge) is (NBI V7 9.3.8).",
                code="not_supported",
            )
        if value != 6:
            raise ValidationError(
                f"{value} is not an EMS control type; only 6 (scheduled charge/discharge) is accepted "
                "(NBI V7 9.3.8).",
                code="invalid_choice",
            )
        return value

    def to_command(self, data):
        return EmsMode(control_type=data["control_type"])


class DrmParams(ParamsSerializer):
    """DRM switches, all three required (NBI V7 9.6.1.6: drm0 shut down, drm1 no grid import, drm5 no
    output; "Mandatory" each)."""

    drm0 = StrictBooleanField()
    drm1 = StrictBooleanField()
    drm5 = StrictBooleanField()

    def to_command(self, data):
        return Drm(drm0=data["drm0"], drm1=data["drm1"], drm5=data["drm5"])


class DefaultSettingParams(ParamsSerializer):
    """Plant default task (NBI V7 9.6.1.3): maxFeedGridPower in [-1000, plant capacity] and
    activePowerVariationGradient in [0.100, 5000.000], each with at most three decimals, at least one.

    The upper bound of the feed-in power is each plant's capacity: checked per plant, not here.
    """

    max_feed_grid_power_kw = DecimalPlacesField(
        places=3, required=False, allow_null=True, min_value=-1000,
        error_messages={"min_value": "Must be at least -1000 (kW, NBI V7 9.6.1.3 maxFeedGridPower)."},
    )  # fmt: skip
    active_power_gradient = DecimalPlacesField(
        places=3, required=False, allow_null=True, min_value=0.1, max_value=5000,
        error_messages=_range_messages(0.1, 5000, "NBI V7 9.6.1.3 activePowerVariationGradient"),
    )  # fmt: skip

    def validate(self, data):
        data = {k: v for k, v in data.items() if v is not None}
        if not data:
            raise ValidationError(
                "Set at least one of max_feed_grid_power_kw and active_power_gradient (NBI V7 9.6.1.3).",
                code="required",
            )
        return data

    def to_command(self, data):
        return DefaultSetting(
            max_feed_grid_power_kw=data.get("max_feed_grid_power_kw"),
            active_power_gradient=data.get("active_power_gradient"),
        )


# --- raw setters: serializers built from the vendors' rule tables (vendors.setters, vendors.registry) ---


def _num(value) -> str:
    """A number as the vendor takes it in a string parameter: 5 -> "5", 0.85 -> "0.85"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class VariantParams(ParamsSerializer):
    """One variant of a raw setter; `values` gives the vendor's positional string parameters, in the
    order of the variant's table entry."""

    variant: Variant
    section: str = ""

    def values(self, data: dict) -> tuple[str, ...]:
        return tuple(_num(data[v.name]) for v in self.variant.values)

    def validate(self, data):
        rule = self.variant.rule
        if rule == "window":
            _check_window(data, self.section)
        elif rule == "open_voltage":
            _check_ratio(data, self.variant, self.section)
        elif rule == "register":
            _check_register(data, self.variant, self.section)
        return data


def _value_field(value: Value, section: str) -> serializers.Field:
    """The DRF field for one value of a variant, its range message naming the document."""
    source = f"{value.unit}, {section}" if value.unit else section
    ranged = value.low is not None and value.high is not None
    messages = _range_messages(_shown(value.low), _shown(value.high), source) if ranged else {}
    bounds = {"min_value": value.low, "max_value": value.high} if ranged else {}
    if value.kind == "code":
        return CodeField(choices=list(value.codes))
    if value.kind == "int":
        return StrictIntegerField(error_messages=messages, **bounds)
    if value.kind == "datetime":
        return serializers.CharField(max_length=32)
    if value.places is not None:
        return DecimalPlacesField(places=value.places, error_messages=messages, **bounds)
    return StrictFloatField(error_messages=messages, **bounds)


def _shown(bound):
    return int(bound) if isinstance(bound, float) and bound.is_integer() else bound


def _datetime_check(value: Value, section: str):
    def check(self, text):
        try:
            datetime.strptime(text, value.fmt)
        except ValueError:
            raise ValidationError(
                f"Expected the format {value.shown} ({section}).", code="invalid_format"
            ) from None
        return text

    return check


def _magnitude_check(value: Value, variant: Variant, section: str):
    def check(self, number):
        if abs(number) < variant.min_abs:
            raise ValidationError(
                f"A power factor must be in -{variant.min_abs:g} to -1 or {variant.min_abs:g} to 1 "
                f"({section}).",
                code="out_of_range",
            )
        return number

    return check


def _register_check(variant: Variant, section: str):
    def check(self, register):
        if register not in variant.registers:
            raise ValidationError(
                f"Register {register} is not settable; one of {sorted(variant.registers)} ({section}).",
                code="invalid_choice",
            )
        return register

    return check


def variant_serializer(variant: Variant, section: str) -> type[VariantParams]:
    """A ParamsSerializer for one variant of a vendor's rule table."""
    attrs: dict = {"variant": variant, "section": section}
    for value in variant.values:
        attrs[value.name] = _value_field(value, section)
        if value.kind == "datetime":
            attrs[f"validate_{value.name}"] = _datetime_check(value, section)
    if variant.rule == "power_factor":
        attrs["validate_value"] = _magnitude_check(variant.values[0], variant, section)
    if variant.rule == "register":
        attrs["validate_register"] = _register_check(variant, section)
    return type(f"{variant.name}_params", (VariantParams,), attrs)


def _check_window(data: dict, section: str) -> None:
    """A daily window: 24 only as 24:00; end not before start (error 10013). start == end is an empty
    window (what clears one)."""
    errors = {}
    for end in ("start", "end"):
        if data[f"{end}_hour"] == 24 and data[f"{end}_minute"]:
            errors[f"{end}_minute"] = [ErrorDetail("Hour 24 is only valid as 24:00.", code="max_value")]
    if errors:
        raise ValidationError(errors)
    start = data["start_hour"] * 60 + data["start_minute"]
    end = data["end_hour"] * 60 + data["end_minute"]
    if end < start:
        raise ValidationError(
            {"end_hour": [f"The end time can not be before the start time ({section}, error 10013)."]},
            code="end_before_start",
        )


def _check_ratio(data: dict, variant: Variant, section: str) -> None:
    first, second = variant.values
    low_x, high_x = variant.ratio
    low, high = round(data[first.name] * low_x, 6), round(data[first.name] * high_x, 6)
    if not low <= data[second.name] <= high:
        raise ValidationError(
            {
                second.name: [
                    f"Must be between {low_x:g} and {high_x:g} times the open circuit voltage: "
                    f"{low:g}-{high:g} V ({section})."
                ]
            },
            code="out_of_range",
        )


def _check_register(data: dict, variant: Variant, section: str) -> None:
    register, value = data["register"], data["value"]  # the register is one of the table's (field check)
    low, high, what = variant.registers[register]
    switch, allowed = variant.switch
    if register == switch and value not in allowed:
        raise ValidationError(
            {
                "value": [
                    f"Register {switch} takes {allowed[0]} (shutdown) or {allowed[1]} (boot) ({section})."
                ]
            },
            code="invalid_choice",
        )
    if not low <= value <= high:
        raise ValidationError(
            {"value": [f"Register {register} ({what}) takes {low}-{high} ({section})."]}, code="out_of_range"
        )


# Per raw setter kind: (the key naming the variant, its section, variant name -> serializer).
RAW_SETTERS: dict[CommandKind, tuple[str, str, dict[str, type[VariantParams]]]] = {
    kind: (
        setter.selector,
        setter.section,
        {name: variant_serializer(variant, setter.section) for name, variant in setter.variants.items()},
    )
    for kind, setter in registry.setters().items()
}


def _validate_variant(data, selector: str, variants: dict[str, type[VariantParams]], source: str):
    """Pick the variant named by data[selector], then validate the other keys with it."""
    if not isinstance(data, Mapping):
        raise ValidationError({"non_field_errors": ["params must be a JSON object."]}, code="invalid")
    name = data.get(selector)
    if name is None:
        raise ValidationError({selector: ["This field is required."]}, code="required")
    if not isinstance(name, str) or name not in variants:
        raise ValidationError(
            {selector: [f"{name!r} is not one of {', '.join(variants)} ({source})."]}, code="invalid_choice"
        )
    rest = {k: v for k, v in data.items() if k != selector}
    serializer = variants[name](data=rest, context={"selectors": (selector,)})
    serializer.is_valid(raise_exception=True)
    return name, serializer, dict(serializer.validated_data)


def validate_raw_setter(kind: CommandKind, data) -> tuple[dict, tuple[str, tuple[str, ...]]]:
    """(normalised params, (the variant's name, its positional string values)) for a raw setter's params;
    its declaration (dispatch.kinds) builds the command from the pair."""
    selector, section, variants = RAW_SETTERS[kind]
    name, serializer, values = _validate_variant(data, selector, variants, section)
    return {selector: name, **values}, (name, serializer.values(values))


# --- power targets: a fleet-level kind the service plans into per-plant charge/discharge -----------------

POWER_TARGET = "power_target"
MAX_POWER_KW = INT32_MAX / 1000  # a powerDispatch is an Integer of watts (NBI V7 9.3.4)


class PowerTargetParams(ParamsSerializer):
    """A fleet total for a window (dispatch.powertargets, dispatch.planning): `power_kw` over
    `duration_min`, keeping every battery above `soc_floor_pct` (discharge) or below `soc_ceiling_pct`
    (charge). That `power_kw` is not above what the fleet could ever give is checked against the fleet
    (dispatch.powertargets.services), still as a 400 on `params.power_kw`."""

    direction = CodeField(choices=["charge", "discharge"])
    power_kw = StrictFloatField(max_value=MAX_POWER_KW)
    duration_min = StrictIntegerField(
        min_value=1,
        max_value=1440,
        error_messages=_range_messages(1, 1440, "minutes, NBI V7 9.3.4 dispatchTime"),
    )
    soc_floor_pct = StrictFloatField(
        required=False, allow_null=True, min_value=0, max_value=100,
        error_messages=_range_messages(0, 100, "SOC in %"),
    )  # fmt: skip
    soc_ceiling_pct = StrictFloatField(
        required=False, allow_null=True, min_value=0, max_value=100,
        error_messages=_range_messages(0, 100, "SOC in %"),
    )  # fmt: skip

    def validate_power_kw(self, value):
        if value <= 0:
            raise ValidationError(
                "power_kw is the fleet total in kW and must be greater than 0; the direction comes from "
                "direction (charge or discharge).",
                code="not_positive",
            )
        return value

    def validate(self, data):
        floor, ceiling = data.get("soc_floor_pct"), data.get("soc_ceiling_pct")
        if floor is not None and ceiling is not None and floor >= ceiling:
            raise ValidationError(
                {"soc_floor_pct": [f"The floor ({floor:g} %) must be below the ceiling ({ceiling:g} %)."]},
                code="floor_above_ceiling",
            )
        return {k: v for k, v in data.items() if v is not None}

    def to_command(self, data):
        # The job's template; each vendor request carries its plants' own power and duration.
        return ChargeDischarge(
            action=data["direction"], control="duration", duration_min=data["duration_min"]
        )
