"""Plant time zones: IANA names, plus fixed UTC offsets that no IANA zone keeps all year.

Why: a plant's clock may run on a fixed offset such as UTC-03:30, UTC+10:30 or UTC+12:45 (Growatt's
portal offers fixed offsets only and the datalogger keeps the device on that offset all year,
vendors/growatt/FIELD_NOTES.md rows 1-2). IANA has no zone for those three that does not change with DST
(America/St_Johns, Australia/Lord_Howe and Pacific/Chatham all do), so reading one of them would put a
charge window an hour off for half the year. Such an offset is named ``UTC-03:30`` (sign, two-digit hours,
two-digit minutes) and loads as a fixed ``datetime.timezone``; everything else is an IANA name.

Vendor-neutral: fleets stores the name in ``Plant.timezone``, adapters load it with ``load``.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_FIXED = re.compile(r"^UTC([+-])(\d{2}):(\d{2})$")
MIN_OFFSET_MIN = -12 * 60
MAX_OFFSET_MIN = 14 * 60


@lru_cache(maxsize=1)
def _names() -> frozenset[str]:
    return frozenset(available_timezones())


def fixed_name(minutes: int) -> str | None:
    """``UTC+10:30`` for +630 minutes; None outside UTC-12:00 .. UTC+14:00."""
    if not MIN_OFFSET_MIN <= minutes <= MAX_OFFSET_MIN:
        return None
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def fixed_minutes(name: str) -> int | None:
    """The offset of a ``UTC±HH:MM`` name in minutes east, else None."""
    match = _FIXED.match(name or "")
    if not match:
        return None
    sign, hours, minutes = match.groups()
    total = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60:
        return None
    total = -total if sign == "-" else total
    return total if MIN_OFFSET_MIN <= total <= MAX_OFFSET_MIN else None


def is_known(name: object) -> bool:
    """An IANA name or a fixed ``UTC±HH:MM`` name."""
    return isinstance(name, str) and (name in _names() or fixed_minutes(name) is not None)


@lru_cache(maxsize=512)
def load(name: str) -> tzinfo:
    """The zone of ``name`` ("" is UTC); ``ValueError`` for an unknown name."""
    minutes = fixed_minutes(name)
    if minutes is not None:
        return timezone(timedelta(minutes=minutes), name)
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def key(zone: tzinfo) -> str:
    """The name ``load`` takes back: the IANA key, or ``UTC±HH:MM`` of a fixed offset."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    offset = zone.utcoffset(None)
    return fixed_name(int(offset.total_seconds() // 60)) or "UTC" if offset is not None else "UTC"
