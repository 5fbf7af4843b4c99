"""The field profile: what the live Growatt cloud does that the document does not say.

Every behaviour here has a row in ``vendors/growatt/FIELD_NOTES.md`` with its public source. The profile
is ON by default (``--profile field``); ``--profile document`` answers exactly as the document reads.
Each behaviour can be switched or provoked from ``/_sim/field`` and the other control routes in
``control_routes`` (documented in the simulator README). Kept in the protocol/handler layer: the world
(batteries, solar, clocks) is the same under both profiles.

Where the sources disagree (the AC-charge switch's spelling, the on code), the field profile accepts both
forms; ``/_sim/field`` narrows it to either one, so a client can be tested against a cloud that knows only
one of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from vendors import zones

AC_CHARGE_DOCUMENT = "storage_ac_charge_enable_disable"  # Growatt 4.3.12
AC_CHARGE_APP = "storage_ac_charge_enable_disenable"  # Growatt's own app and pages (issue 14)
ON_DOCUMENT = "0101"  # Growatt 4.3.7 pv_on_off
ON_SHINEPHONE = "0001"  # growattServer base_api.py set_classic_inverter_on_off
OFF = "0000"

PLANT_LIST_PER_DAY = 10  # issue 14: plant lists to about 10 calls a day
BLOCK_AFTER_REFUSALS = 40  # refused calls in a day before the 24 h block (the count is not published)
BLOCK_HOURS = 24.0  # HA core PR 142874: "Current account has been locked for 24 hours", lockDuration 24
BLOCKED_CODE = 507  # the ShinePhone login's lock code (HA core PR 142874, issue 176827)
BLOCKED_MESSAGE = "Current account has been locked for 24 hours"
REPEAT_MESSAGE = "error_frequently_access"
# Row 25: regional servers. A token is issued by one server; another answers 10011 error_permission_denied
# (PyPi_GrowattServer#122: the test token on the main server; home-assistant/core#180635: a token used with
# the wrong region setting). The simulator serves region R under the path prefix /region/R (a stand-in for
# openapi-R.growatt.com); the unprefixed paths are the main server.
REGIONS = ("cn", "us", "au", "test")
WRONG_REGION_MESSAGE = "error_permission_denied"

# Endpoints whose numbers arrive as strings in the field (issue 14 "numbers as strings").
STRING_NUMBER_PATHS = frozenset(
    {
        "/v1/plant/list",
        "/v1/plant/details",
        "/v1/plant/user_plant_list",
        "/v1/device/list",
        "/v1/device/storage/storage_last_data",
        "/v1/device/inverter/last_new_data",
        "/v1/device/inverter/inv_data_info",
    }
)
# Kept as they are: identifiers and counts the document types as int and clients key on; the time zone
# (its form is set on its own, /_sim/plants/timezone).
_KEEP_NUMERIC = frozenset({"count", "type", "device_id", "plant_id", "user_id", "pageNum", "timezone"})

MIDNIGHT_WINDOW_MIN = 10  # row 24: how long after local midnight the totals read 0 (not published: ours)
# Lifetime counters that are not energy (hours run) keep their value.
_NOT_LIFETIME_ENERGY = frozenset({"timeTotal"})

BAD_KINDS = ("html", "truncated", "wrong_type", "code", "empty", "string_code")


@dataclass
class BadAnswer:
    """A queued misbehaviour: the next ``times`` answers of ``path`` (all paths when "") are broken."""

    kind: str
    path: str = ""
    times: int = 1
    code: int = 10099
    message: str = "unknown error"


@dataclass
class Field:
    """The switches of the field profile; ``document()`` turns every one off."""

    profile: str = "field"
    timezone_text: bool = True  # plant timezone as "GMT+8" text, not an IANA name
    numbers_as_strings: bool = True
    blank_coordinates_every: int = 4  # every Nth plant reports latitude/longitude "" (0: none)
    repeat_every_call: bool = True  # 10012 for any identical v1 call within 5 minutes
    plant_list_per_day: int = PLANT_LIST_PER_DAY  # 0: unlimited
    block_after_refusals: int = BLOCK_AFTER_REFUSALS  # 0: never blocks by itself
    block_hours: float = BLOCK_HOURS
    paging_limits: bool = True  # perpage > 100 -> 10013, page > 250 -> 10014
    enrolled_plants_prc: bool = True  # plant/add: PRC, 0/0, no battery size
    ac_charge_types: tuple[str, ...] = (AC_CHARGE_DOCUMENT, AC_CHARGE_APP)
    on_codes: tuple[str, ...] = (ON_DOCUMENT, ON_SHINEPHONE)
    revert_partial_slots: bool = True  # FIELD_NOTES H8: a hybrid slot written in parts answers 0, reverts
    midnight_window_min: int = MIDNIGHT_WINDOW_MIN  # row 24: totals 0, "today" yesterday's after midnight
    # state that the routes set and reset clears
    timezone_overrides: dict[int, Any] = field(default_factory=dict)  # plant_id -> raw value shown
    coordinate_overrides: dict[int, Any] = field(default_factory=dict)  # plant_id -> raw value shown
    created: dict[int, str] = field(default_factory=dict)  # plants made by plant/add -> timezone_id sent
    blocked_until: dict[str, float] = field(default_factory=dict)  # account -> sim epoch
    regions: dict[str, str] = field(default_factory=dict)  # account -> its server's region ("" main)
    refusals: dict[str, list[float]] = field(default_factory=dict)  # account -> refusal times
    plant_lists: dict[str, list[float]] = field(default_factory=dict)  # account -> plant/list times
    bad_answers: list[BadAnswer] = field(default_factory=list)

    @classmethod
    def for_profile(cls, profile: str) -> Field:
        if profile == "document":
            return cls.document()
        if profile != "field":
            raise ValueError(f"--profile must be field or document, got {profile!r}")
        return cls()

    @classmethod
    def document(cls) -> Field:
        return cls(
            profile="document",
            timezone_text=False,
            numbers_as_strings=False,
            blank_coordinates_every=0,
            repeat_every_call=False,
            plant_list_per_day=0,
            block_after_refusals=0,
            paging_limits=False,
            enrolled_plants_prc=False,
            ac_charge_types=(AC_CHARGE_DOCUMENT,),
            on_codes=(ON_DOCUMENT,),
            revert_partial_slots=False,
            midnight_window_min=0,
        )

    SWITCHES = (
        "timezone_text", "numbers_as_strings", "blank_coordinates_every", "repeat_every_call",
        "plant_list_per_day", "block_after_refusals", "block_hours", "paging_limits", "enrolled_plants_prc",
        "ac_charge_types", "on_codes", "revert_partial_slots", "midnight_window_min",
    )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"profile": self.profile}
        out.update({name: getattr(self, name) for name in self.SWITCHES})
        out["ac_charge_types"] = list(self.ac_charge_types)
        out["on_codes"] = list(self.on_codes)
        out["blocked_until"] = dict(self.blocked_until)
        out["regions"] = dict(self.regions)
        out["bad_answers"] = [vars(b) for b in self.bad_answers]
        return out

    def update(self, body: dict[str, Any]) -> None:
        """Apply ``/_sim/field`` switches; ValueError names a bad one (nothing is changed then)."""
        if "profile" in body:
            fresh = Field.for_profile(str(body["profile"]))
            for name in ("profile", *self.SWITCHES):
                setattr(self, name, getattr(fresh, name))
        changes: dict[str, Any] = {}
        for name, value in body.items():
            if name == "profile":
                continue
            if name not in self.SWITCHES:
                raise ValueError(f"unknown field switch {name!r}; known: {', '.join(self.SWITCHES)}")
            current = getattr(self, name)
            if name == "ac_charge_types":
                allowed = (AC_CHARGE_DOCUMENT, AC_CHARGE_APP)
                if not isinstance(value, list) or not value or any(v not in allowed for v in value):
                    raise ValueError(f"ac_charge_types must be a non-empty list of {allowed}")
                value = tuple(value)
            elif name == "on_codes":
                allowed = (ON_DOCUMENT, ON_SHINEPHONE)
                if not isinstance(value, list) or not value or any(v not in allowed for v in value):
                    raise ValueError(f"on_codes must be a non-empty list of {allowed}")
                value = tuple(value)
            elif isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
            elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number >= 0")
            changes[name] = value
        for name, value in changes.items():
            setattr(self, name, value)

    def reset_state(self) -> None:
        for name in ("timezone_overrides", "coordinate_overrides", "blocked_until", "refusals", "regions"):
            getattr(self, name).clear()
        self.plant_lists.clear()
        self.created.clear()
        self.bad_answers.clear()

    # --- what the handlers ask -------------------------------------------------------------------------

    def timezone_shown(self, plant_id: int, zone_name: str, now: float) -> Any:
        """The plant's ``timezone`` as the cloud writes it."""
        if plant_id in self.timezone_overrides:
            return self.timezone_overrides[plant_id]
        if not self.timezone_text:
            return zone_name
        if plant_id in self.created:
            # A plant made by plant/add shows the timezone_id it was made with; none given: the default
            # "PRC" (Growatt 4.2.8; issue 14: enrolment-made plants come out with "PRC").
            return self.created[plant_id]
        return gmt_text(zones.load(zone_name), now)

    def coordinates_shown(self, plant_id: int, latitude: float, longitude: float) -> tuple[Any, Any]:
        if plant_id in self.coordinate_overrides:
            value = self.coordinate_overrides[plant_id]
            return (value, value) if not isinstance(value, list) else (value[0], value[1])
        if self.blank_coordinates_every and plant_id % self.blank_coordinates_every == 0:
            return "", ""  # issue 14: coordinates ""
        return latitude, longitude

    def around_midnight(self, local: datetime) -> bool:
        """Row 24: is a record of this local time inside the minutes after midnight the cloud misreads?"""
        return local.hour * 60 + local.minute < self.midnight_window_min

    def take_bad_answer(self, path: str) -> BadAnswer | None:
        for bad in self.bad_answers:
            if bad.path in ("", path):
                bad.times -= 1
                if bad.times <= 0:
                    self.bad_answers.remove(bad)
                return bad
        return None


def gmt_text(zone: tzinfo, now: float) -> str:
    """ "GMT+8", "GMT-3:30", "GMT+0": the zone's offset at ``now``, as the portal's fixed-offset list
    writes it (0xAHA/Growatt_ModbusTCP#439: the portal offers only fixed UTC offsets)."""
    offset = datetime.fromtimestamp(now, zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def midnight_record(record: dict[str, Any], yesterday: dict[str, Any]) -> dict[str, Any]:
    """Row 24 (HA growatt_server coordinator: totals that "never reset" read 0, and "today" values that
    bounce back to yesterday's after the reset): lifetime energy totals 0, ...Today values yesterday's last
    ones, the rest (power, SOC, time) as read."""
    out = dict(record)
    for key, value in record.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        if key.endswith("Total") or key.startswith("eTotal") or key.endswith("Total2"):
            if key not in _NOT_LIFETIME_ENERGY:
                out[key] = 0.0
        elif ("Today" in key or key.startswith("eToday")) and key in yesterday:
            out[key] = yesterday[key]
    return out


def stringify(data: Any, *, lost_as_bool: bool = False) -> Any:
    """Numbers as strings, one row deep (issue 14): {"capacity": "56.2"}; ids and counts stay numbers.
    ``lost_as_bool``: device/list's ``lost`` as true/false (growattServer open_api_v1 device_list's
    recorded answer: "lost": True)."""
    if isinstance(data, list):
        return [stringify(item, lost_as_bool=lost_as_bool) for item in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        if lost_as_bool and key == "lost" and isinstance(value, int | float):
            out[key] = bool(value)
        elif isinstance(value, bool) or key in _KEEP_NUMERIC:
            out[key] = value
        elif isinstance(value, int | float):
            out[key] = str(value)
        elif isinstance(value, list | dict):
            out[key] = stringify(value, lost_as_bool=lost_as_bool)
        else:
            out[key] = value
    return out
