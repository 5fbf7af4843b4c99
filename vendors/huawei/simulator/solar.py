"""PV and load power as closed-form daily shapes in plant local time.

Why closed form: a 100-plant real-time request (and 10,000-plant worlds) must cost O(1) per plant, and
day/month energies must be consistent with the instantaneous powers without storing history. PV is a
half-sine between 06:00 and 18:00 local time whose integral is known; load is a flat base plus an
evening bump. Weather is not simulated.
"""

from __future__ import annotations

import math
from datetime import datetime
from zoneinfo import ZoneInfo

SUNRISE_H = 6.0
DAYLIGHT_H = 12.0
PV_PEAK_FACTOR = 0.8  # peak AC output as a share of installed kWp
DAY_PV_KWH_PER_KWP = PV_PEAK_FACTOR * 2 * DAYLIGHT_H / math.pi  # integral of the half-sine, ~6.1

_ZONES: dict[str, ZoneInfo] = {}


def zone(name: str) -> ZoneInfo:
    """Cached ZoneInfo: constructing one per read would dominate the real-time KPI cost."""
    tz = _ZONES.get(name)
    if tz is None:
        tz = _ZONES[name] = ZoneInfo(name)
    return tz


def local(ts: float, tz_name: str) -> datetime:
    return datetime.fromtimestamp(ts, zone(tz_name))


def local_hour(dt: datetime) -> float:
    return dt.hour + dt.minute / 60.0 + dt.second / 3600.0


def pv_kw(capacity_kwp: float, hour: float) -> float:
    """Instantaneous PV output at a local hour of day."""
    x = (hour - SUNRISE_H) / DAYLIGHT_H
    if x <= 0.0 or x >= 1.0:
        return 0.0
    return capacity_kwp * PV_PEAK_FACTOR * math.sin(math.pi * x)


def pv_kwh_since_midnight(capacity_kwp: float, hour: float) -> float:
    """Closed-form integral of ``pv_kw`` from local midnight to ``hour``."""
    x = min(max((hour - SUNRISE_H) / DAYLIGHT_H, 0.0), 1.0)
    return capacity_kwp * PV_PEAK_FACTOR * DAYLIGHT_H / math.pi * (1.0 - math.cos(math.pi * x))


def load_kw(base_load_kw: float, hour: float) -> float:
    """House load: a base plus an evening peak around 19:00 local time."""
    return base_load_kw * (1.0 + 1.5 * math.exp(-(((hour - 19.0) / 2.0) ** 2)))
