"""PV generation and household load as closed-form daily shapes in the plant's local time.

Why closed form: telemetry endpoints are read for thousands of plants, so power at an instant and energy
since midnight must cost a few arithmetic operations, never a stored time series. A per-day weather
factor from a hash of (seed, unit, date) makes the days differ yet stay reproducible from ``--seed``.
"""

from __future__ import annotations

import math
from datetime import datetime

SUNRISE_H, SUNSET_H = 6.0, 18.0
_DAY_H = SUNSET_H - SUNRISE_H


def weather_factor(seed: int, unit_index: int, ordinal: int) -> float:
    """0.35..1.0 for one unit on one day (a cheap integer hash; no RNG state to keep)."""
    x = (seed * 1_000_003 + unit_index * 7_919 + ordinal * 104_729) * 2_654_435_761 % 4_294_967_296
    return 0.35 + 0.65 * (x / 4_294_967_296)


def pv_w(peak_w: float, local: datetime, factor: float) -> float:
    """Half-sine between sunrise and sunset, scaled by the day's weather."""
    hour = local.hour + local.minute / 60 + local.second / 3600
    if not SUNRISE_H < hour < SUNSET_H:
        return 0.0
    return peak_w * factor * math.sin(math.pi * (hour - SUNRISE_H) / _DAY_H)


def pv_energy_wh(peak_w: float, hour: float, factor: float) -> float:
    """Energy from midnight to local ``hour`` (0..24): the integral of ``pv_w``."""
    h = min(max(hour, SUNRISE_H), SUNSET_H)
    return peak_w * factor * _DAY_H / math.pi * (1 - math.cos(math.pi * (h - SUNRISE_H) / _DAY_H))


def load_w(base_w: float, local: datetime) -> float:
    """A base load with a morning and a larger evening bump."""
    hour = local.hour + local.minute / 60
    morning = math.exp(-(((hour - 7.5) / 1.2) ** 2))
    evening = math.exp(-(((hour - 19.0) / 1.8) ** 2))
    return base_w * (0.6 + 0.8 * morning + 1.4 * evening)


def load_energy_wh(base_w: float, hour: float) -> float:
    """Energy from midnight to local ``hour``: base part exact, bumps via the error function."""
    root_pi = math.sqrt(math.pi)

    def bump(centre: float, width: float) -> float:
        return width * root_pi / 2 * (math.erf((hour - centre) / width) - math.erf(-centre / width))

    return base_w * (0.6 * hour + 0.8 * bump(7.5, 1.2) + 1.4 * bump(19.0, 1.8))
