"""Every command kind, declared once: `KINDS`, one `CommandSpec` a kind, and what is derived from it.

A kind's declaration says what everything above the vendors needs to know of it: the `vendors.base`
dataclass a job stores and the worker rebuilds (dispatch.engine.codec), its params serializer
(dispatch.commands; none for a raw setter, whose params come from a vendor's rule table), what it must
not run beside on a plant, whether a running task of it can be stopped (dispatch.engine.stops), how long
the vendor takes to finish it (dispatch.engine.timing) and the label people see. Which vendors can send
it is not declared here: each vendor's `capabilities` (vendors/<vendor>/spec.py) says, and `vendors()`
derives it from the registry.

`validate_command(kind, params)` is the entry point the API, the admin, the console and campaigns share.
The `command_kind` columns carry no `choices=`: `command_kind_check` checks them against this table, so a
new kind needs no migration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError

from dispatch.commands import (
    POWER_TARGET,
    ChargeDischargeParams,
    DefaultSettingParams,
    DevicePowerParams,
    DodParams,
    DrmParams,
    EmsModeParams,
    ParamsSerializer,
    PowerTargetParams,
    validate_raw_setter,
)
from dispatch.engine import timing
from vendors import base, registry
from vendors.base import Command, CommandKind


@dataclass(frozen=True)
class CommandSpec:
    """One command kind, declared once."""

    kind: CommandKind
    command: type  # the vendors.base dataclass: what a job stores (dispatch.engine.codec) and a vendor gets
    label: str  # what people see (the console); a raw setter's is prefixed by the brand that sends it
    params: type[ParamsSerializer] | None = None  # None: a raw setter (dispatch.commands.RAW_SETTERS)
    # A raw setter: (the variant's name, its positional string values) -> the command.
    from_setter: Callable[[str, tuple[str, ...]], Command] | None = None
    # Kinds besides itself whose open task on a plant blocks this one (and it them: conflicts are mutual).
    conflicts: tuple[CommandKind, ...] = ()
    stoppable: bool = False  # a running task of it can be stopped (stops.py sends a stop for it)
    # Vendor seconds from receipt to completion (0: done at the first status refresh), per command and plant.
    duration_s: Callable[..., float] = timing.at_first_refresh

    def vendors(self) -> tuple[str, ...]:
        """The vendors whose adapters can send it (each vendor's `capabilities`); the others answer
        `unsupported` at once."""
        return tuple(spec.name for spec in registry.specs() if spec.supports(self.kind))


def _storage_set(name: str, values: tuple[str, ...]) -> Command:
    return base.StorageSet(param_type=name, params=(*values, "", "", "", "")[:4])


def _inverter_set(name: str, values: tuple[str, ...]) -> Command:
    first, second = (*values, "")[:2]
    return base.InverterSet(param_id=name, command_1=first, command_2=second)


_DECLARED = (
    CommandSpec(
        CommandKind.CHARGE_DISCHARGE,
        base.ChargeDischarge,
        "Charge / discharge / stop",
        params=ChargeDischargeParams,
        # A raw storage setting drives the battery's schedule too (a storageSet window).
        conflicts=(CommandKind.STORAGE_SET,),
        stoppable=True,  # dispatchSwitch 0 (NBI V7 9.3.4), or clearing a vendor's charge windows
        duration_s=timing.charge_discharge_s,
    ),
    CommandSpec(CommandKind.DOD, base.SetDod, "Battery depth of discharge", params=DodParams),
    CommandSpec(CommandKind.DEVICE_POWER, base.DevicePower, "Inverters on / off", params=DevicePowerParams),
    CommandSpec(CommandKind.EMS_MODE, base.EmsMode, "EMS control mode", params=EmsModeParams),
    CommandSpec(CommandKind.STORAGE_SET, base.StorageSet, "storage setting", from_setter=_storage_set),
    CommandSpec(CommandKind.INVERTER_SET, base.InverterSet, "inverter setting", from_setter=_inverter_set),
    CommandSpec(CommandKind.DRM, base.Drm, "DRM switches", params=DrmParams),
    CommandSpec(
        CommandKind.DEFAULT_SETTING, base.DefaultSetting, "Default grid setting", params=DefaultSettingParams
    ),
)

KINDS: dict[CommandKind, CommandSpec] = {spec.kind: spec for spec in _DECLARED}

# A member of CommandKind without its declaration (or one declared twice) is a mistake found at start-up.
if list(KINDS) != list(CommandKind) or len(KINDS) != len(_DECLARED):
    raise ImportError(f"dispatch.kinds must declare each CommandKind once, in its order: {list(CommandKind)}")


# --- lookups -------------------------------------------------------------------------------------------


def find(kind) -> CommandSpec | None:
    """The declaration of `kind` (a CommandKind or its value); None for anything else."""
    return KINDS.get(kind) if isinstance(kind, str) else None  # a CommandKind is its value


def names() -> list[str]:
    """Every kind's value, in declaration order."""
    return [str(kind) for kind in KINDS]


def choices() -> list[tuple[str, str]]:
    """(value, value) per kind: Django and DRF choices (as the API has always shown them)."""
    return [(name, name) for name in names()]


def campaign_choices() -> list[tuple[str, str]]:
    """A campaign may also carry a power target (dispatch.commands.POWER_TARGET)."""
    return [*choices(), (POWER_TARGET, POWER_TARGET)]


def conflicting(kind: str) -> tuple[str, ...]:
    """The kinds whose open tasks on a plant a new command of `kind` must not run beside: itself, those it
    declares and those declaring it."""
    spec = find(kind)
    if spec is None:
        return (kind,)
    mutual = (other.kind for other in KINDS.values() if spec.kind in other.conflicts)
    return tuple(dict.fromkeys((spec.kind, *spec.conflicts, *mutual)))


def stoppable_kinds() -> tuple[CommandKind, ...]:
    return tuple(spec.kind for spec in KINDS.values() if spec.stoppable)


def expected_duration_s(command: Command, plant) -> float:
    """Vendor seconds from receipt to completion, as well as we can tell (0: at the first refresh)."""
    return KINDS[command.kind].duration_s(command, plant)


def command_kind_check(value: str) -> None:
    """One of the declared kinds (the `command_kind` columns carry no `choices=`)."""
    if find(value) is None:
        raise DjangoValidationError(
            "Value %(value)r is not a valid choice.", code="invalid_choice", params={"value": value}
        )


def campaign_command_kind_check(value: str) -> None:
    """One of the declared kinds, or a power target."""
    if value != POWER_TARGET:
        command_kind_check(value)


# --- the entry point -------------------------------------------------------------------------------------


def validate_command(kind: str, params) -> tuple[dict, Command]:
    """(normalised params, command) for a command kind and its params, or ValidationError naming
    `command` or `params.<field>` and the rule."""
    if kind == POWER_TARGET:
        try:
            serializer = PowerTargetParams(data=params)
            serializer.is_valid(raise_exception=True)
        except ValidationError as exc:
            raise ValidationError({"params": exc.detail}) from None
        data = dict(serializer.validated_data)
        return data, serializer.to_command(data)
    spec = find(kind)
    if spec is None:
        raise ValidationError(
            {"command": [f"{kind!r} is not one of {', '.join([*names(), POWER_TARGET])}."]},
            code="invalid_choice",
        )
    try:
        if spec.params is None:
            params, (name, values) = validate_raw_setter(spec.kind, params)
            return params, spec.from_setter(name, values)
        serializer = spec.params(data=params)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        return data, serializer.to_command(data)
    except ValidationError as exc:
        raise ValidationError({"params": exc.detail}) from None


def params_serializers() -> list[type[ParamsSerializer]]:
    """The params serializer of every kind that has one (the raw setters' come from RAW_SETTERS)."""
    return [spec.params for spec in KINDS.values() if spec.params is not None]
