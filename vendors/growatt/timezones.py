"""A Growatt plant's ``timezone`` in every form the cloud writes it, as a zone name (vendors.zones: IANA, or
``UTC±HH:MM`` for a fixed offset no IANA zone keeps all year).

Forms seen (FIELD_NOTES.md "time zones"): "GMT+8", "GMT-3:30", "GMT+0" (the portal's list of fixed
offsets, 0xAHA/Growatt_ModbusTCP#439; johanmeijer/grott#27 "GMT-4"); a number of hours, 8 or "8" (the
ShinePhone user's ``timeZone`` "A Number", growattServer base_api.py), also in fractions ("5.5", "+5.75",
"-3.5"); "PRC" (the default of plant/add, Growatt 4.2.8, and of plants made by datalogger enrolment, issue
14); an IANA name (the document's reading); "" or nothing.

Growatt's portal offers fixed offsets only and the datalogger sets the inverter's clock to that offset all
year (0xAHA/Growatt_ModbusTCP#439: a "UTC+2" plant runs an hour behind local time all summer). So an offset
resolves to a fixed-offset zone (``Etc/GMT-8`` for "GMT+8"; ``UTC-03:30`` for "GMT-3:30", vendors.zones,
where IANA has only DST-following zones), never to the DST-following zone at the plant's coordinates: that is
the clock the device compares its charge windows with. Coordinates are used
only where no zone is given, and never when they are "" or 0/0 (enrolment-made plants, issue 14).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from vendors import zones

try:  # tzfpy is a project dependency (fleets uses it); the vendors package stays importable without it
    import tzfpy
except ImportError:  # pragma: no cover
    tzfpy = None

ALIASES = {"PRC": "Asia/Shanghai", "GMT": "UTC", "UTC": "UTC", "Z": "UTC"}
# Offsets that are not whole hours have no Etc/ zone: the IANA zone that keeps that offset all year.
NO_DST_ZONES = {
    330: "Asia/Kolkata",
    345: "Asia/Kathmandu",
    270: "Asia/Kabul",
    390: "Asia/Yangon",
    210: "Asia/Tehran",  # no DST since 2022 (tzdata 2022b)
    570: "Australia/Darwin",
    525: "Australia/Eucla",
    -570: "Pacific/Marquesas",
}
# Every other offset that is not whole hours (UTC-03:30, UTC+10:30, UTC+12:45...) has only DST-following
# IANA zones (America/St_Johns, Australia/Lord_Howe, Pacific/Chatham): it resolves to the fixed
# ``UTC±HH:MM`` name of vendors.zones, which keeps the offset all year as the device's clock does.
_OFFSET = re.compile(r"^(?:GMT|UTC)?\s*([+-]?)\s*(\d{1,2})(?::(\d{2}))?$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _names() -> frozenset[str]:
    return frozenset(available_timezones())


def offset_zone(minutes: int) -> str | None:
    """The zone name of a fixed UTC offset in minutes (east positive): ``Etc/GMT-8``, an IANA zone without
    DST, else ``UTC±HH:MM`` (vendors.zones); None outside UTC-12 .. UTC+14."""
    if minutes % 60 == 0:
        hours = minutes // 60
        if not -12 <= hours <= 14:
            return None
        # POSIX sign: Etc/GMT-8 is UTC+8.
        return "UTC" if hours == 0 else f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"
    return NO_DST_ZONES.get(minutes) or zones.fixed_name(minutes)


def _offset_minutes(text: str) -> int | None:
    match = _OFFSET.match(text.strip())
    if match:
        sign, hours, minutes = match.groups()
        if int(minutes or 0) >= 60:
            return None
        total = int(hours) * 60 + int(minutes or 0)
        return -total if sign == "-" else total
    try:  # "5.5" hours, "-3.5"
        hours_float = float(text.upper().removeprefix("GMT").removeprefix("UTC"))
    except ValueError:
        return None
    return round(hours_float * 60) if math.isfinite(hours_float) else None


def zone_at(latitude: Any, longitude: Any) -> str | None:
    """The zone at real coordinates; None for "", None or 0/0 (issue 14: enrolment-made plants)."""
    lat, lon = coordinate(latitude), coordinate(longitude)
    if lat is None or lon is None or tzfpy is None:
        return None
    name = tzfpy.get_tz(lon, lat)
    return name if name in _names() and not name.startswith("Etc/") else None


def coordinate(value: Any) -> float | None:
    """A latitude or longitude from "", None, a number or a numeric string; 0 is "not set" (Growatt writes
    0/0 for a plant nobody placed, issue 14)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number == 0 or number != number else number


def resolve_timezone(value: Any, latitude: Any = None, longitude: Any = None) -> str | None:
    """The IANA zone for a plant's ``timezone`` value (any form above), else from its coordinates."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return zone_at(latitude, longitude)
        return offset_zone(round(float(value) * 60)) or zone_at(latitude, longitude)
    text = value.strip() if isinstance(value, str) else ""
    if text:
        if text.upper() in ALIASES:
            return ALIASES[text.upper()]
        minutes = _offset_minutes(text) if _OFFSET.match(text) else None
        if minutes is not None and offset_zone(minutes) is not None:
            return offset_zone(minutes)  # "GMT+0" is also an IANA name; read as the offset it says
        if text in _names():
            try:
                return ZoneInfo(text).key
            except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - listed names load
                pass
        minutes = _offset_minutes(text)
        if minutes is not None:
            zone = offset_zone(minutes)
            if zone is not None:
                return zone
    return zone_at(latitude, longitude)
