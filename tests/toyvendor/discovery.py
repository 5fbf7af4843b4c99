"""Enrolment, plants, devices and realtime readings of one toy account: functions that take its calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tests.toyvendor.calls import ToyCalls
from tests.toyvendor.spec import MAX_PLANTS
from vendors.base import DeviceInfo, EnrolmentResult, PlantInfo, PlantKpi
from vendors.batching import batches


def enrol_by_ac(calls: ToyCalls, codes: Sequence[str]) -> list[EnrolmentResult]:
    out = []
    for chunk in batches(list(codes), MAX_PLANTS):
        for item in calls.call("plants/claim", {"codes": chunk}, targets=chunk):
            out.append(
                EnrolmentResult(
                    key=item["code"],
                    success=bool(item.get("ok")),
                    plant_code=item.get("plant_id"),
                    plant_name=item.get("name"),
                    error=item.get("error") or "",
                )
            )
    return out


def list_plants(calls: ToyCalls) -> list[PlantInfo]:
    return [
        PlantInfo(
            plant_code=p["plant_id"],
            name=p["name"],
            timezone=p.get("timezone"),
            battery_rated_kwh=p["capacity_kwh"],
            battery_usable_kwh=p["capacity_kwh"],
            battery_max_charge_w=p["max_power_w"],
            battery_max_discharge_w=p["max_power_w"],
            inverter_rated_power_w=p["max_power_w"],
        )
        for p in calls.call("plants/list", {})
    ]


def list_devices(calls: ToyCalls, plant_codes: Sequence[str]) -> list[DeviceInfo]:
    out = []
    for chunk in batches(list(plant_codes), MAX_PLANTS):
        for d in calls.call("devices", {"plant_ids": chunk}, targets=chunk):
            out.append(
                DeviceInfo(plant_code=d["plant_id"], dn=d["sn"], sn=d["sn"], device_type=d["type"],
                           rated_power_w=d.get("rated_w"))
            )  # fmt: skip
    return out


def realtime_kpis(calls: ToyCalls, plant_codes: Sequence[str]) -> list[PlantKpi]:
    out = []
    for chunk in batches(list(plant_codes), MAX_PLANTS):
        asked_at = datetime.now(UTC)  # the cloud sampled no earlier (vendors.base.PlantKpi.asked_at)
        for r in calls.call("realtime", {"plant_ids": chunk}, targets=chunk):
            out.append(
                PlantKpi(
                    plant_code=r["plant_id"],
                    soc_pct=r["soc"],
                    battery_power_w=r["battery_w"],
                    health="ok",
                    measured_at=datetime.fromtimestamp(r["time"], UTC),
                    asked_at=asked_at,
                )
            )
    return out
