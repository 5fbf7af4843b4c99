"""Inverter endpoints: last_new_data, invs_data, inv_data_info and inverterSet (# Growatt 4.3.7-4.3.9,
4.3.15). The history and alarm endpoints (4.3.5, 4.3.6) are left out: a VPP does not dispatch on them.
"""

from __future__ import annotations

import json
from typing import Any

from multidict import MultiDict

from .context import Sim
from .effects import apply_inverter_set
from .protocol import GrowattError, local_time, text
from .readings import flows, inverter_record, pv_today_kwh, seen_at
from .setters import PV_ON_OFF, accept_setting, field_forms
from .storage import around_midnight
from .validation import validate_inverter_set
from .world import Account, Plant, Unit

MAX_BATCH = 100  # 4.3.9 "up to 100"


def _inverter(sim: Sim, account: Account, sn: str) -> tuple[Unit, Plant]:
    # 4.3.8 and 4.3.15 document only 10001 "System error" besides 0; an unknown SN is answered with it.
    if not sn:
        raise GrowattError(10001, "System error: device_sn is empty")
    found = sim.world.inverter_for(account, sn)
    if found is None:
        raise GrowattError(10001, "System error: inverter does not exist")
    return found


def last_new_data(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.3.8."""
    unit, _ = _inverter(sim, account, text(params, "device_sn"))
    t = seen_at(unit, sim.now())
    record = inverter_record(unit, t, sim.world.seed)
    return around_midnight(sim, unit, t, record, lambda at: inverter_record(unit, at, sim.world.seed))


def _sn_list(params: MultiDict[str]) -> list[str]:
    """``inverters``: repeated keys, a comma-separated string or a JSON array string (the document says
    "array" without saying how a form body carries one)."""
    sns: list[str] = []
    for raw in params.getall("inverters", []):
        raw = raw.strip()
        if raw.startswith("["):
            try:
                sns.extend(str(s).strip() for s in json.loads(raw))
                continue
            except ValueError:
                pass
        sns.extend(s.strip() for s in raw.split(","))
    return [s for s in sns if s]


def invs_data(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.3.9: records of up to 100 inverters; SNs the caller cannot see are left out."""
    sns = _sn_list(params)
    if not sns:
        raise GrowattError(10001, "System error: inverters is empty")
    if len(sns) > MAX_BATCH:
        raise GrowattError(10001, f"System error: at most {MAX_BATCH} inverters per request")
    now = sim.now()
    records = []
    for sn in sns:
        found = sim.world.inverter_for(account, sn)
        if found is not None:
            records.append(inverter_record(found[0], seen_at(found[0], now), sim.world.seed))
    page_num = text(params, "pageNum")
    return {"pageNum": int(page_num) if page_num.isdigit() else 1, "inverters": records}


def inv_data_info(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.3.15. The document lists ``status`` twice; the device status (0 disconnect, 1 online,
    2 standby, 3 malfunction) is the one returned, next to ``lost``."""
    unit, plant = _inverter(sim, account, text(params, "device_sn"))
    now = sim.now()
    t = seen_at(unit, now)
    lost = 0 if unit.offline_since is None else 1
    return {
        "device_sn": unit.inverter_sn,
        "serialNum": unit.inverter_sn,
        "dataloggerSn": unit.datalogger_sn,
        "lost": lost,
        "status": 0 if lost else (1 if unit.inverter_on else 2),
        "alias": unit.inverter_sn,
        "location": plant.name,
        "dataLogSn": unit.datalogger_sn,
        "nominalPower": unit.pv_peak_w,
        "power": round(flows(unit, t, sim.world.seed).ac_w, 1),
        "eToday": round(pv_today_kwh(unit, t, sim.world.seed), 3),
        "eTotal": round(pv_today_kwh(unit, t, sim.world.seed) + unit.pv_peak_w * 3.2 / 1000 * 365, 3),
        "lastUpdateTime": local_time(t, unit.zone),
        "tcpServerIp": "127.0.0.1",
        "fwVersion": "GH1.0",
    }


def inverter_set(sim: Sim, account: Account, params: MultiDict[str]) -> str:
    """# Growatt 4.3.7. 10004 for an empty device_sn (the document's "Collector serial number is empty");
    an SN the caller cannot see gets 10002 "inverter server error" (no code is documented for it)."""
    sn = text(params, "device_sn")
    if not sn:
        raise GrowattError(10004, "Collector serial number is empty")
    found = sim.world.inverter_for(account, sn)
    if found is None:
        raise GrowattError(10002, "Inverter server error: inverter does not exist")
    unit, _ = found
    param_id = text(params, "paramId")
    values = [text(params, "command_1"), text(params, "command_2")]
    _, canonical_values = field_forms(sim, param_id, values, on_off=PV_ON_OFF)
    parsed = validate_inverter_set(param_id, canonical_values)
    accept_setting(
        sim,
        account,
        unit=unit,
        endpoint="/v1/inverterSet",
        sn=sn,
        type_key="paramId",
        type_id=param_id,
        values=values,
        apply=lambda: apply_inverter_set(unit, param_id, parsed),
    )
    return ""
