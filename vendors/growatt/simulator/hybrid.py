"""Hybrid inverters: MIN TL-XH (tlx), SPH (mix), SPA; their setters, latest records and the VPP interface.

Not in our copy of the document; the endpoints, parameters, ranges and codes are the public clients'
(vendors/growatt/FIELD_NOTES.md "Hybrid families", H1..H12):

- ``tlxSet`` (tlx_sn, type, param1..19): ``time_segment1..9`` (mode 0-2, start h, start m, end h, end m,
  enable 0/1), ``charge_power``, ``discharge_power``, ``charge_stop_soc``, ``discharge_stop_soc`` 0-100,
  ``ac_charge`` 0/1. ``mixSet`` (mix_sn) / ``spaSet`` (spa_sn): ``*_ac_charge_time_period`` (power %, stop
  SOC %, mains 0/1, three periods of start h, start m, end h, end m, enable) and
  ``*_ac_discharge_time_period`` (power %, stop SOC %, three periods). Codes: 10004 SN empty, 10006 type
  unknown, 10007 value empty, 10008 out of range, 10012 device does not exist, 10013 end before start;
  then the repeat rule, 10005 collector offline (``setters``).
- ``device/{tlx,mix,spa}/{tlx,mix,spa}_last_data``: SOC (``bdc1_soc`` on MIN, ``soc`` on SPH/SPA), battery
  voltage (``bdc1_vbat`` / ``vbat``), ``bmsGaugeFCC`` (Ah), charge and discharge power and totals.
- VPP (MIN, SPH, SPA only): ``vppRemoteSetNew`` (vppSn, time 0-1440 minutes, percentage -100..100 of the
  rated power: > 0 charges, < 0 discharges, 0 releases), ``vppSetNew`` (vppSn, timePeriods JSON
  [{percentage, startTime, endTime}] in minutes of the day), ``device/vpp/getSocData`` (vppSn -> soc beside
  error_code). "Once every 10 seconds" per device: a second VPP write within 10 s is 10012.

Field behaviour (field profile, FIELD_NOTES H8): a slot written in parts (a time segment or a period with
some of its fields blank) answers 0 and is logged, then reverts: the device keeps the slot it had. The
document profile refuses it with 10007.

The physics is the storage machine's (``battery``): a slot or a VPP command becomes the unit's one charge
or discharge window at the given share of the hybrid's rating. A VPP command over local midnight runs on
after it (``settle``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from multidict import MultiDict

from .battery import CHARGING, DISCHARGING, Schedule, minute_of_day
from .context import Sim, TopLevel
from .protocol import TIME_FORMAT, GrowattError, text
from .readings import flows, seen_at
from .setters import accept_setting
from .world import Account, Unit

SN_PARAM = {"tlx": "tlx_sn", "mix": "mix_sn", "spa": "spa_sn"}
SETTER = {"tlx": "/v1/tlxSet", "mix": "/v1/mixSet", "spa": "/v1/spaSet"}
DEVICE_TYPE = {"tlx": 7, "mix": 5, "spa": 6}
VPP_EVERY_S = 10.0
SOC_FLOOR = 10.0  # the BMS keeps a reserve whatever the stop SOC (our assumption, as the SP machines' floor)
NAMES = {"tlx": "Min", "mix": "Mixed storage integrated machine", "spa": "SPA"}


def _hybrid(sim: Sim, account: Account, sn: str, family: str | None, *, missing: int) -> Unit:
    found = sim.world.storage_for(account, sn)
    if found is None or found[0].family == "storage" or (family is not None and found[0].family != family):
        raise GrowattError(missing, f"{NAMES.get(family or '', 'Device')} does not exist")
    unit = found[0]
    settle(unit, sim.now())
    return unit


def _int_in(value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise GrowattError(10008, "The parameter value is out of range") from None
    if not low <= number <= high:
        raise GrowattError(10008, "The parameter value is out of range")
    return number


# --- the families' own setters ---------------------------------------------------------------------------


def _period(values: list[str], at: int) -> dict[str, int] | None:
    """start h, start m, end h, end m, enable at ``values[at:at+5]``; None when written in parts."""
    part = values[at : at + 5]
    if len(part) < 5 or any(v == "" for v in part):
        return None
    sh, sm, eh, em = (_int_in(v, 0, 23 if i % 2 == 0 else 59) for i, v in enumerate(part[:4]))
    enable = _int_in(part[4], 0, 1)
    start, end = sh * 60 + sm, eh * 60 + em
    if enable and end < start:
        raise GrowattError(10013, "The end time cannot be less than the start time")
    return {"start": start, "end": end, "enable": enable}


def _parse(family: str, type_id: str, values: list[str], sim: Sim) -> dict[str, Any] | None:
    """The setting as the device will hold it; None for a slot written in parts (field: it reverts)."""
    prefix = family if family != "tlx" else ""
    if family == "tlx" and type_id in (
        "charge_power",
        "discharge_power",
        "charge_stop_soc",
        "discharge_stop_soc",
    ):
        if not values[0]:
            raise GrowattError(10007, "The parameter value is empty")
        return {"value": _int_in(values[0], 0, 100)}
    if family == "tlx" and type_id == "ac_charge":
        if not values[0]:
            raise GrowattError(10007, "The parameter value is empty")
        return {"value": _int_in(values[0], 0, 1)}
    if (
        family == "tlx"
        and type_id.startswith("time_segment")
        and type_id[12:] in {str(n) for n in range(1, 10)}
    ):
        if not values[0]:
            raise GrowattError(10007, "The parameter value is empty")
        mode = _int_in(values[0], 0, 2)
        slot = _period(values, 1)
        if slot is None:
            return _in_parts(sim)
        return {"mode": mode, **slot}
    if family != "tlx" and type_id in (
        f"{prefix}_ac_charge_time_period",
        f"{prefix}_ac_discharge_time_period",
    ):
        charge = type_id.endswith("_charge_time_period")
        if not values[0] or not values[1] or (charge and not values[2]):
            raise GrowattError(10007, "The parameter value is empty")
        out: dict[str, Any] = {"power": _int_in(values[0], 0, 100), "stop_soc": _int_in(values[1], 0, 100)}
        first = 2
        if charge:
            out["mains"] = _int_in(values[2], 0, 1)
            first = 3
        periods = [_period(values, first + 5 * k) for k in range(3)]
        if any(p is None for p in periods):
            return _in_parts(sim)
        out["periods"] = periods
        return out
    raise GrowattError(10006, "The setting parameter type does not exist")


def _in_parts(sim: Sim) -> None:
    if not sim.field.revert_partial_slots:
        raise GrowattError(10007, "The parameter value is empty: every field of the slot is required")
    return None


def family_set(family: str):
    def handler(sim: Sim, account: Account, params: MultiDict[str]) -> str:
        sn = text(params, SN_PARAM[family])
        if not sn:
            raise GrowattError(10004, f"{NAMES[family]} serial number is empty")
        unit = _hybrid(sim, account, sn, family, missing=10012)
        type_id = text(params, "type")
        values = [text(params, f"param{i}") for i in range(1, 20)]
        parsed = _parse(family, type_id, values, sim)
        used = list(values)
        while used and used[-1] == "":
            used.pop()

        def apply() -> None:
            if parsed is None:  # FIELD_NOTES H8: answered 0, never committed
                return
            unit.settings[type_id] = parsed
            if unit.vpp_end_t is None:
                unit.battery.set_schedule(sim.now(), own_schedule(unit), unit.zone)

        accept_setting(
            sim, account, unit=unit, endpoint=SETTER[family], sn=sn, type_key="type", type_id=type_id,
            values=used, apply=apply,
        )  # fmt: skip
        return ""

    return handler


def own_schedule(unit: Unit) -> Schedule:
    """The windows the family's own settings describe (the first enabled slot of each direction)."""
    s = unit.settings
    charge: tuple[int, int, float, float] | None = None  # start, end, share, stop SOC
    discharge: tuple[int, int, float, float] | None = None
    if unit.family == "tlx":
        power_c = float(s.get("charge_power", {}).get("value", 100)) / 100  # type: ignore[union-attr]
        power_d = float(s.get("discharge_power", {}).get("value", 100)) / 100  # type: ignore[union-attr]
        stop_c = float(s.get("charge_stop_soc", {}).get("value", 100))  # type: ignore[union-attr]
        stop_d = float(s.get("discharge_stop_soc", {}).get("value", SOC_FLOOR))  # type: ignore[union-attr]
        ac = s.get("ac_charge", {}).get("value", 0)  # type: ignore[union-attr]
        for n in range(1, 10):
            seg = s.get(f"time_segment{n}")
            if not isinstance(seg, dict) or not seg["enable"]:
                continue
            if seg["mode"] == 1 and ac and charge is None:
                charge = (seg["start"], seg["end"], power_c, stop_c)
            elif seg["mode"] == 2 and discharge is None:
                discharge = (seg["start"], seg["end"], power_d, stop_d)
    else:
        for key, is_charge in ((f"{unit.family}_ac_charge_time_period", True),
                               (f"{unit.family}_ac_discharge_time_period", False)):  # fmt: skip
            setting = s.get(key)
            if not isinstance(setting, dict) or (is_charge and not setting["mains"]):
                continue
            period = next((p for p in setting["periods"] if p["enable"]), None)
            if period is None:
                continue
            window = (period["start"], period["end"], setting["power"] / 100, float(setting["stop_soc"]))
            if is_charge:
                charge = window
            else:
                discharge = window
    sched = Schedule()
    if charge:
        sched = sched.changed(
            ac_enabled=True,
            ac_start_min=charge[0],
            ac_end_min=charge[1],
            share=charge[2],
            ac_soc_limit=charge[3],
        )
    if discharge:
        sched = sched.changed(
            fd_enabled=True, fd_start_min=discharge[0], fd_end_min=discharge[1],
            soc_floor=max(SOC_FLOOR, discharge[3]),
            share=sched.share if charge else discharge[2],
        )  # fmt: skip
    return sched


# --- VPP -------------------------------------------------------------------------------------------------


def _vpp_schedule(unit: Unit, start_t: float) -> tuple[Schedule, float]:
    """The VPP command's window for the local day of ``start_t``, and when that piece ends."""
    assert unit.vpp_end_t is not None
    local = datetime.fromtimestamp(start_t, unit.zone)
    midnight = (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).timestamp()
    piece_end = min(unit.vpp_end_t, midnight)
    start_min = int(minute_of_day(start_t, unit.zone))
    end_min = 1440 if piece_end >= midnight else int(round(minute_of_day(piece_end, unit.zone)))
    share = abs(unit.vpp_pct) / 100
    if unit.vpp_pct > 0:
        sched = Schedule(
            ac_enabled=True, ac_start_min=start_min, ac_end_min=end_min, ac_soc_limit=100.0, share=share
        )
    else:
        sched = Schedule(
            fd_enabled=True, fd_start_min=start_min, fd_end_min=end_min, soc_floor=SOC_FLOOR, share=share
        )
    return sched, piece_end


def settle(unit: Unit, now: float) -> None:
    """A VPP command past a local midnight runs on in the next day; past its end the family's own
    settings are back (computed lazily, at the instants they happened)."""
    while unit.vpp_end_t is not None:
        piece_end = unit.settings.get("_vpp_piece_end")
        if not isinstance(piece_end, float) or now < piece_end:
            return
        if piece_end >= unit.vpp_end_t:
            unit.vpp_end_t = None
            unit.settings.pop("_vpp_piece_end", None)
            unit.battery.set_schedule(piece_end, own_schedule(unit), unit.zone)
            return
        sched, nxt = _vpp_schedule(unit, piece_end)
        unit.battery.set_schedule(piece_end, sched, unit.zone)
        unit.settings["_vpp_piece_end"] = nxt


def _vpp_unit(
    sim: Sim, account: Account, params: MultiDict[str], *, missing: int = 10012
) -> tuple[Unit, str]:
    sn = text(params, "vppSn")
    if not sn:
        raise GrowattError(10004, "Device serial number is empty")
    return _hybrid(sim, account, sn, None, missing=missing), sn


def _vpp_rate(sim: Sim, sn: str) -> tuple[Any, ...]:
    key = ("growatt-vpp", sn)
    limiter = sim.core.limiter
    if limiter.enabled and limiter.retry_after(key, 1, VPP_EVERY_S) > 0:
        raise GrowattError(
            10012, "error_frequently_access: VPP settings once every 10 seconds per device", rate_limited=True
        )
    return key


def vpp_remote_set(sim: Sim, account: Account, params: MultiDict[str]) -> int:
    unit, sn = _vpp_unit(sim, account, params)
    minutes, pct = text(params, "time"), text(params, "percentage")
    if not minutes or not pct:
        raise GrowattError(10007, "Setting parameter is null")
    duration = _int_in(minutes, 0, 1440)
    percentage = _int_in(pct, -100, 100)
    key = _vpp_rate(sim, sn)
    now = sim.now()

    def apply() -> None:
        settle(unit, now)
        if duration == 0 or percentage == 0:  # release: the family's own settings rule again
            unit.vpp_end_t = None
            unit.settings.pop("_vpp_piece_end", None)
            unit.battery.set_schedule(now, own_schedule(unit), unit.zone)
            return
        unit.vpp_end_t, unit.vpp_pct = now + duration * 60.0, percentage
        sched, piece_end = _vpp_schedule(unit, now)
        unit.settings["_vpp_piece_end"] = piece_end
        unit.battery.set_schedule(now, sched, unit.zone)

    accept_setting(
        sim, account, unit=unit, endpoint="/v1/vppRemoteSetNew", sn=sn, type_key="type",
        type_id="vppRemoteSetNew", values=[str(duration), str(percentage)], apply=apply,
    )  # fmt: skip
    sim.core.limiter.check(key, 1, VPP_EVERY_S)
    return 0


def vpp_set_periods(sim: Sim, account: Account, params: MultiDict[str]) -> int:
    """vppSetNew: daily periods (the first one is the window; the simulator runs one per direction)."""
    unit, sn = _vpp_unit(sim, account, params)
    raw = text(params, "timePeriods")
    if not raw:
        raise GrowattError(10007, "Setting parameter is null")
    try:
        periods = json.loads(raw)
        parsed = [
            (_int_in(str(p["percentage"]), -100, 100), _int_in(str(p["startTime"]), 0, 1440),
             _int_in(str(p["endTime"]), 0, 1440))
            for p in periods
        ]  # fmt: skip
    except (ValueError, TypeError, KeyError):
        raise GrowattError(10008, "Setting value is out of range or abnormal") from None
    if not parsed or any(end <= start for _, start, end in parsed):
        raise GrowattError(10008, "Setting value is out of range or abnormal")
    key = _vpp_rate(sim, sn)

    def apply() -> None:
        pct, start, end = parsed[0]
        unit.settings["vpp_periods"] = [list(p) for p in parsed]
        if pct > 0:
            sched = Schedule(
                ac_enabled=True, ac_start_min=start, ac_end_min=end, ac_soc_limit=100.0, share=pct / 100
            )
        else:
            sched = Schedule(fd_enabled=True, fd_start_min=start, fd_end_min=end, soc_floor=SOC_FLOOR,
                             share=abs(pct) / 100)  # fmt: skip
        unit.battery.set_schedule(sim.now(), sched, unit.zone)

    accept_setting(
        sim, account, unit=unit, endpoint="/v1/vppSetNew", sn=sn, type_key="type", type_id="vppSetNew",
        values=[raw], apply=apply,
    )  # fmt: skip
    sim.core.limiter.check(key, 1, VPP_EVERY_S)
    return 0


def vpp_soc(sim: Sim, account: Account, params: MultiDict[str]) -> TopLevel:
    """getSocData: 10003 SN empty, 10002 device does not exist (GrowattPublicApiPy vpp.py soc())."""
    sn = text(params, "vppSn")
    if not sn:
        raise GrowattError(10003, "Device serial number is empty")
    unit = _hybrid(sim, account, sn, None, missing=10002)
    f = flows(unit, seen_at(unit, sim.now()), sim.world.seed)
    return TopLevel(soc=round(f.soc, 1), dataLogSn=unit.datalogger_sn, sn=unit.storage_sn)


# --- latest records --------------------------------------------------------------------------------------


def last_data(family: str):
    def handler(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
        sn = text(params, SN_PARAM[family])
        if not sn:
            raise GrowattError(10003, "Device SN error")
        unit = _hybrid(sim, account, sn, family, missing=10002)
        return hybrid_record(unit, seen_at(unit, sim.now()), sim.world.seed)

    return handler


def hybrid_record(unit: Unit, t: float, seed: int) -> dict[str, Any]:
    f = flows(unit, t, seed)
    vbat = round(48.0 + f.soc * 0.06, 2)
    fcc = round(unit.battery.capacity_wh / 51.2, 1)  # Ah at the pack's nominal 51.2 V
    status = {CHARGING: 1, DISCHARGING: 2}.get(f.mode, 0)
    common = {
        "serialNum": unit.storage_sn,
        "dataLogSn": unit.datalogger_sn,
        "time": datetime.fromtimestamp(t, unit.zone).strftime(TIME_FORMAT),
        "status": 5 if unit.inverter_on else 0,
        "bmsGaugeFCC": fcc,
        "bmsGaugeRM": round(fcc * f.soc / 100, 1),
        "ppv": round(f.pv_w, 1),
        "pac": round(f.ac_w, 1),
        "batteryStatus": status,
    }
    if unit.family == "tlx":
        return {
            **common,
            "bdc1_soc": round(f.soc, 1),
            "bdc1_vbat": vbat,
            "bdc1_charge_power": round(f.charge_w, 1),
            "bdc1_discharge_power": round(f.discharge_w, 1),
            "bdc1_charge_total": round(f.charged_wh / 1000, 3),
            "bdc1_discharge_total": round(f.discharged_wh / 1000, 3),
        }
    return {
        **common,
        "soc": round(f.soc, 1),
        "vbat": vbat,
        "pcharge1": round(f.charge_w, 1),
        "pdischarge1": round(f.discharge_w, 1),
        "echargetotal": round(f.charged_wh / 1000, 3),
        "edischargetotal": round(f.discharged_wh / 1000, 3),
    }
