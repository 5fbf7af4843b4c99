"""Device and collector (datalogger) endpoints: device/list and datalogger list/validate/add/delete.

Enrolment as a VPP does it (# Growatt 4.3.10, 4.2.8, 4.3.2): validate the customer's datalogger SN and
check code, create a plant for the caller's user (plant/add, unless one exists), then add the datalogger
to that plant: its inverter and storage machine join the plant and run in the plant's local time.
datalogger/add takes no check code (the document has none), so the simulator does not insist that
validate came first; a careful client validates anyway.
"""

from __future__ import annotations

from typing import Any

from multidict import MultiDict

from .battery import IDLE
from .context import Sim
from .protocol import GrowattError, local_time, page_args, text
from .readings import flows, seen_at
from .world import Account, Plant, Unit

SN_LENGTH = 10  # 4.3.10 "Collector serial number is empty or wrong length"


def _plant(sim: Sim, account: Account, params: MultiDict[str]) -> Plant:
    # 4.3.1 and 4.3.4 share: 10002 plant ID is empty, 10003 plant does not exist.
    plant_id = text(params, "plant_id")
    if not plant_id:
        raise GrowattError(10002, "Plant ID is empty")
    plant = sim.world.plant_for(account, plant_id)
    if plant is None:
        raise GrowattError(10003, "Plant does not exist")
    return plant


def _devices(sim: Sim, unit: Unit, now: float) -> list[dict[str, Any]]:
    """A unit's devices as # Growatt 4.3.4 lists them: inverter (type 1), storage (type 2)."""
    t = seen_at(unit, now)
    lost = 0 if unit.offline_since is None else 1
    last = local_time(t, unit.zone)
    inverter_status = 0 if lost else (1 if unit.inverter_on else 2)  # 0 disconnect, 1 online, 2 standby
    if unit.family != "storage":  # a hybrid is one device of type 7 MIN, 5 SPH, 6 SPA (FIELD_NOTES H1)
        if not unit.has_battery:
            return []
        model = {"tlx": "MIN 5000TL-XH", "mix": "SPH 6000TL BL-UP", "spa": "SPA 3000TL BL"}[unit.family]
        return [
            {
                "device_id": unit.storage_device_id,
                "datalogger_sn": unit.datalogger_sn,
                "device_sn": unit.storage_sn,
                "manufacturer": "Growatt",
                "model": model,
                "type": {"tlx": 7, "mix": 5, "spa": 6}[unit.family],
                "last_update_time": last,
                "lost": lost,
                "status": inverter_status,
            }
        ]
    rows = [
        {
            "device_id": unit.inverter_device_id,
            "datalogger_sn": unit.datalogger_sn,
            "device_sn": unit.inverter_sn,
            "manufacturer": "Growatt",
            "model": f"MIN {int(unit.pv_peak_w)}TL-X",
            "type": 1,
            "last_update_time": last,
            "lost": lost,
            "status": inverter_status,
        }
    ]
    if unit.has_battery:
        mode = flows(unit, t, sim.world.seed).mode  # 0 standby, 1 charge, 2 discharge
        rows.append(
            {
                "device_id": unit.storage_device_id,
                "datalogger_sn": unit.datalogger_sn,
                "device_sn": unit.storage_sn,
                "manufacturer": "Growatt",
                "model": "SP3000" if unit.device_type else "SP2000",
                "type": 2,
                "last_update_time": last,
                "lost": lost,
                "status": mode if mode != IDLE else 0,
            }
        )
    return rows


def device_list(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.3.4."""
    plant = _plant(sim, account, params)
    now = sim.now()
    rows = [row for unit in plant.units for row in _devices(sim, unit, now)]
    page, perpage = page_args(params)
    return {"count": len(rows), "devices": rows[(page - 1) * perpage : page * perpage]}


def datalogger_list(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.3.1."""
    plant = _plant(sim, account, params)
    now = sim.now()
    rows = [
        {
            "sn": unit.datalogger_sn,
            "manufacturer": "Growatt",
            "type": 1,  # "available value see attached 1: type" -> 1
            "last_update_time": local_time(seen_at(unit, now), unit.zone),
        }
        for unit in plant.units
    ]
    page, perpage = page_args(params)
    return {"count": len(rows), "dataloggers": rows[(page - 1) * perpage : page * perpage]}


def datalogger_validate(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.3.10: 10001 empty or wrong length, 10002 SN and check code do not match, 10003 the
    collector already exists (then plant_id, user_id and datalogger_sn are returned)."""
    sn, code = text(params, "datalogSn"), text(params, "valiCode")
    if len(sn) != SN_LENGTH:
        raise GrowattError(10001, "Collector serial number is empty or wrong length")
    unit = sim.world.by_datalogger.get(sn)
    if unit is None or not code or code.upper() != unit.check_code:
        raise GrowattError(10002, "Collector serial number and check code do not match")
    data: dict[str, Any] = {"dataloggerSn": sn, "valiCode": code}
    if unit.plant_id is not None:
        owner = sim.world.plants[unit.plant_id].account
        data.update(plant_id=unit.plant_id, user_id=owner.user_id, datalogger_sn=sn)
        raise GrowattError(10003, "Collector serial number is exist", data)
    return data


def datalogger_add(sim: Sim, account: Account, params: MultiDict[str]) -> str:
    """# Growatt 4.3.2: 10002 plant ID empty or SN wrong, 10003 collector exists, 10004 plant does not
    exist, 10005 user does not exist, 10006 user ID empty."""
    plant_id, sn, user_id = text(params, "plant_id"), text(params, "sn"), text(params, "c_user_id")
    if not user_id:
        raise GrowattError(10006, "User ID is empty")
    unit = sim.world.by_datalogger.get(sn)
    if not plant_id or unit is None:
        raise GrowattError(10002, "Power station ID is empty or the collector serial number is wrong")
    if user_id != str(account.user_id):
        raise GrowattError(10005, "User does not exist")
    plant = sim.world.plant_for(account, plant_id)
    if plant is None:
        raise GrowattError(10004, "Power station does not exist")
    if unit.plant_id is not None:
        raise GrowattError(10003, "Collector already exists")
    sim.world.attach(unit, plant)
    sim.core.commands.append(
        account=account.name,
        endpoint="/v1/device/datalogger/add",
        request_id=None,
        targets=[sn],
        params={"plant_id": plant.plant_id, "sn": sn, "c_user_id": user_id},
    )
    return ""


def datalogger_delete(sim: Sim, account: Account, params: MultiDict[str]) -> str:
    """# Growatt 4.3.3: 10002 empty, 10003 plant does not exist, 10004 collector does not exist."""
    plant_id, sn = text(params, "plant_id"), text(params, "sn")
    if not plant_id or not sn:
        raise GrowattError(10002, "Power station ID is empty or the collector serial number is wrong")
    plant = sim.world.plant_for(account, plant_id)
    if plant is None:
        raise GrowattError(10003, "Power station does not exist")
    unit = sim.world.by_datalogger.get(sn)
    if unit is None or unit.plant_id != plant.plant_id:
        raise GrowattError(10004, "Collector does not exist")
    sim.world.detach(unit)
    sim.core.commands.append(
        account=account.name,
        endpoint="/v1/device/datalogger/delete",
        request_id=None,
        targets=[sn],
        params={"plant_id": plant.plant_id, "sn": sn},
    )
    return ""
