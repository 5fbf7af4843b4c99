"""What a vendor package says about itself, once: `VendorSpec`.

Each vendor package declares one in `vendors/<vendor>/spec.py`; `vendors.registry` lists them, and every
place above the vendors that needs a fact about a vendor (Django choices, the rate-limit policy, poll
cadence, telemetry pacing, enrolment rules, account fields, the demo and the dev server) reads it from
there instead of naming the vendor. Plain data, no Django, no HTTP: importing a spec is cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from vendors.base import CommandKind

# How a vendor's limits are built for an account: plant and device counts in, endpoint -> rules out.
LimitsFactory = Callable[..., Mapping]


@dataclass(frozen=True)
class EnrolmentMethod:
    """One way to enrol plants (`Enrolment.Method`: "sn" or "ac") and what each item must carry.

    `required`: item fields every item must have (with `required_message`, code "required").
    `one_of`: at least one of these per item (with `one_of_message` / `one_of_code`, on the item).
    `line_extra`: in the admin's one-item-a-line form, the field the value after the first comma goes to;
    None: the values after the first comma are owner identities (email, phone or username by their shape).
    """

    method: str
    required: tuple[str, ...] = ()
    required_message: str = ""
    one_of: tuple[str, ...] = ()
    one_of_message: str = ""
    one_of_code: str = "required"
    line_extra: str | None = None


@dataclass(frozen=True)
class PlanningFacts:
    """What a power target may do with this vendor's plants (dispatch.planning.VendorProfile)."""

    power_settable: bool = True  # one power per request; False: the machine runs at its own rate
    plants_per_request: int = 100
    request_interval_s: float = 60.0  # per account, vendor seconds; 0: no account limit
    arms_ahead: bool = False  # a command carries its own start time and is sent ahead of it
    arm_lead_s: float = 120.0  # vendor seconds ahead of start_at such a command is sent


@dataclass(frozen=True)
class DemoAccount:
    name: str
    username: str
    secret: str


@dataclass(frozen=True)
class VendorSpec:
    """One vendor, declared once. Vendor seconds throughout (a simulator's clock_speed divides them)."""

    name: str  # the stored value ("vendor" columns, AccountConfig.vendor)
    label: str  # the choice label people see
    brand: str  # the short name messages use
    adapter: str  # "module:Class" of its VendorAdapter
    simulator: str  # the simulator module, run as `python -m <simulator> --port N`
    limits: LimitsFactory  # limits(plant_count=, device_count=) -> endpoint -> RateRules
    limits_scope: str  # what a limit counts, in words: "account" or "identical request"
    rate_limit_codes: frozenset[str]  # the vendor answers that mean "too often"
    capabilities: frozenset[CommandKind]  # the command kinds its adapter can send
    refresh_s: Mapping[str, float]  # command kind -> vendor seconds between status refreshes; "*" others
    telemetry_window_s: float  # how often one plant may be read
    telemetry_batch: int  # plants per realtime read
    enrolment_chunk: int  # enrolment items per adapter call
    enrolment_methods: tuple[EnrolmentMethod, ...]
    enrolment_hint: str  # what to do instead of a method it lacks ("enrol by datalogger SN")
    username_required: bool
    username_label: str  # "northbound user name"; "" when the vendor has no user name
    secret_label: str  # what the account's secret is ("systemCode (password)", "API token")
    planning: PlanningFacts = field(default_factory=PlanningFacts)
    plant_capabilities: str | None = None  # "module:function": (device_type, extra) pairs -> capabilities
    setters: str | None = None  # the module whose SETTERS table holds its raw setters (vendors.setters)
    # Substrings of a device's `extra` type that make an inverter a storage machine (hybrid families).
    storage_type_hints: tuple[str, ...] = ()
    demo_port: int = 0  # the dev server's default simulator port
    demo_accounts: int = 1  # how many demo accounts the demo command makes by default
    demo_account: Callable[[int, int], DemoAccount] | None = None  # (i of n, 1-based) -> account

    def refresh_for(self, kind: str) -> float:
        return self.refresh_s.get(str(kind), self.refresh_s["*"])

    def enrolment_method(self, method: str) -> EnrolmentMethod | None:
        return next((m for m in self.enrolment_methods if m.method == method), None)

    def supports(self, kind: str) -> bool:
        return kind in self.capabilities


def frozen_map(data: Mapping) -> Mapping:
    return MappingProxyType(dict(data))
