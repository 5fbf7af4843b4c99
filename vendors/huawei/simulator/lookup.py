"""Shared lookups: the caller's plants and devices, paging, and per-plant numbers used by several
interfaces (so the realtime KPIs, basic info and history agree with each other)."""

from __future__ import annotations

import math
from typing import Any

from . import codes, solar
from .protocol import ApiError, as_int
from .state import HuaweiSim
from .world import Plant

PAGE_SIZES = (10, 20, 30, 50, 100)


def authorised_plants(
    sim: HuaweiSim, account: str, plant_codes: list[str], unauthorised_code: int
) -> list[Plant]:
    """The plants, in request order; any that is unknown or not the caller's -> ``unauthorised_code``."""
    plants = []
    for code in plant_codes:
        plant = sim.world.plants.get(code)
        if plant is None or plant.account != account:
            raise ApiError(unauthorised_code, f"{codes.MESSAGES[unauthorised_code]} ({code})")
        plants.append(plant)
    return plants


def authorised_devices(sim: HuaweiSim, account: str, dns: list[str]) -> list[tuple[str, Plant]]:
    """(dn, plant) for each DN; unknown or not the caller's -> 20046 (# NBI V7 9.3.6, 9.3.7)."""
    found = []
    for dn in dns:
        entry = sim.world.device_index.get(dn)
        plant = sim.world.plants.get(entry[0]) if entry else None
        if plant is None or plant.account != account:
            raise ApiError(codes.UNAUTHORIZED_DEVICES, f"{codes.MESSAGES[codes.UNAUTHORIZED_DEVICES]} ({dn})")
        found.append((dn, plant))
    return found


def page_params(body: dict[str, Any]) -> tuple[int, int]:
    page_no, page_size = body.get("pageNo"), body.get("pageSize")
    if page_no is None or page_no == "":
        raise ApiError(codes.PAGE_NO_EMPTY)
    if page_size is None or page_size == "":
        raise ApiError(codes.PAGE_SIZE_EMPTY)
    page_no, page_size = as_int(page_no), as_int(page_size)
    if page_no is None or page_no < 1:
        raise ApiError(codes.PAGE_NO_NEGATIVE)
    if page_size not in PAGE_SIZES:
        raise ApiError(codes.PAGE_SIZE_RANGE)
    return page_no, page_size


def page_slice(items: list[Any], page_no: int, page_size: int) -> list[Any]:
    return items[(page_no - 1) * page_size : page_no * page_size]


def page_data(total: int, page_no: int, page_size: int, items: list[Any]) -> dict[str, Any]:
    """The paged ``data`` map of # NBI V7 9.2.1 / 9.2.2: total, pageCount, pageNo, pageSize, list."""
    return {
        "total": total,
        "pageCount": math.ceil(total / page_size),
        "pageNo": page_no,
        "pageSize": page_size,
        "list": items,
    }


def battery_soc(plant: Plant, t: float) -> float | None:
    if plant.battery is None or not plant.battery_operable:
        return None
    return plant.battery.soc(t)


def battery_usable_kwh(plant: Plant, t: float) -> float | None:
    """Rated capacity x SOC x SOH (# NBI V7 9.3.1 batteryUsableCapacity)."""
    soc = battery_soc(plant, t)
    if soc is None or plant.battery is None:
        return None
    return round(plant.battery.rated_kwh * soc / 100.0 * plant.battery.soh, 3)


def pv_kw_at(plant: Plant, local_hour: float) -> float:
    """PV output at a local hour: zero when the plant is offline or its inverters are switched off."""
    if not plant.online:
        return 0.0
    on = sum(1 for inv in plant.inverters if inv.on)
    if not on:
        return 0.0
    return solar.pv_kw(plant.capacity_kwp, local_hour) * on / len(plant.inverters)
