"""Huawei enrolment and discovery on an account's call path (``calls.AccountCalls``): plants, their
details and rated data, devices and realtime KPIs, batched to the NBI's maxima and read into our types
(``answers``). ``HuaweiAdapter`` offers them through the ``VendorAdapter`` protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from vendors.base import DeviceInfo, EnrolmentResult, PlantInfo, PlantKpi, SnEnrolment
from vendors.batching import batches
from vendors.errors import VendorAnswerInvalid
from vendors.huawei import answers
from vendors.huawei.answers import as_float, as_int, as_str, kilo, require_ok
from vendors.huawei.calls import AccountCalls

MAX_PLANTS = 100  # 9.2.2, 9.3.1-9.3.4, 9.6.1.3, 9.6.1.5, 9.6.1.6: 100 plants a request
MAX_ENROLMENT = 1000  # 9.6.1.1, 9.6.1.2: 1000 SNs / authorisation codes a request
PAGE_SIZE = 100  # 9.2.1, 9.2.2: pageSize 50 or 100


@dataclass(frozen=True)
class PlantRatedData:
    """9.6.1.5 rated data of a plant, in W / VA / var (the vendor answers kW / kVA / kvar)."""

    plant_code: str
    rated_active_power_w: float | None
    rated_apparent_power_va: float | None
    rated_reactive_power_positive_var: float | None
    rated_reactive_power_negative_var: float | None


# --- enrolment -----------------------------------------------------------------------------------


def enrol_by_sn(calls: AccountCalls, items: Sequence[SnEnrolment]) -> list[EnrolmentResult]:
    """9.6.1.1, up to 1000 SNs a request. An item without a username, email or phone fails here: the
    vendor requires one, and it must not cost the other items their request."""
    results: dict[int, EnrolmentResult] = {}
    sendable = []
    for index, item in enumerate(items):
        if item.username or item.email or item.phone:
            sendable.append((index, item))
        else:
            error = "NBI V7 9.6.1.1: one of username, email or phone is required"
            results[index] = EnrolmentResult(item.sn, False, error=error)
    for number, chunk in enumerate(batches(sendable, MAX_ENROLMENT)):
        devices = [{"sn": i.sn, "username": i.username, "email": i.email, "phone": i.phone} for _, i in chunk]
        reply = calls.call(
            "snEnrolment",
            {"devices": devices},
            targets=[item.sn for _, item in chunk],
            max_wait_s=calls.follow_up_wait("snEnrolment", number),
        )
        require_ok(reply)
        rows = {as_str(r.get("sn")): r for r in answers.data_rows(reply, "snEnrolment")}
        for index, item in chunk:
            results[index] = answers.enrolment_result(item.sn, rows.get(item.sn))
    return [results[i] for i in range(len(items))]


def enrol_by_ac(calls: AccountCalls, codes: Sequence[str]) -> list[EnrolmentResult]:
    """9.6.1.2, up to 1000 authorisation codes a request."""
    results: list[EnrolmentResult] = []
    for number, chunk in enumerate(batches(list(codes), MAX_ENROLMENT)):
        reply = calls.call(
            "acEnrolment",
            {"authorizationCodes": ",".join(chunk)},
            targets=chunk,
            max_wait_s=calls.follow_up_wait("acEnrolment", number),
        )
        require_ok(reply)
        rows = {as_str(r.get("authorizationCode")): r for r in answers.data_rows(reply, "acEnrolment")}
        results.extend(answers.enrolment_result(code, rows.get(code)) for code in chunk)
    return results


# --- discovery -----------------------------------------------------------------------------------


def list_plants(calls: AccountCalls) -> list[PlantInfo]:
    """Every plant of the account: 9.2.1 pages, completed by `plant_details` (9.3.1, 9.6.1.5). Pages and
    9.3.1 are once a minute each: a big account takes a minute per 100 plants (sync daily, 9.2.1 NOTE)."""
    listed: list[dict[str, Any]] = []
    page = 1
    while True:
        wait = calls.follow_up_wait("plants", page - 1)
        reply = calls.call("plants", {"pageNo": page, "pageSize": PAGE_SIZE}, max_wait_s=wait)
        require_ok(reply)
        data = answers.data_map(reply, "plants")
        if page == 1:
            calls.learn_plant_count(as_int(data.get("total")))
        rows = [r for r in data.get("list") or [] if isinstance(r, dict)]
        listed.extend(rows)
        if not rows or page >= (as_int(data.get("pageCount")) or 0):
            break
        page += 1
    details = {
        info.plant_code: info for info in plant_details(calls, [as_str(r.get("plantCode")) for r in listed])
    }
    plants = []
    for row in listed:
        code = as_str(row.get("plantCode"))
        detail = details.get(code) or PlantInfo(plant_code=code)
        # FIELD_NOTES H13: rows may list latitude / longitude "": then 9.3.1's, else unknown.
        latitude, longitude = as_float(row.get("latitude")), as_float(row.get("longitude"))
        plants.append(
            PlantInfo(
                plant_code=code,
                name=as_str(row.get("plantName")),
                address=as_str(row.get("plantAddress")) or detail.address,
                latitude=detail.latitude if latitude is None else latitude,
                longitude=detail.longitude if longitude is None else longitude,
                # The NBI gives times with UTC offsets ("+08:00"), never a zone name: left unknown.
                timezone=None,
                pv_capacity_kwp=as_float(row.get("capacity")),
                battery_rated_kwh=detail.battery_rated_kwh,
                battery_usable_kwh=detail.battery_usable_kwh,
                inverter_rated_power_w=detail.inverter_rated_power_w,
            )
        )
    return plants


def plant_details(calls: AccountCalls, plant_codes: Sequence[str]) -> list[PlantInfo]:
    """9.3.1 basic data (inverter power, batteries) of known plants, 100 a request, with
    9.6.1.5 rated active power where 9.3.1 gives no inverter power. Cheaper than `list_plants` after an
    enrolment, which names its plants."""
    codes = list(dict.fromkeys(plant_codes))
    rated = {r.plant_code: r for r in rated_data(calls, codes)}
    infos = []
    for number, chunk in enumerate(batches(codes, MAX_PLANTS)):
        wait = calls.follow_up_wait("vppPlants", number)
        reply = calls.call("vppPlants", {"plantCodes": ",".join(chunk)}, targets=chunk, max_wait_s=wait)
        require_ok(reply)
        for row in answers.data_rows(reply, "vppPlants"):
            if not isinstance(row, dict):
                continue
            code = as_str(row.get("plantCode"))
            inverter_w = as_float(row.get("inverterPower"))  # 9.3.1: W
            if inverter_w is None and code in rated:
                inverter_w = rated[code].rated_active_power_w
            infos.append(
                PlantInfo(
                    plant_code=code,
                    address=as_str(row.get("address")),
                    latitude=as_float(row.get("latitude")),
                    longitude=as_float(row.get("longitude")),
                    pv_capacity_kwp=as_float(row.get("capacity")),
                    battery_rated_kwh=as_float(row.get("batteryInstallCapacity")),
                    battery_usable_kwh=as_float(row.get("batteryUsableCapacity")),
                    inverter_rated_power_w=inverter_w,
                )
            )
    return infos


def rated_data(calls: AccountCalls, plant_codes: Sequence[str]) -> list[PlantRatedData]:
    """9.6.1.5 rated power of plants (10 a minute, 500 a day), 100 plants a request."""
    rated = []
    for number, chunk in enumerate(batches(list(dict.fromkeys(plant_codes)), MAX_PLANTS)):
        wait = calls.follow_up_wait("plantRatedData", number)
        reply = calls.call("plantRatedData", {"plantCodes": ",".join(chunk)}, targets=chunk, max_wait_s=wait)
        require_ok(reply)
        data = answers.data_map(reply, "plantRatedData")
        rated.extend(
            PlantRatedData(
                plant_code=as_str(row.get("plantCode")),
                rated_active_power_w=kilo(row.get("ratedActivePower")),
                rated_apparent_power_va=kilo(row.get("ratedApparentPower")),
                rated_reactive_power_positive_var=kilo(row.get("ratedReactivePowerP")),
                rated_reactive_power_negative_var=kilo(row.get("ratedReactivePowerN")),
            )
            for row in data.get("plantRatedData") or []
            if isinstance(row, dict)
        )
    return rated


def list_devices(calls: AccountCalls, plant_codes: Sequence[str]) -> list[DeviceInfo]:
    """9.2.2, 100 plants a request, pages of 100 devices."""
    devices = []
    sent = 0
    for chunk in batches(list(dict.fromkeys(plant_codes)), MAX_PLANTS):
        page = 1
        while True:
            body = {"plantCodes": ",".join(chunk), "pageNo": page, "pageSize": PAGE_SIZE}
            wait = calls.follow_up_wait("devices", sent)
            reply = calls.call("devices", body, targets=chunk, max_wait_s=wait)
            sent += 1
            require_ok(reply)
            data = reply.data if isinstance(reply.data, list) else answers.data_map(reply, "devices")
            # The 9.2.2 table says a paged map; its example shows a bare list. Take either.
            rows = data if isinstance(data, list) else data.get("list") or []
            if not isinstance(rows, list):
                raise VendorAnswerInvalid(f"devices: data.list is not a list: {reply.text[:300]}")
            devices.extend(answers.device_info(row) for row in rows if isinstance(row, dict))
            page_count = as_int(data.get("pageCount")) if isinstance(data, dict) else 1
            if not rows or page >= (page_count or 1):
                break
            page += 1
    return devices


def realtime_kpis(calls: AccountCalls, plant_codes: Sequence[str]) -> list[PlantKpi]:
    """9.3.2, 100 plants a request; an account may call it Roundup(plants / 100) times per 5 minutes,
    so the plant count is learned first (once, shared) if no process has yet."""
    calls.plant_count()
    kpis = []
    for number, chunk in enumerate(batches(list(dict.fromkeys(plant_codes)), MAX_PLANTS)):
        wait = calls.follow_up_wait("plantRealtimeKpi", number)
        measured_at = datetime.now(UTC)  # also when the chunk was asked: its plants' next read is due from it
        reply = calls.call(
            "plantRealtimeKpi", {"plantCodes": ",".join(chunk)}, targets=chunk, max_wait_s=wait
        )
        require_ok(reply)
        kpis.extend(
            replace(answers.kpi(row, measured_at), asked_at=measured_at)
            for row in answers.data_rows(reply, "plantRealtimeKpi")
        )
    return kpis
