"""Power station endpoints (# Growatt 4.2): list, details, data, energy, power, add, user_plant_list.

A caller sees only the plants of its own account; another account's plant answers "does not exist".
plant/modify and plant/delete (4.2.2, 4.2.3) are left out: a VPP does not edit its customers' plants.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from typing import Any

from multidict import MultiDict

from .context import Sim
from .energy import CO2_TON_PER_KWH, plant_day_kwh, plant_range_kwh, plant_total_kwh
from .protocol import DATE_FORMAT, GrowattError, local_time, page_args, parse_date, text, timezone_of
from .readings import plant_power_w, seen_at
from .world import Account, Plant


def _plant_param(sim: Sim, account: Account, params: MultiDict[str], *, empty: int, missing: int) -> Plant:
    plant_id = text(params, "plant_id")
    if not plant_id:
        raise GrowattError(empty, "Plant ID is empty")
    plant = sim.world.plant_for(account, plant_id)
    if plant is None:
        raise GrowattError(missing, "Plant does not exist")
    return plant


def _summary(sim: Sim, plant: Plant, now: float) -> dict[str, Any]:
    """One row of plant/list and user_plant_list (# Growatt 4.2.1, 4.2.9)."""
    latitude, longitude = sim.field.coordinates_shown(plant.plant_id, plant.latitude, plant.longitude)
    return {
        "plant_id": plant.plant_id,
        "name": plant.name,
        "user_id": plant.account.user_id,
        "country": plant.country,
        "longitude": longitude,
        "latitude": latitude,
        "peak_power": plant.peak_power_kw,
        "create_date": plant.create_date,
        "installer": plant.installer,
        "current_power": round(plant_power_w(plant, now, sim.world.seed) / 1000, 3),
        "total_energy": round(plant_total_kwh(plant, now, sim.world.seed), 2),
    }


def _page(sim: Sim, plant_ids: list[int], params: MultiDict[str]) -> dict[str, Any]:
    page, perpage = page_args(params)
    chosen = plant_ids[(page - 1) * perpage : page * perpage]
    now = sim.now()
    return {"count": len(plant_ids), "plants": [_summary(sim, sim.world.plants[p], now) for p in chosen]}


def plant_list(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.2.1; ``search_type=name`` filters by a case-insensitive name substring."""
    plant_ids = sim.world.account_plants[account.name]
    keyword = text(params, "search_keyword").lower()
    if keyword and text(params, "search_type") in ("", "name"):
        plant_ids = [p for p in plant_ids if keyword in sim.world.plants[p].name.lower()]
    return _page(sim, plant_ids, params)


def user_plant_list(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.2.9: the plants of ``user_name`` (only the caller's own user has any)."""
    user_name = text(params, "user_name")
    if not user_name:
        raise GrowattError(10001, "System error: user_name is required")
    plant_ids = sim.world.account_plants[account.name] if user_name == account.user_name else []
    return _page(sim, plant_ids, params)


def plant_details(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.2.4 (10002 does not exist, 10003 ID empty)."""
    plant = _plant_param(sim, account, params, empty=10003, missing=10002)
    latitude, longitude = sim.field.coordinates_shown(plant.plant_id, plant.latitude, plant.longitude)
    return {
        "name": plant.name,
        "user_id": plant.account.user_id,
        "country": plant.country,
        "longitude": longitude,
        "latitude": latitude,
        "create_date": plant.create_date,
        "image_url": "",
        "peak_power": plant.peak_power_kw,
        "currency": plant.currency,
        # Field: "GMT+8" text (FIELD_NOTES "timezone as text"); document: the IANA name.
        "timezone": sim.field.timezone_shown(plant.plant_id, plant.timezone, sim.now()),
    }


def plant_data(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.2.5: current power and energy totals in the plant's local calendar."""
    plant = _plant_param(sim, account, params, empty=10003, missing=10002)
    now, seed = sim.now(), sim.world.seed
    today = datetime.fromtimestamp(now, plant.zone).date()
    total = plant_total_kwh(plant, now, seed)
    last_seen = min((seen_at(u, now) for u in plant.units), default=now)
    return {
        "peak_power_actual": plant.peak_power_kw,
        "last_update_time": local_time(last_seen, plant.zone),
        "current_power": round(plant_power_w(plant, now, seed) / 1000, 3),
        "today_energy": round(plant_day_kwh(plant, today, now, seed), 3),
        "monthly_energy": round(plant_range_kwh(plant, today.replace(day=1), today, now, seed), 2),
        "yearly_energy": round(plant_range_kwh(plant, today.replace(month=1, day=1), today, now, seed), 2),
        "total_energy": round(total, 2),
        "carbon_offset": round(total * CO2_TON_PER_KWH, 3),
        "timezone": sim.field.timezone_shown(plant.plant_id, plant.timezone, now),
    }


def _periods(first: date, last: date, unit: str) -> list[tuple[str, date, date]]:
    if unit == "day":
        return [
            (d.strftime(DATE_FORMAT), d, d)
            for d in (date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1))
        ]
    if unit == "month":
        out, cursor = [], first.replace(day=1)
        while cursor <= last:
            following = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
            out.append(
                (cursor.strftime("%Y-%m"), max(cursor, first), min(following - timedelta(days=1), last))
            )
            cursor = following
        return out
    return [
        (str(y), max(date(y, 1, 1), first), min(date(y, 12, 31), last))
        for y in range(first.year, last.year + 1)
    ]


MAX_ENERGY_DAYS = 366 * 20


def plant_energy(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.2.6: energy per day, month or year between two dates (10004 bad time format)."""
    plant = _plant_param(sim, account, params, empty=10003, missing=10002)
    first, last = parse_date(text(params, "start_date")), parse_date(text(params, "end_date"))
    time_unit = text(params, "time_unit") or "day"
    if first is None or last is None or last < first or time_unit not in ("day", "month", "year"):
        raise GrowattError(10004, "Time format is incorrect")
    if (last - first).days > MAX_ENERGY_DAYS:
        raise GrowattError(10004, "Time format is incorrect: range too long")
    periods = _periods(first, last, time_unit)
    page, perpage = page_args(params)
    now = sim.now()
    rows = [
        {"date": label, "energy": round(plant_range_kwh(plant, a, b, now, sim.world.seed), 3)}
        for label, a, b in periods[(page - 1) * perpage : page * perpage]
    ]
    return {"count": len(periods), "time_unit": time_unit, "energys": rows}


POWER_STEP_S = 300


def plant_power(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.2.7: 5-minute power (W) of one date in ``timezone_id`` (default UTC), up to now."""
    plant = _plant_param(sim, account, params, empty=10003, missing=10002)
    day = parse_date(text(params, "date"))
    zone = timezone_of(text(params, "timezone_id"), "UTC")
    if day is None or zone is None:
        raise GrowattError(10003, "Plant ID is empty or time format is incorrect")
    start = datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()
    end = min(start + 86400, sim.now())
    rows = []
    t = start
    while t <= end:
        rows.append({"time": local_time(t, zone), "power": round(plant_power_w(plant, t, sim.world.seed), 1)})
        t += POWER_STEP_S
    return {"count": len(rows), "powers": rows}


def plant_add(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.2.8: an empty plant for the caller's user; units join through datalogger/add."""
    user_id, name, peak = text(params, "c_user_id"), text(params, "name"), text(params, "peak_power")
    if not user_id:
        raise GrowattError(10002, "User ID is empty")
    if not name:
        raise GrowattError(10003, "The station name is empty")
    if not peak:
        raise GrowattError(10004, "The peak power is empty")
    if user_id != str(account.user_id):
        raise GrowattError(10005, "The user does not exist")
    try:
        peak_kw = float(peak)
    except ValueError:
        raise GrowattError(10001, "System error: peak_power is not a number") from None
    if any(sim.world.plants[p].name == name for p in sim.world.account_plants[account.name]):
        raise GrowattError(10006, "The station name already exists under this user")
    zone = timezone_of(text(params, "timezone_id"), "PRC")  # "the default is PRC"
    if zone is None:
        raise GrowattError(10001, "System error: unknown timezone_id")
    today = datetime.fromtimestamp(sim.now(), zone).date().isoformat()
    plant = sim.world.add_plant(
        account=account, name=name, peak_power_kw=peak_kw, timezone=zone.key, today=today
    )
    for field in ("longitude", "latitude"):
        with contextlib.suppress(ValueError):
            setattr(plant, field, float(text(params, field) or 0))
    sim.field.created[plant.plant_id] = text(params, "timezone_id") or "PRC"
    return {"plant_id": plant.plant_id}
