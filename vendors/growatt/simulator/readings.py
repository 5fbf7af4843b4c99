"""What a unit reports at an instant: the records of the inverter and storage read endpoints.

Why separate from the handlers: the same record feeds ``last_new_data`` and ``invs_data``, and
``storage_last_data`` and ``storage_data`` (# Growatt 4.3.8/4.3.9, 4.3.13/4.3.14), at "now" or at any
past instant. An offline unit reports what it last sent: reads are taken at ``offline_since``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from . import solar
from .battery import CHARGING, DISCHARGING, Battery
from .protocol import TIME_FORMAT
from .world import Plant, Unit

GRID_V = 230.0
SP3000_FIELDS = (
    "vpv2", "ppv2", "pCharge2", "pDischarge2", "vBuck2", "epvToday2", "epvTotal2",
    "eChargeToday2", "eChargeTotal2", "eDischargeToday2", "eDischargeTotal2",
)  # fmt: skip


def seen_at(unit: Unit, now: float) -> float:
    """The instant the cloud last heard from the unit."""
    return now if unit.offline_since is None else min(now, unit.offline_since)


@dataclass(slots=True)
class Flows:
    """Instantaneous powers (W) of one unit."""

    pv_w: float
    ac_w: float
    load_w: float
    charge_w: float
    discharge_w: float
    mode: int
    soc: float
    charged_wh: float
    discharged_wh: float


def flows(unit: Unit, t: float, seed: int) -> Flows:
    zone = unit.zone
    local = datetime.fromtimestamp(t, zone)
    pv = 0.0
    ac = 0.0
    if unit.inverter_on:
        pv = solar.pv_w(unit.pv_peak_w, local, solar.weather_factor(seed, unit.index, local.toordinal()))
        ac = min(pv, unit.pv_peak_w * unit.active_rate_pct / 100.0)
    charge = discharge = 0.0
    soc = charged = discharged = 0.0
    mode = 0
    if unit.has_battery:
        state = unit.battery.at(t, zone)
        soc, charged, discharged = state.soc, state.charged_wh, state.discharged_wh
        mode = unit.battery.mode(t, soc, zone)
        if mode == CHARGING:
            charge = unit.battery.rate_w(t)
        elif mode == DISCHARGING:
            discharge = unit.battery.rate_w(t)
    return Flows(
        pv, ac, solar.load_w(unit.load_base_w, local), charge, discharge, mode, soc, charged, discharged
    )


def _today_wh(battery: Battery, t: float, zone: ZoneInfo) -> tuple[float, float]:
    local = datetime.fromtimestamp(t, zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    now, start = battery.at(t, zone), battery.at(midnight, zone)
    return now.charged_wh - start.charged_wh, now.discharged_wh - start.discharged_wh


def _hours(local: datetime) -> float:
    return local.hour + local.minute / 60 + local.second / 3600


def pv_today_kwh(unit: Unit, t: float, seed: int) -> float:
    local = datetime.fromtimestamp(t, unit.zone)
    factor = solar.weather_factor(seed, unit.index, local.toordinal())
    return solar.pv_energy_wh(unit.pv_peak_w, _hours(local), factor) / 1000 if unit.inverter_on else 0.0


def storage_record(unit: Unit, t: float, seed: int, *, zone: ZoneInfo | None = None) -> dict[str, Any]:
    """One storage machine record (# Growatt 4.3.13); ``time`` in ``zone`` (default: the plant's)."""
    f = flows(unit, t, seed)
    local = datetime.fromtimestamp(t, unit.zone)
    charged_today, discharged_today = _today_wh(unit.battery, t, unit.zone)
    to_user = max(0.0, f.load_w + f.charge_w - f.ac_w - f.discharge_w)
    to_grid = max(0.0, f.ac_w + f.discharge_w - f.load_w - f.charge_w)
    load_today = solar.load_energy_wh(unit.load_base_w, _hours(local)) / 1000
    pv_today = pv_today_kwh(unit, t, seed)
    v_bat = round(48.0 + f.soc * 0.06, 2)
    # SP3000 second-channel fields; "eDischargeToday 2" in the document is read as eDischargeToday2.
    zero_sp3000 = dict.fromkeys(SP3000_FIELDS, 0.0)
    return {
        "storage_sn": unit.storage_sn,
        "dataloggerSn": unit.datalogger_sn,
        "status": f.mode,
        "deviceType": unit.device_type,
        "pCharge": round(f.charge_w, 1),
        "pDischarge": round(f.discharge_w, 1),
        "vpv": 0.0,  # AC-coupled: PV arrives through the inverter, not the storage machine's PV input
        "ipv": 0.0,
        "iCharge": round(f.charge_w / v_bat, 2),
        "iDischarge": round(f.discharge_w / v_bat, 2),
        "ppv": 0.0,
        "vBuck": 0.0,
        "vac": GRID_V,
        "iacToUser": round(to_user / GRID_V, 2),
        "pacToUser": round(to_user, 1),
        "iacToGrid": round(to_grid / GRID_V, 2),
        "pacToGrid": round(to_grid, 1),
        "vBat": v_bat,
        "capacity": round(f.soc, 2),
        "ipmTemperature": 35.0 + (5.0 if f.mode else 0.0),
        "epvToday": 0.0,
        "epvTotal": 0.0,
        "temperature": 25.0 + (3.0 if f.mode else 0.0),
        "eChargeToday": round(charged_today / 1000, 3),
        "eChargeTotal": round(f.charged_wh / 1000, 3),
        "time": datetime.fromtimestamp(t, zone or unit.zone).strftime(TIME_FORMAT),
        "eDischargeToday": round(discharged_today / 1000, 3),
        "eDischargeTotal": round(f.discharged_wh / 1000, 3),
        "eToUserToday": round(max(0.0, load_today - pv_today) + charged_today / 1000, 3),
        "eToUserTotal": round(max(0.0, load_today - pv_today) + f.charged_wh / 1000, 3),
        "eToGridToday": round(max(0.0, pv_today - load_today) + discharged_today / 1000, 3),
        "eToGridTotal": round(max(0.0, pv_today - load_today) + f.discharged_wh / 1000, 3),
        "faultCode": 0,
        **zero_sp3000,
        "normalPower": round(f.charge_w + f.discharge_w, 1),
        "errorCode": 0,
        "warnCode": 0,
    }


def inverter_record(unit: Unit, t: float, seed: int) -> dict[str, Any]:
    """One inverter record (# Growatt 4.3.8); two PV strings, single phase."""
    f = flows(unit, t, seed)
    today = pv_today_kwh(unit, t, seed)
    vpv = 360.0 if f.pv_w > 0 else 0.0
    half = f.pv_w / 2
    ipv = round(half / vpv, 2) if vpv else 0.0
    record: dict[str, Any] = {
        "device_sn": unit.inverter_sn,
        "inverterId": unit.inverter_sn,
        "dataloggerSn": unit.datalogger_sn,
        "status": 1 if unit.inverter_on else 0,  # 0 Waiting, 1 Normal, 3 Fault
        "ipv1": ipv,
        "ipv2": ipv,
        "vpv1": vpv,
        "vpv2": vpv,
        "ppv1": round(half, 1),
        "ppv2": round(half, 1),
        "iacr": round(f.ac_w / GRID_V, 2),
        "iacs": 0.0,
        "iact": 0.0,
        "vacr": GRID_V,
        "vacs": 0.0,
        "vact": 0.0,
        "pacr": round(f.ac_w, 1),
        "pacs": 0.0,
        "pact": 0.0,
        "ppv": round(f.pv_w, 1),
        "pac": round(f.ac_w, 1),
        "powerToday": round(today, 3),
        "powerTotal": round(today + unit.pv_peak_w * 3.2 / 1000 * 365, 3),
        "temperature": 30.0,
        "fac": 50.0,
        "pf": 1.0,
        "time": datetime.fromtimestamp(t, unit.zone).strftime(TIME_FORMAT),
        "faultType": 0,
        "timeTotal": 8760.0,
        "ipmTemperature": 40.0,
        "epv1Today": round(today / 2, 3),
        "epv1Total": 0.0,
        "epv2Today": round(today / 2, 3),
        "epv2Total": 0.0,
        "epvTotal": 0.0,
        "eRacToday": 0.0,
        "eRacTotal": 0.0,
        "pBusVoltage": 380.0,
        "nBusVoltage": 380.0,
        "dwStringWarningValue1": 0,
        "wStringStatusValue": 0,
        "wPIDFaultValue": 0,
        "vPidPvape": 0.0,
        "iPidPvape": 0.0,
        "pidStatus": 0,
        "vPidPvbpe": 0.0,
        "iPidPvbpe": 0.0,
        "strFault": 0,
    }
    for n in range(1, 9):
        record[f"vString{n}"] = vpv if n <= 2 else 0.0
        record[f"currentString{n}"] = ipv if n <= 2 else 0.0
    record["warnCode"] = 0
    return record


def plant_power_w(plant: Plant, now: float, seed: int) -> float:
    """AC output of every inverter in the plant (what ``current_power`` reports, in W)."""
    return sum(flows(u, seen_at(u, now), seed).ac_w for u in plant.units)
