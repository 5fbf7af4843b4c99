"""Basic plant information, real-time and 5-minute history KPIs (# NBI V7 9.3.1, 9.3.2, 9.3.3).

All three read the same closed-form PV/load shapes and the battery's SOC segments, so numbers agree
across interfaces and a read costs O(1) per plant (O(records) for history).
"""

from __future__ import annotations

import math
from typing import Any

from . import codes, solar
from .lookup import authorised_plants, battery_soc, battery_usable_kwh, pv_kw_at
from .protocol import ApiError, Body, as_int, code_list, interface, ok
from .state import HuaweiSim
from .world import Plant, iso_local

MAX_PLANTS = 100
SLOT_S = 300
MAX_SPAN_MS = 24 * 3600 * 1000


def _r(value: float, digits: int = 3) -> float:
    """Rounded, and never ``-0.0`` (a client comparing signs would read it as discharging)."""
    return round(value, digits) + 0.0


def _plants(sim: HuaweiSim, account: str, body: Body) -> list[Plant]:
    plant_codes = code_list(
        body.get("plantCodes"),
        codes.PLANT_LIST_EMPTY,
        max_items=MAX_PLANTS,
        too_many_code=codes.TOO_MANY_PLANTS,
    )
    # The error examples of 9.3.1-9.3.3 answer 20007 for plants the user has no resources for.
    return authorised_plants(sim, account, plant_codes, codes.NO_PLANT_RESOURCES)


@interface("vpp_plants")
def basic_info(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/plants {plantCodes}."""
    now = sim.now()
    data = []
    for plant in _plants(sim, account, body):
        battery = plant.battery
        data.append(
            {
                "plantCode": plant.code,
                "address": plant.address,
                "longitude": "" if blank_coordinates(sim, plant, details=True) else plant.longitude,
                "latitude": "" if blank_coordinates(sim, plant, details=True) else plant.latitude,
                "installationTime": iso_local(plant.grid_connection_epoch, plant.tz),
                "inverterPower": plant.inverter_power_w,
                "capacity": plant.capacity_kwp,
                # Not in the 9.3.1 table but in its example (W); kept so clients of either agree.
                "pvPower": _r(plant.capacity_kwp * 1000.0, 2),
                "inverterModel": ",".join(dict.fromkeys(inv.model for inv in plant.inverters)),
                "batteryInstallCapacity": battery.rated_kwh if battery else None,
                "batteryUsableCapacity": battery_usable_kwh(plant, now),
                "batteryModel": battery.model if battery else None,
            }
        )
    return ok(data)


def realtime_item(plant: Plant, now: float) -> dict[str, Any]:
    """The # NBI V7 9.3.2 dataItemMap. batteryPower > 0 discharging, meterPower > 0 feeding the grid."""
    local = solar.local(now, plant.tz)
    hour = solar.local_hour(local)
    day_kwh = solar.pv_kwh_since_midnight(plant.capacity_kwp, hour)
    month_kwh = (local.day - 1) * solar.DAY_PV_KWH_PER_KWP * plant.capacity_kwp + day_kwh
    soc = battery_soc(plant, now)
    item: dict[str, Any] = {
        "dayEnergy": _r(day_kwh, 3),
        "monthEnergy": _r(month_kwh, 3),
        "totalEnergy": _r(plant.total_energy_base_kwh + month_kwh, 3),
        "batterySOC": _r(soc, 1) if soc is not None else None,
        "batteryDOD": float(plant.battery.dod) if soc is not None and plant.battery else None,
    }
    if not plant.online:
        # Disconnected: the cloud has no fresh powers; SOC is the last value it heard.
        item.update(pvPower=None, meterPower=None, batteryPower=None, loadPower=None, healthState=1)
        return item
    pv = pv_kw_at(plant, hour)
    load = solar.load_kw(plant.base_load_kw, hour)
    battery_kw = -plant.battery.power_w(now) / 1000.0 if soc is not None and plant.battery else 0.0
    item.update(
        pvPower=_r(pv, 3),
        meterPower=_r(pv + battery_kw - load, 3),
        batteryPower=_r(battery_kw, 3),
        loadPower=_r(load, 3),
        healthState=0,
    )
    return item


@interface("realtime_kpi")
def realtime_kpi(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/plantRealtimeKpi {plantCodes}."""
    now = sim.now()
    return ok(
        [
            {"plantCode": p.code, "dataItemMap": field_item(sim, realtime_item(p, now))}
            for p in _plants(sim, account, body)
        ]
    )


def field_item(sim: HuaweiSim, item: dict[str, Any]) -> dict[str, Any]:
    """The 9.3.2 dataItemMap as the live cloud sends it (FIELD_NOTES H5-H7): a healthy plant is 3, values
    as numeric strings, integers as floats, a value it lacks as "N/A" (or "", {} or null)."""
    profile = sim.field
    shaped = dict(item)
    health = shaped.get("healthState")
    if health == 0:
        health = profile.switches.healthy_state
    shaped["healthState"] = profile.number(health)
    dod = shaped.get("batteryDOD")
    shaped["batteryDOD"] = profile.number(profile.integer(int(dod)) if dod is not None else None)
    for key, value in item.items():
        if key not in ("healthState", "batteryDOD"):
            shaped[key] = profile.number(value)
    return shaped


def blank_coordinates(sim: HuaweiSim, plant: Plant, *, details: bool = False) -> bool:
    """FIELD_NOTES H13: some plant rows list latitude and longitude as ""."""
    switches = sim.field.switches
    every = switches.blank_coordinates_every
    if not every or (details and not switches.blank_coordinates_in_details):
        return False
    return int(plant.code.removeprefix("NE=")) % every == 0


def _time_ms(body: Body, name: str) -> int:
    value = body.get(name)
    if value is None or value == "":
        raise ApiError(codes.QUERY_TIME_EMPTY)
    ms = as_int(value)
    if ms is None:
        raise ApiError(codes.QUERY_TIME_EMPTY, f"{name} must be a time in milliseconds.")
    if ms < 0:
        raise ApiError(codes.TIME_NEGATIVE)
    return ms


def history_records(plant: Plant, start_s: float, end_s: float, now: float) -> list[dict[str, Any]]:
    """5-minute records at slot times t in [start, end), each covering the 5 minutes ending at t."""
    records = []
    last = now if plant.offline_since is None else min(now, plant.offline_since)
    t = math.ceil(start_s / SLOT_S) * SLOT_S
    battery = plant.battery if plant.battery_operable else None
    while t < end_s and t <= last:
        mid_hour = solar.local_hour(solar.local(t - SLOT_S / 2, plant.tz))
        pv_e = solar.pv_kw(plant.capacity_kwp, mid_hour) / 12.0
        load_e = solar.load_kw(plant.base_load_kw, mid_hour) / 12.0
        stored = battery.kwh_between(t - SLOT_S, t) if battery else 0.0
        charge_e, discharge_e = max(stored, 0.0), max(-stored, 0.0)
        surplus = pv_e + discharge_e - load_e - charge_e
        pv2load = min(pv_e, load_e)
        soc = battery.soc(t) if battery else None
        wobble = 3.0 * math.sin(t / 3600.0)
        records.append(
            {
                "dataTime": iso_local(t, plant.tz),
                "gridABWireVoltage": _r(400.0 + wobble * 1.7, 1),
                "gridBCWireVoltage": _r(400.5 + wobble * 1.7, 1),
                "gridCAWireVoltage": _r(399.5 + wobble * 1.7, 1),
                "gridAPhaseVoltage": _r(230.0 + wobble, 1),
                "gridBPhaseVoltage": _r(230.4 + wobble, 1),
                "gridCPhaseVoltage": _r(229.6 + wobble, 1),
                "inputEnergy": _r(max(-surplus, 0.0), 4),
                "loadEnergy": _r(load_e, 4),
                "ongridEnergy": _r(max(surplus, 0.0), 4),
                "pvEnergy": _r(pv_e, 4),
                "grid2loadEnergy": _r(max(load_e - pv2load - discharge_e, 0.0), 4),
                "grid2batteryEnergy": _r(max(charge_e - max(pv_e - load_e, 0.0), 0.0), 4),
                "pv2loadEnergy": _r(pv2load, 4),
                "batteryEnergy": _r(battery.rated_kwh * soc / 100.0 * battery.soh, 3)
                if battery and soc is not None
                else None,
                "chargeEnergy": _r(charge_e, 4) if battery else None,
                "dischargeEnergy": _r(discharge_e, 4) if battery else None,
                "batterySOC": _r(soc, 1) if soc is not None else None,
            }
        )
        t += SLOT_S
    return records


@interface("history_kpi")
def history_kpi(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/plantHistoryKpi {plantCodes, startTime, endTime} (ms)."""
    plants = _plants(sim, account, body)
    start_ms, end_ms = _time_ms(body, "startTime"), _time_ms(body, "endTime")
    if start_ms >= end_ms:
        raise ApiError(codes.START_NOT_BEFORE_END)
    if end_ms - start_ms > MAX_SPAN_MS:
        # GUESS: 9.3.3 says the span "cannot exceed 24 hours" but names no code.
        raise ApiError(
            codes.VALUE_OUT_OF_RANGE, "The interval between startTime and endTime cannot exceed 24 hours."
        )
    now = sim.now()
    return ok(
        [
            {"plantCode": p.code, "dataItem": history_records(p, start_ms / 1000.0, end_ms / 1000.0, now)}
            for p in plants
        ]
    )
