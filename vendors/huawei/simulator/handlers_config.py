"""Plant list and device list (# NBI V7 9.2.1, 9.2.2)."""

from __future__ import annotations

from typing import Any

from . import codes
from .handlers_kpi import blank_coordinates
from .lookup import authorised_plants, battery_usable_kwh, page_data, page_params, page_slice
from .protocol import ApiError, Body, as_int, code_list, interface, ok
from .state import HuaweiSim
from .world import BATTERY, INVERTER, Device, Plant, iso_local

MAX_PLANTS = 100


def plant_entry(plant: Plant, sim: HuaweiSim | None = None) -> dict[str, Any]:
    blank = sim is not None and blank_coordinates(sim, plant)  # FIELD_NOTES H13
    return {
        "plantCode": plant.code,
        "plantName": plant.name,
        "plantAddress": plant.address,
        "longitude": "" if blank else plant.longitude,
        "latitude": "" if blank else plant.latitude,
        "capacity": plant.capacity_kwp,
        "contactPerson": plant.owner.username,
        "contactMethod": plant.owner.email,
        "gridConnectionDate": iso_local(plant.grid_connection_epoch, plant.tz),
    }


@interface("plants")
def plant_list(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/plants {pageNo, pageSize, plantNames}."""
    names_raw = body.get("plantNames")
    mine = [sim.world.plants[c] for c in sim.world.plants_of(account)]
    if isinstance(names_raw, str) and names_raw.strip():
        names = code_list(
            names_raw, codes.PLANT_LIST_EMPTY, max_items=MAX_PLANTS, too_many_code=codes.TOO_MANY_PLANTS
        )
        wanted = set(names)
        selected = [p for p in mine if p.name in wanted]
        # pageNo/pageSize are optional when plantNames is given (# NBI V7 9.2.1).
        if body.get("pageNo") in (None, "") and body.get("pageSize") in (None, ""):
            page_no, page_size = 1, 100
        else:
            page_no, page_size = page_params(body)
    else:
        selected = mine
        page_no, page_size = page_params(body)
    entries = [plant_entry(p, sim) for p in page_slice(selected, page_no, page_size)]
    return ok(page_data(len(selected), page_no, page_size, entries), "get plant list success")


def device_entry(plant: Plant, device: Device, now: float) -> dict[str, Any]:
    item: dict[str, Any] = {}
    if device.type_id == INVERTER:
        item = {
            "model": device.model,
            "ratedPower": device.rated_kw,
            "softwareVersion": device.software_version,
            "optimizerNumber": 0,
        }
    elif device.type_id == BATTERY and plant.battery is not None:
        item = {
            "model": plant.battery.model,
            "ratedCapacity": plant.battery.rated_kwh,
            "usableCapacity": battery_usable_kwh(plant, now),
            "dod": float(plant.battery.dod),
        }
    return {
        "plantCode": plant.code,
        "deviceTypeId": device.type_id,
        "dn": device.dn,
        "sn": device.sn,
        "deviceName": device.name,
        "dataItemMap": item,
    }


@interface("devices")
def device_list(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/devices {plantCodes, deviceTypeId?, pageNo, pageSize}."""
    plant_codes = code_list(
        body.get("plantCodes"),
        codes.PLANT_LIST_EMPTY,
        max_items=MAX_PLANTS,
        too_many_code=codes.TOO_MANY_PLANTS,
    )
    page_no, page_size = page_params(body)
    type_filter = body.get("deviceTypeId")
    if type_filter not in (None, ""):
        type_filter = as_int(type_filter)
        if type_filter is None:
            raise ApiError(codes.DEVICE_TYPE_MISMATCH)
    else:
        type_filter = None
    # The 9.2.2 error example answers 20007 for plants the user has no resources for.
    plants = authorised_plants(sim, account, plant_codes, codes.NO_PLANT_RESOURCES)
    devices = [(p, d) for p in plants for d in p.devices if type_filter is None or d.type_id == type_filter]
    now = sim.now()
    entries = [device_entry(p, d, now) for p, d in page_slice(devices, page_no, page_size)]
    if sim.field.switches.v6_device_rows:
        entries = [sim.field.v6_device(e) for e in entries]  # FIELD_NOTES H20
    return ok(page_data(len(devices), page_no, page_size, entries))
