"""What planning takes and gives: frozen dataclasses, units in the names, no Django."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from vendors import registry

INTERVAL_S = 300  # delivery is planned and measured per 5-minute interval (the NBI V7 KPI window, 9.3.2)
STALE_AFTER_S = 900.0  # three telemetry windows without a reading: SOC may have moved since
ARM_LEAD_S = 120.0  # vendor seconds ahead of start_at a window is armed, unless its vendor says (3 calls)


@dataclass(frozen=True)
class VendorProfile:
    """What a vendor lets a power target do (from its document, vendors/<vendor>/)."""

    vendor: str
    supported: bool = True
    power_settable: bool = True  # a powerDispatch (NBI V7 9.3.4); False: the machine runs at its own rate
    plants_per_request: int = 100  # NBI V7 9.3.4: "a maximum of 100 plants at a time"
    request_interval_s: float = 60.0  # per account; NBI V7 9.3.4 "once per minute"; 0 = no account limit
    arms_ahead: bool = False  # a command that carries its own start time (a window, armed ahead)
    arm_lead_s: float = ARM_LEAD_S  # vendor seconds ahead of start_at such a command is sent
    clock_speed: float = 1.0  # a simulator's speed: vendor seconds / clock_speed = our seconds
    unavailable: tuple[str, str] | None = None  # (reason, message): every plant of it is left out


def vendor_profile(vendor: str, **overrides) -> VendorProfile:
    """A vendor's profile from its spec's planning facts (vendors.registry); `overrides` replace fields."""
    facts = registry.spec(vendor).planning
    fields = {
        "power_settable": facts.power_settable,
        "plants_per_request": facts.plants_per_request,
        "request_interval_s": facts.request_interval_s,
        "arms_ahead": facts.arms_ahead,
        "arm_lead_s": facts.arm_lead_s,
    }
    return VendorProfile(vendor, **{**fields, **overrides})


@dataclass(frozen=True)
class PlantState:
    """One plant as planning sees it: rated data plus its latest telemetry. Powers in kW, energy in kWh."""

    plant_id: int
    account_id: int
    vendor: str
    usable_kwh: float | None
    max_charge_kw: float | None
    max_discharge_kw: float | None
    inverter_kw: float | None
    soc_pct: float | None
    battery_power_kw: float | None = None
    telemetry_age_s: float | None = None


@dataclass(frozen=True)
class Target:
    direction: Literal["charge", "discharge"]
    power_kw: float
    duration_min: int
    start_at: datetime
    now: datetime
    soc_floor_pct: float = 0.0  # discharge: no battery below this
    soc_ceiling_pct: float = 100.0  # charge: no battery above this
    clock_speed: float = 1.0  # the vendors' clock (a simulator's speed): the window lasts duration / speed


@dataclass(frozen=True)
class Allocation:
    plant_id: int
    account_id: int
    vendor: str
    power_kw: float  # what the plant is expected to give (after the vendor's clamp)
    command_power_w: int | None  # what is sent (None: the vendor takes no power, the machine's own rate)
    duration_min: int
    send_at: datetime  # when the request that carries it is due
    eta: datetime  # when the command acts: the plant's power starts moving
    ends_at: datetime
    request_index: int  # into Plan.requests
    energy_headroom_kwh: float


@dataclass(frozen=True)
class Excluded:
    plant_id: int
    reason: str  # unsupported, no_battery, no_rated_power, no_telemetry, at_floor, at_ceiling, ...
    message: str


@dataclass(frozen=True)
class PlannedRequest:
    """One vendor request: its plants share one command (one power, one duration: NBI V7 9.3.4)."""

    account_id: int
    vendor: str
    plant_ids: tuple[int, ...]
    command_power_w: int | None
    duration_min: int
    send_at: datetime
    window_start: datetime | None = None  # armed ahead: the command's own start time (a window)


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime
    target_kw: float
    planned_kw: float


@dataclass(frozen=True)
class Plan:
    target: Target
    allocations: tuple[Allocation, ...]
    excluded: tuple[Excluded, ...]
    requests: tuple[PlannedRequest, ...]
    intervals: tuple[Interval, ...]
    planned_kw: float  # the allocations' sum once every plant has its command
    available_kw: float  # what every eligible plant could sustain over the window
    energy_headroom_kwh: float  # above the floor (below the ceiling), over eligible plants
    ramp_end: datetime | None  # the last ETA
    warnings: tuple[dict, ...] = field(default_factory=tuple)
