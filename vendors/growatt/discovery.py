"""Growatt plants, devices, realtime KPIs and enrolment, on the account's call path (``calls``).

- Plants: ``plant/list`` (4.2.1, 100 a page) and ``plant/details`` (4.2.4) for each plant's timezone.
- Devices: ``device/list`` (4.3.4: type 1 inverter, 2 storage, 3 other), ``device/datalogger/list``
  (4.3.1) and ``device/inverter/inv_data_info`` (4.3.15) for an inverter's rated power.
- KPIs: ``device/storage/storage_last_data`` (4.3.13) per storage machine and
  ``device/inverter/last_new_data`` (4.3.8) per inverter. Signs as in ``vendors.base.PlantKpi``:
  battery = pCharge - pDischarge (> 0 charging); meter = pacToGrid - pacToUser (> 0 exporting);
  PV = the inverters' ``ppv``; load from the balance of an AC-coupled site: inverter ``pac`` + discharge
  - charge + grid import - export.
- Enrolment by datalogger SN and check code: ``device/datalogger/validate`` (4.3.10), then
  ``device/datalogger/add`` (4.3.2) into a plant of the account: the plant named by ``plant_name`` (a
  plant id or an exact plant name), else a new plant (``plant/add`` 4.2.8) named ``plant_name`` or
  "Growatt <SN>", in ``SnEnrolment.timezone`` (the vendor's default, PRC, when none is given: the device
  then runs windows in that zone, which ``list_plants`` reports, so commands still land right).
  ``c_user_id`` (the end user the plant belongs to) is the account's ``username`` when numeric, else the
  owner of the account's plants (``plant/user_plant_list`` 4.2.9 by that user name, then ``plant/list``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from vendors import zones
from vendors.base import DeviceInfo, EnrolmentResult, PlantInfo, PlantKpi, SnEnrolment
from vendors.errors import VendorRejected

from . import families as fam
from .client import Answer
from .progress import parse_local_time
from .timezones import coordinate, resolve_timezone

if TYPE_CHECKING:
    from .calls import GrowattCalls

PAGE = "100"  # perpage maximum (4.2.1, 4.3.1, 4.3.4)
DEVICES_TTL_S = 3600.0
TIMEZONE_TTL_S = 86_400.0
DEVICE_TYPES = {1: "inverter", 2: "battery", 3: "other", 5: "inverter", 6: "inverter", 7: "inverter"}
"""4.3.4 type 1-3; 5 SPH, 6 SPA, 7 MIN are hybrid inverters with their battery (``families``)."""


def _data(answer: Answer, what: str) -> Any:
    if not answer.ok:
        raise VendorRejected(answer.error_code, f"{what}: {answer.error_msg}")
    return answer.data


def _rows(data: Any, *names: str) -> tuple[list[dict], int]:
    """A page's rows and the total count. The document names the fields of a row, not the list that holds
    them: the simulator's container name, or the first list in the answer."""
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)], len(data)
    if not isinstance(data, dict):
        return [], 0
    rows = next((data[n] for n in names if isinstance(data.get(n), list)), None)
    if rows is None:
        rows = next((v for v in data.values() if isinstance(v, list)), [])
    count = data.get("count")
    return [r for r in rows if isinstance(r, dict)], int(count) if str(count).isdigit() else len(rows)


def _pages(calls: GrowattCalls, method: str, endpoint: str, params: dict, *names: str) -> list[dict]:
    rows: list[dict] = []
    page = 1
    while True:
        answer, _ = calls.read(method, endpoint, {**params, "page": str(page), "perpage": PAGE})  # type: ignore[arg-type]
        found, count = _rows(_data(answer, endpoint), *names)
        rows.extend(found)
        if not found or len(rows) >= count:
            return rows
        page += 1


def timezone_name(value: Any, latitude: Any = None, longitude: Any = None) -> str | None:
    """The plant's zone from its ``timezone`` in any form the cloud writes ("GMT+8", 8, "PRC", an IANA
    name, "": ``timezones``), else from its coordinates; None when neither tells.

    # Growatt 4.2.4 says only "Time zone, time zone format see time format".
    """
    return resolve_timezone(value, latitude, longitude)


def _int(value: Any, default: int) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --- plants and devices -----------------------------------------------------------------------------------


def plant_details(calls: GrowattCalls, plant_id: str) -> dict | None:
    # A read like any other: the live cloud refuses its repeat within 5 minutes too (FIELD_NOTES).
    answer, _ = calls.read("GET", "plant/details", {"plant_id": plant_id}, targets=(plant_id,))
    if not answer.ok or not isinstance(answer.data, dict):
        return None
    data = answer.data
    zone = timezone_name(data.get("timezone"), data.get("latitude"), data.get("longitude"))
    calls.remember(f"timezone:{plant_id}", zone, TIMEZONE_TTL_S)
    return data


def list_plants(calls: GrowattCalls) -> list[PlantInfo]:
    out = []
    for row in _pages(calls, "GET", "plant/list", {}, "plants"):
        plant_id = str(row.get("plant_id", ""))
        if not plant_id:
            continue
        out.append(_plant_info(plant_id, row, plant_details(calls, plant_id) or {}))
    # The list may be minutes old (the 5-minute repeat rule and the daily budget, FIELD_NOTES 11, 13): plants
    # we created since are added from their details, a request of their own.
    listed = {info.plant_code for info in out}
    for plant_id in calls.recall("created-plants") or []:
        if plant_id not in listed:
            details = plant_details(calls, plant_id)
            if details is not None:
                out.append(_plant_info(plant_id, {}, details))
    return out


def _plant_info(plant_id: str, row: dict, details: dict) -> PlantInfo:
    # Coordinates "" (issue 14) or 0/0 (enrolment-made plants) are "unknown", never Null Island.
    latitude = coordinate(row.get("latitude")) or coordinate(details.get("latitude"))
    longitude = coordinate(row.get("longitude")) or coordinate(details.get("longitude"))
    return PlantInfo(
        plant_code=plant_id,
        name=str(row.get("name") or details.get("name") or ""),
        address=str(details.get("country") or row.get("country") or ""),
        latitude=latitude if longitude is not None else None,
        longitude=longitude if latitude is not None else None,
        timezone=timezone_name(details.get("timezone"), latitude, longitude),
        pv_capacity_kwp=_float(row.get("peak_power") if row else details.get("peak_power")),
    )


def _note_created(calls: GrowattCalls, plant_id: str) -> None:
    """Remember a plant we created, for ``list_plants`` until the vendor's list shows it."""
    with calls._state.lock(calls._key("memo", "created-plants"), ttl_s=10.0, wait_s=10.0):
        ids = [i for i in calls.recall("created-plants") or [] if i != plant_id]
        calls.remember("created-plants", [*ids, plant_id][-1000:], TIMEZONE_TTL_S)


def _device_rows(calls: GrowattCalls, plant_id: str) -> list[dict]:
    rows = _pages(calls, "GET", "device/list", {"plant_id": plant_id}, "devices")
    memo = {
        "inverters": [str(r["device_sn"]) for r in rows if r.get("type") in (1, "1") and r.get("device_sn")],
        "storage": [str(r["device_sn"]) for r in rows if r.get("type") in (2, "2") and r.get("device_sn")],
        "hybrids": [
            [str(r["device_sn"]), family.name]
            for r in rows
            if r.get("device_sn") and (family := fam.family_of_type(r.get("type"))) and family.vpp
        ],
    }
    calls.remember(f"devices:{plant_id}", memo, DEVICES_TTL_S)
    return rows


def list_devices(calls: GrowattCalls, plant_codes: Sequence[str]) -> list[DeviceInfo]:
    out: list[DeviceInfo] = []
    for plant_id in plant_codes:
        for row in _device_rows(calls, plant_id):
            sn = str(row.get("device_sn") or "")
            kind = DEVICE_TYPES.get(_int(row.get("type"), 3), "other")
            rated = None
            family = fam.family_of_type(row.get("type"))
            if kind == "inverter" and sn and family is None:
                info, _ = calls.read(
                    "GET", "device/inverter/inv_data_info", {"device_sn": sn}, targets=(plant_id, sn)
                )
                rated = (
                    _float(info.data.get("nominalPower")) if info.ok and isinstance(info.data, dict) else None
                )
            extra = {k: row.get(k) for k in ("device_id", "datalogger_sn", "manufacturer", "lost", "status")}
            if family is not None and family.vpp and sn:
                # Learned here, once, and stored with the device (Device.extra): a command reads it from
                # PlantTarget.device_families and never asks the cloud first (FIELD_NOTES H1).
                extra.update(_hybrid_extra(calls, plant_id, sn, family, str(row.get("model") or "")))
                rated = extra.get("rated_power_w")
            out.append(
                DeviceInfo(
                    plant_code=plant_id, dn=sn, device_type=kind, sn=sn,  # type: ignore[arg-type]
                    model=str(row.get("model") or ""), rated_power_w=rated, extra=extra,
                )
            )  # fmt: skip
        for row in _pages(calls, "GET", "device/datalogger/list", {"plant_id": plant_id}, "dataloggers"):
            sn = str(row.get("sn") or "")
            extra = {k: row.get(k) for k in ("manufacturer", "type", "last_update_time")}
            out.append(DeviceInfo(plant_code=plant_id, dn=sn, device_type="logger", sn=sn, extra=extra))
    return out


def _hybrid_extra(calls: GrowattCalls, plant_id: str, sn: str, family: fam.Family, model: str) -> dict:
    """The family, the rated power and the battery size of a hybrid, from its device row and one read of its
    latest record (``*_last_data``: bmsGaugeFCC x vbat, ``families.battery_kwh``)."""
    out: dict[str, Any] = {"family": family.name, "type": family.device_type}
    # Growatt's model names carry the rated AC power in W ("MIN 5000TL-XH", "SPH 6000TL BL-UP").
    words = [w for w in model.split() if w[:1].isdigit()]
    digits = int("".join(c for c in words[0] if c.isdigit()) or 0) if words else 0
    if digits >= 500:
        out["rated_power_w"] = float(digits)
    answer, _ = calls.read("POST", family.last_data, {family.sn_param: sn}, targets=(plant_id, sn))
    if answer.ok and isinstance(answer.data, dict):
        kwh = fam.battery_kwh(answer.data)
        if kwh is not None:
            # Vendor-neutral keys fleets reads into the plant's battery size (fleets.discovery).
            out["battery_rated_kwh"] = kwh
            out["battery_usable_kwh"] = kwh
    return out


# --- realtime KPIs ----------------------------------------------------------------------------------------


def realtime_kpis(calls: GrowattCalls, plant_codes: Sequence[str]) -> list[PlantKpi]:
    out = []
    for plant_id in plant_codes:
        devices = calls.recall(f"devices:{plant_id}")
        if devices is None:
            _device_rows(calls, plant_id)
            devices = calls.recall(f"devices:{plant_id}") or {"inverters": [], "storage": []}
        zone_name = calls.recall(f"timezone:{plant_id}")
        if zone_name is None:
            plant_details(calls, plant_id)  # learns the zone
            zone_name = calls.recall(f"timezone:{plant_id}")
        try:
            zone = zones.load(zone_name or "UTC")
        except ValueError:
            zone = zones.load("UTC")
        # When this answer's first read went out: now, or earlier where Growatt's 5-minute rule serves the
        # answer fetched last time (its fetch time bounds when it was asked).
        asked = time.time()
        storage = []
        for sn in devices["storage"]:
            answer, fetched = calls.read(
                "POST", "device/storage/storage_last_data", {"storage_sn": sn}, targets=(plant_id, sn)
            )
            asked = min(asked, fetched)
            if answer.ok and isinstance(answer.data, dict):
                storage.append(answer.data)
        for sn, name in devices.get("hybrids", []):
            family = fam.FAMILIES[name]
            answer, fetched = calls.read(
                "POST", family.last_data, {family.sn_param: sn}, targets=(plant_id, sn)
            )
            asked = min(asked, fetched)
            if answer.ok and isinstance(answer.data, dict):
                storage.append(fam.as_storage_record(family, answer.data))
        inverters = []
        for sn in devices["inverters"]:
            answer, fetched = calls.read(
                "GET", "device/inverter/last_new_data", {"device_sn": sn}, targets=(plant_id, sn)
            )
            asked = min(asked, fetched)
            if answer.ok and isinstance(answer.data, dict):
                inverters.append(answer.data)
        asked_at = datetime.fromtimestamp(asked, UTC)
        out.append(replace(_kpi(plant_id, zone, storage, inverters), asked_at=asked_at))
    return out


def _total(records: list[dict], name: str) -> float:
    return sum(_float(r.get(name)) or 0.0 for r in records)


def _kpi(plant_id: str, zone: ZoneInfo, storage: list[dict], inverters: list[dict]) -> PlantKpi:
    socs = [s for s in (_float(r.get("capacity")) for r in storage) if s is not None]
    charge, discharge = _total(storage, "pCharge"), _total(storage, "pDischarge")
    to_grid, to_user = _total(storage, "pacToGrid"), _total(storage, "pacToUser")
    pac = _total(inverters, "pac")
    fault = any(_float(r.get("status")) in (3, 4) for r in storage) or any(
        _float(r.get("status")) == 3 for r in inverters
    )
    times = [t for t in (parse_local_time(r.get("time"), zone) for r in storage + inverters) if t is not None]
    return PlantKpi(
        plant_code=plant_id,
        soc_pct=round(sum(socs) / len(socs), 2) if socs else None,
        battery_power_w=round(charge - discharge, 1) if storage else None,
        pv_power_w=round(_total(inverters, "ppv"), 1) if inverters else None,
        load_power_w=round(pac + discharge - charge + to_user - to_grid, 1) if storage or inverters else None,
        meter_power_w=round(to_grid - to_user, 1) if storage else None,
        health="fault" if fault else ("ok" if storage or inverters else "no data"),
        measured_at=min(times).astimezone(UTC) if times else None,
    )


# --- enrolment --------------------------------------------------------------------------------------------


def enrol_datalogger(calls: GrowattCalls, item: SnEnrolment) -> EnrolmentResult:
    sn = item.sn.strip()

    def failed(error: str) -> EnrolmentResult:
        return EnrolmentResult(key=item.sn, success=False, error=error)

    if not item.check_code:
        return failed(
            "check_code is required: Growatt validates the datalogger SN with its check code (4.3.10)"
        )
    answer, _ = calls.read(
        "POST", "device/datalogger/validate", {"datalogSn": sn, "valiCode": item.check_code}, targets=(sn,)
    )
    data = answer.data if isinstance(answer.data, dict) else {}
    # 4.3.10: 10003 "Collector serial number is exist"; plant_id and user_id come back "when the collector
    # exists" (read as: with 10003, or with 0 on a cloud that answers that way).
    if answer.error_code == 10003 or (answer.ok and data.get("plant_id")):
        plant_id = str(data.get("plant_id") or "")
        details = plant_details(calls, plant_id) if plant_id else None
        if details is not None:  # one of this account's plants: re-enrolling is harmless
            return EnrolmentResult(
                key=item.sn, success=True, plant_code=plant_id, plant_name=details.get("name")
            )
        return failed(f"10003 {answer.error_msg}: the datalogger belongs to a plant of another account")
    if not answer.ok:
        return failed(f"{answer.error_code} {answer.error_msg} (device/datalogger/validate)")
    user_id = _user_id(calls)
    if user_id is None:
        return failed(
            "cannot tell the end user (c_user_id) to add the datalogger for: set the account username"
        )
    plant = _plant_for(calls, item, sn, user_id)
    if isinstance(plant, str):
        return failed(plant)
    plant_id, plant_name = plant
    body = {"plant_id": plant_id, "sn": sn, "c_user_id": user_id}
    added = calls.call("POST", "device/datalogger/add", body, targets=(plant_id, sn))
    if added.ok or (added.error_code == 10003 and added.attempts > 1):  # our own lost first attempt
        calls.remember(f"devices:{plant_id}", None, 1.0)  # forget the plant's device list
        return EnrolmentResult(key=item.sn, success=True, plant_code=plant_id, plant_name=plant_name)
    return failed(f"{added.error_code} {added.error_msg} (device/datalogger/add)")


def _user_id(calls: GrowattCalls) -> str | None:
    username = calls.account.username.strip()
    if username.isdigit():
        return username
    remembered = calls.recall("c_user_id")
    if remembered:
        return str(remembered)
    rows: list[dict] = []
    if username:
        answer = calls.call("POST", "plant/user_plant_list", {"user_name": username, "perpage": PAGE})
        rows, _ = _rows(answer.data, "plants") if answer.ok else ([], 0)
    if not rows:
        answer, _ = calls.read("GET", "plant/list", {"page": "1", "perpage": PAGE})
        rows, _ = _rows(answer.data, "plants") if answer.ok else ([], 0)
    user_id = next((str(r["user_id"]) for r in rows if r.get("user_id") not in (None, "")), None)
    if user_id:
        calls.remember("c_user_id", user_id, TIMEZONE_TTL_S)
    return user_id


def _find_plant(calls: GrowattCalls, name: str, *, search: bool = False) -> tuple[str, str] | None:
    """A plant of the account by id or exact name. Plant lists cost one of about ten calls a day
    (FIELD_NOTES "plant list budget"), so names come from the plants we created ourselves, then from the
    account's whole list (cached by ``read``: one list serves a day of enrolments); ``search`` asks the
    cloud by name (after plant/add said the name exists)."""
    if name.isdigit():
        details = plant_details(calls, name)
        if details is not None:
            return name, str(details.get("name") or "")
    made = calls.recall(f"plant-named:{name}")
    if made:
        return str(made), name
    if search:
        params = {"search_type": "name", "search_keyword": name, "page": "1", "perpage": PAGE}
        answer, _ = calls.read("GET", "plant/list", params)
        rows, _ = _rows(answer.data, "plants") if answer.ok else ([], 0)
    else:
        rows = _pages(calls, "GET", "plant/list", {}, "plants")
    exact = [r for r in rows if str(r.get("name")) == name]
    return (str(exact[0]["plant_id"]), name) if exact else None


def _plant_for(calls: GrowattCalls, item: SnEnrolment, sn: str, user_id: str) -> tuple[str, str] | str:
    """The plant to add the datalogger to, found or created; or an error text."""
    name = (item.plant_name or "").strip() or f"Growatt {sn}"
    found = _find_plant(calls, name)
    if found is not None:
        return found
    body = {"c_user_id": user_id, "name": name, "peak_power": "0"}
    if item.timezone:
        body["timezone_id"] = item.timezone
    created = calls.call("POST", "plant/add", body, targets=(sn,))
    if created.ok and isinstance(created.data, dict) and created.data.get("plant_id") is not None:
        plant_id = str(created.data["plant_id"])
        calls.remember(f"plant-named:{name}", plant_id, TIMEZONE_TTL_S)  # our list may be a day old
        _note_created(calls, plant_id)
        plant_details(calls, plant_id)  # learn its timezone
        return plant_id, name
    if created.error_code == 10006:  # 4.2.8: the name exists (our own retried plant/add)
        found = _find_plant(calls, name, search=True)
        if found is not None:
            return found
    return f"{created.error_code} {created.error_msg} (plant/add)"
