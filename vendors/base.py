"""The vendor adapter interface: one typed protocol over every vendor cloud, with dataclasses in and out.

`dispatch` and `fleets` talk to vendors only through `VendorAdapter`. An adapter maps our commands onto its
vendor's endpoints, batches to the vendor maximum, waits for the shared rate limiter instead of provoking a
407, and normalises every answer: per target accepted / rejected / unsupported, and task status
completed / in_progress / failed / timed_out with the energy the vendor reported. No Django here.

Identity: every send carries a `request_id` chosen and stored by the caller BEFORE the call, so a retry after
a crash re-sends the same identity; the adapter turns the vendor's "duplicate request" answer (Huawei failCode
20048, NBI V7 9.3.4) into "accepted", never into a second command.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from vendors import egress
from vendors.errors import (  # noqa: F401 - re-exported: the error types are part of the interface
    AuthFailed,
    RateLimited,
    SessionExpired,
    TransientError,
    VendorError,
    VendorRejected,
)


class VendorName(enum.StrEnum):
    HUAWEI = "huawei"
    GROWATT = "growatt"


# --- the account an adapter speaks for ---------------------------------------------------------------


@dataclass(frozen=True)
class AccountConfig:
    """One northbound account. `key` is stable and unique (e.g. "huawei:42"): rate limits and sessions are
    shared per key by every worker on every machine."""

    key: str
    vendor: VendorName | str  # a name of vendors.registry
    base_url: str
    username: str
    secret: str = field(repr=False)
    clock_speed: float = 1.0  # a simulator's --speed: rate-limit windows are divided by it
    rate_limit_overrides: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    timeout_s: float = 30.0
    # Plain http and non-public addresses allowed (the simulators on loopback; vendors.egress). By default
    # what VENDOR_URL_ALLOW_PRIVATE says, so an account built without Django follows the same rule.
    allow_private_network: bool = field(default_factory=egress.private_allowed_from_env)


# --- what a command is sent to ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlantTarget:
    """A plant as a command needs it. Device lists are what `list_devices` discovered.

    Huawei: battery DNs for DoD, inverter DNs for on/off, the plant DN for EMS.
    Growatt: `storage_sns` for storageSet, `inverter_sns` for inverterSet.
    """

    plant_code: str
    timezone: str = "UTC"
    battery_dns: tuple[str, ...] = ()
    inverter_dns: tuple[str, ...] = ()
    storage_sns: tuple[str, ...] = ()
    inverter_sns: tuple[str, ...] = ()
    battery_rated_kwh: float | None = None
    # (sn, family, rated W or None) of each device whose discovery named a family (Device.extra "family"):
    # how a vendor with several device families (Growatt hybrids) routes a command without asking first.
    device_families: tuple[tuple[str, str, float | None], ...] = ()


# --- commands ------------------------------------------------------------------------------------------


class CommandKind(enum.StrEnum):
    CHARGE_DISCHARGE = "charge_discharge"
    DOD = "dod"
    DEVICE_POWER = "device_power"
    EMS_MODE = "ems_mode"
    STORAGE_SET = "storage_set"
    INVERTER_SET = "inverter_set"
    DRM = "drm"
    DEFAULT_SETTING = "default_setting"


@dataclass(frozen=True)
class ChargeDischarge:
    """Forced charge, forced discharge or stop, by target SOC or by duration (NBI V7 9.3.4).

    `power_w` is a magnitude (> 0); adapters apply the vendor's sign convention (Huawei: > 0 charge,
    < 0 discharge). None means the vendor's default power.

    `window_start` (aware, our clock): where the vendor's command carries its own start time (a Growatt
    window, 4.3.12), the window starts then rather than at once; a power target arms Growatt windows
    ahead this way (dispatch.planning). Vendors whose commands act at once (Huawei) never get one.
    """

    action: Literal["charge", "discharge", "stop"]
    control: Literal["soc", "duration"] | None = None
    target_soc_pct: float | None = None
    duration_min: int | None = None
    power_w: int | None = None
    window_start: datetime | None = None
    kind: CommandKind = field(default=CommandKind.CHARGE_DISCHARGE, init=False)


@dataclass(frozen=True)
class SetDod:
    """Battery depth of discharge in percent (NBI V7 9.3.6). Huawei only."""

    dod_pct: int
    kind: CommandKind = field(default=CommandKind.DOD, init=False)


@dataclass(frozen=True)
class DevicePower:
    """Inverter on or off (Huawei devOnOff 9.3.7; Growatt inverterSet pv_on_off 4.3.7 / storage on/off)."""

    on: bool
    kind: CommandKind = field(default=CommandKind.DEVICE_POWER, init=False)


@dataclass(frozen=True)
class EmsMode:
    """EMS control mode per plant (NBI V7 9.3.8): only control type 6 (scheduled charge/discharge) works."""

    control_type: int
    kind: CommandKind = field(default=CommandKind.EMS_MODE, init=False)


@dataclass(frozen=True)
class StorageSet:
    """A raw Growatt storage parameter (Growatt 4.3.12): `param_type` and up to four values."""

    param_type: str
    params: tuple[str, str, str, str] = ("", "", "", "")
    kind: CommandKind = field(default=CommandKind.STORAGE_SET, init=False)


@dataclass(frozen=True)
class InverterSet:
    """A raw Growatt inverter parameter (Growatt 4.3.7)."""

    param_id: str
    command_1: str
    command_2: str = ""
    kind: CommandKind = field(default=CommandKind.INVERTER_SET, init=False)


@dataclass(frozen=True)
class Drm:
    """Demand response modes (NBI V7 9.6.1.6): drm0 shut down, drm1 no grid import, drm5 no output."""

    drm0: bool
    drm1: bool
    drm5: bool
    kind: CommandKind = field(default=CommandKind.DRM, init=False)


@dataclass(frozen=True)
class DefaultSetting:
    """Plant default task (NBI V7 9.6.1.3): max grid feed-in power (kW) and active power gradient."""

    max_feed_grid_power_kw: float | None = None
    active_power_gradient: float | None = None
    kind: CommandKind = field(default=CommandKind.DEFAULT_SETTING, init=False)


Command = ChargeDischarge | SetDod | DevicePower | EmsMode | StorageSet | InverterSet | Drm | DefaultSetting


# --- results ---------------------------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"  # the vendor took it; poll for the result unless `final` says it is done
    REJECTED = "rejected"  # the vendor refused it for this target (code and message say why)
    UNSUPPORTED = "unsupported"  # this vendor cannot do this command


class TaskState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True)
class TargetResult:
    """What the vendor said about one plant of a send.

    `final` is set when the vendor's answer is already the end of the story (DoD, devOnOff, EMS and Growatt
    settings answer at once): then `state` is completed or failed and no poll is needed.
    `remote_id` is the vendor's id for this plant's sub-task (Huawei remoteID / DRM remoteId), needed to poll.
    `poll_by` (our clock, UTC): the task needs a poll by then whatever the usual cadence, because the adapter
    has something to do at that moment (e.g. arm the second half of a window over local midnight).
    """

    plant_code: str
    outcome: Outcome
    remote_id: str | None = None
    vendor_code: str | None = None
    message: str = ""
    final: bool = False
    state: TaskState | None = None
    devices: tuple[str, ...] = ()
    poll_by: datetime | None = None


@dataclass(frozen=True)
class SendResult:
    """A whole send. `vendor_request_id` is set when the vendor assigns the id (Huawei plantDefaultSetting
    returns its own requestId, NBI V7 9.6.1.3); otherwise it echoes the caller's request_id."""

    request_id: str
    results: tuple[TargetResult, ...]
    vendor_request_id: str | None = None
    duplicate: bool = False  # the vendor had seen this request_id already (20048): treated as accepted


@dataclass(frozen=True)
class TaskStatus:
    """A plant's task as the vendor reports it, normalised."""

    plant_code: str
    state: TaskState
    remote_id: str | None = None
    charged_kwh: float | None = None
    discharged_kwh: float | None = None
    exec_start: datetime | None = None
    exec_end: datetime | None = None
    vendor_code: str | None = None
    message: str = ""
    poll_by: datetime | None = None  # as TargetResult.poll_by: poll again by then at the latest


@dataclass(frozen=True)
class SentTask:
    """What `poll` needs to know of one plant's task: how and when it was sent."""

    target: PlantTarget
    remote_id: str | None
    sent_at: datetime


# --- enrolment and discovery -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SnEnrolment:
    """Enrol a plant by the SN of any of its devices plus one of the owner's identities (NBI V7 9.6.1.1).
    Growatt: `sn` is the datalogger SN and `check_code` its check code (4.3.10, 4.3.2); the datalogger joins
    the plant named `plant_name` (an id or exact name), or a new one created in `timezone` (an IANA name;
    Growatt plant/add 4.2.8 takes it, the device runs its windows in it)."""

    sn: str
    username: str | None = None
    email: str | None = None
    phone: str | None = None
    check_code: str | None = None
    plant_name: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class EnrolmentResult:
    key: str  # the SN or authorisation code this result answers
    success: bool
    plant_code: str | None = None
    plant_name: str | None = None
    error: str = ""


@dataclass(frozen=True)
class PlantInfo:
    plant_code: str
    name: str = ""
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    timezone: str | None = None
    pv_capacity_kwp: float | None = None
    battery_rated_kwh: float | None = None
    battery_usable_kwh: float | None = None
    battery_max_charge_w: float | None = None
    battery_max_discharge_w: float | None = None
    inverter_rated_power_w: float | None = None


@dataclass(frozen=True)
class DeviceInfo:
    plant_code: str
    dn: str
    device_type: Literal["inverter", "battery", "logger", "meter", "other"]
    sn: str = ""
    model: str = ""
    rated_power_w: float | None = None
    extra: dict = field(default_factory=dict)


# One plant-health vocabulary across vendors (issue 14): what PlantKpi.health holds, and what the API shows.
# "" when the vendor said nothing. `plant_health` maps older or vendor-specific words onto it.
PLANT_HEALTH = ("ok", "offline", "fault", "no_data")
_PLANT_HEALTH_ALIASES = {
    "healthy": "ok",  # Huawei adapter before issue 14
    "normal": "ok",
    "disconnected": "offline",  # Huawei 9.3.2 healthState 1
    "faulty": "fault",  # Huawei 9.3.2 healthState 2
    "no data": "no_data",  # Growatt discovery
}


def plant_health(value: str | None) -> str:
    """A vendor's plant-health word in the shared vocabulary (unknown words are kept, cut to 32)."""
    text = (value or "").strip().lower()
    if not text or text in PLANT_HEALTH:
        return text
    return _PLANT_HEALTH_ALIASES.get(text, text[:32])


@dataclass(frozen=True)
class PlantKpi:
    """Realtime plant state. Powers in W: battery > 0 charging; meter > 0 exporting. `health` is one of
    PLANT_HEALTH (or "")."""

    plant_code: str
    soc_pct: float | None = None
    battery_power_w: float | None = None
    pv_power_w: float | None = None
    load_power_w: float | None = None
    meter_power_w: float | None = None
    health: str = ""
    measured_at: datetime | None = None
    # When the plant's (first) read for this answer went out: the vendor sampled it no later, so
    # fleets.telemetry never stamps the reading later than this (an accelerated simulator's clock, or a
    # batch read plant by plant that arrives seconds after its first plant was asked). An answer served
    # again from the shared state (Growatt's 5-minute rule) carries when it was first fetched. Not part of
    # the reading's value: equal answers compare equal whenever they were asked.
    asked_at: datetime | None = field(default=None, compare=False)


# --- the audit trail ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallRecord:
    """One HTTP call to a vendor, handed to the adapter's observer after it returns or fails (STYLE 14).

    The caller turns these into audit rows: request, HTTP status, vendor code, duration, truncated answer.
    Never holds a secret or a session token.
    """

    account_key: str
    endpoint: str
    request_id: str | None
    targets: tuple[str, ...]
    params: dict
    http_status: int | None
    vendor_code: str | None
    duration_ms: float
    error: str = ""
    response_excerpt: str = ""  # at most 2,000 characters of the answer


CallObserver = Callable[[CallRecord], None]


# --- the protocol ------------------------------------------------------------------------------------------


@runtime_checkable
class VendorAdapter(Protocol):
    """One vendor account. Safe to share between threads of one process; every process makes its own.

    Every method may raise the error types in `vendors.errors`: `RateLimited` (no slot within the wait
    budget; carries retry_after_s), `AuthFailed`, `TransientError` (after bounded retries), `VendorRejected`
    (the whole request refused: code and message). Per-target refusals come back in results, not as errors.
    """

    vendor: VendorName
    account: AccountConfig
    parallel_requests: int | None
    """How many send() calls of this account are worth making at once: 1 where the vendor limits commands
    per account (the calls would only queue at the limiter), None where it sets no per-account limit."""

    def supports(self, kind: CommandKind) -> bool: ...

    def max_targets_per_request(self, kind: CommandKind) -> int: ...

    def send(self, command: Command, targets: Sequence[PlantTarget], *, request_id: str) -> SendResult:
        """Send one command to at most max_targets_per_request targets, under one request identity."""
        ...

    def poll(self, command: Command, request_id: str, tasks: Sequence[SentTask]) -> list[TaskStatus]:
        """The status of the tasks of one earlier send (only for results that were not `final`)."""
        ...

    def enrol_by_sn(self, items: Sequence[SnEnrolment]) -> list[EnrolmentResult]: ...

    def enrol_by_ac(self, codes: Sequence[str]) -> list[EnrolmentResult]: ...

    def list_plants(self) -> list[PlantInfo]: ...

    def list_devices(self, plant_codes: Sequence[str]) -> list[DeviceInfo]: ...

    def realtime_kpis(self, plant_codes: Sequence[str]) -> list[PlantKpi]: ...

    def close(self) -> None: ...
