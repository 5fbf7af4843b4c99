"""Plant generation totals (kWh) by day, month and year, for plant/data, plant/list and plant/energy.

Why closed form per day: a day's PV energy is the integral of the day's half-sine times its weather
factor, so any date range costs one multiplication per unit and day, and the past never needs storing.
Totals since commissioning use an average day so a plant list page stays cheap.
"""

from __future__ import annotations

from datetime import date, datetime

from . import solar
from .readings import pv_today_kwh, seen_at
from .world import Plant, Unit

AVERAGE_WEATHER = 0.675  # mean of weather_factor's 0.35..1.0
CO2_TON_PER_KWH = 0.000997


def _full_day_kwh(unit: Unit, factor: float) -> float:
    return solar.pv_energy_wh(unit.pv_peak_w, 24.0, factor) / 1000


def unit_day_kwh(unit: Unit, day: date, now: float, seed: int) -> float:
    """PV energy of ``day`` (local date); today only up to now, future days 0."""
    t = seen_at(unit, now)
    today = datetime.fromtimestamp(t, unit.zone).date()
    if day > today:
        return 0.0
    if day == today:
        return pv_today_kwh(unit, t, seed)
    return _full_day_kwh(unit, solar.weather_factor(seed, unit.index, day.toordinal()))


def plant_day_kwh(plant: Plant, day: date, now: float, seed: int) -> float:
    return sum(unit_day_kwh(u, day, now, seed) for u in plant.units)


def plant_range_kwh(plant: Plant, first: date, last: date, now: float, seed: int) -> float:
    """Sum of daily energies over ``first..last`` inclusive."""
    total = 0.0
    for ordinal in range(first.toordinal(), last.toordinal() + 1):
        total += plant_day_kwh(plant, date.fromordinal(ordinal), now, seed)
    return total


def plant_total_kwh(plant: Plant, now: float, seed: int) -> float:
    """Since the plant's create date: average past days plus today's real figure."""
    today = datetime.fromtimestamp(now, plant.zone).date()
    days = max(0, (today - date.fromisoformat(plant.create_date)).days)
    past = sum(_full_day_kwh(u, AVERAGE_WEATHER) for u in plant.units) * days
    return past + plant_day_kwh(plant, today, now, seed)
