"""Reading NBI V7 answers into our types: refusals per target, the three status encodings, devices, KPIs.

Vendor encodings normalised here (DESIGN "Task states"):
- chargeAndDischargeStatus (9.3.5): status 0 complete, 1 in progress, 2 timeout or failure;
- DRM and default-setting status (9.6.1.4, 9.6.1.7): "0" executing, "1" successful, "2" failed;
- DoD / devOnOff per device (9.3.6, 9.3.7) and EMS per SmartLogger (9.3.8): answered at once, final.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from dateutil import parser as dateparser

from vendors.base import (
    DeviceInfo,
    EnrolmentResult,
    Outcome,
    PlantKpi,
    SentTask,
    TargetResult,
    TaskState,
    TaskStatus,
)
from vendors.errors import VendorAnswerInvalid, VendorRejected

OK = 0
TASK_TIMEOUT_S = 24 * 3600  # 9.3.5: a task not completed within 24 hours times out

# Refusals that concern every target alike: the command's values are wrong, or the vendor says it failed
# for all of them (20049 delivery failed, 20051 / 20052 every device failed, 20053 no plant of the request
# has an operable battery, 20613 the default task failed for all plants).
EVERY_TARGET_CODES = frozenset(
    {20019, 20039, 20040, 20041, 20042, 20043, 20047, 20117, 20611, 20612, 20049, 20051, 20052, 20053, 20613}
)
# Refusals about one target (a plant or device) that the answer does not name reliably: attributable only
# when the request had a single target.
TARGET_CODES = frozenset({20006, 20007, 20008, 20013, 20045, 20046, 20116, 20609, 20610, 20614, 20615})

# 9.2.2 / 10 Device Type List, plus the V6 ids the document mentions (39 residential battery, 41 C&I ESS,
# 38 residential inverter, 1 string inverter, 2 SmartLogger, 62 dongle, 17 / 47 meters).
BATTERY_TYPES = frozenset({20815, 20835, 39, 41})
INVERTER_TYPES = frozenset({20822, 20827, 1, 38})
LOGGER_TYPES = frozenset({20821, 20819, 20833, 2, 62})
METER_TYPES = frozenset({20816, 20830, 17, 47})

# 9.3.2 healthState in the one plant-health vocabulary of every vendor (vendors.base.PLANT_HEALTH). The
# table says 0 healthy; the live cloud reports a healthy plant as 3, like the V6 real_health_state
# (1 disconnected, 2 faulty, 3 healthy): FIELD_NOTES H5.
HEALTH = {0: "ok", 1: "offline", 2: "fault", 3: "ok"}

MESSAGES = {  # 11 Error Code List wording, for refusals that come without a message
    20007: "The system does not have the desired power plant resources.",
    20013: "The device type is incorrect. The interface does not support operations on some devices.",
    20045: "Unauthorized PV plants exist in the input parameters.",
    20046: "Unauthorized devices exist in the input parameters.",
    20049: "Failed to deliver the charging and discharging task.",
    20050: "The charging and discharging task query parameter does not exist.",
    20051: "Failed to set the battery DOD.",
    20052: "Failed to start or shut down the inverter.",
    20053: "There is no operable battery.",
    20400: "The username or password of the third-party system is incorrect, or the user is locked.",
    20609: "The plant networking is abnormal.",
    20610: "The plant does not support default configuration.",
    20611: "The values of input parameters exceed the valid range.",
    20612: "The value of an input parameter is empty.",
    20613: "The default setting task fails to be sent for all plants.",
    20614: "The network communication is abnormal.",
    20615: "The same task is being executed in the current plant.",
    20617: "The query result of the default plant setting task is empty.",
    20620: "The task ID does not exist.",
}


def message_of(code: int | str | None) -> str:
    return MESSAGES.get(as_int(code) or 0, "")


def data_rows(reply, endpoint: str) -> list[dict[str, Any]]:
    """`data` as the list of rows the interface promises. null is no rows (the field answers success with
    "data": null, FIELD_NOTES H10); anything else that is not a list is an answer we cannot read."""
    data = reply.data
    if data is None:
        return []
    if not isinstance(data, list):
        raise VendorAnswerInvalid(
            f"{endpoint}: data is {type(data).__name__}, not a list: {reply.text[:300]}"
        )
    return [row for row in data if isinstance(row, dict)]


def data_map(reply, endpoint: str) -> dict[str, Any]:
    """`data` as the object the interface promises (null: an empty one)."""
    data = reply.data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise VendorAnswerInvalid(
            f"{endpoint}: data is {type(data).__name__}, not an object: {reply.text[:300]}"
        )
    return data


def require_ok(reply) -> None:
    """A read whose whole request was refused: `VendorRejected` with the vendor's code and message."""
    if reply.fail_code != OK:
        code = reply.fail_code if reply.fail_code is not None else "?"
        raise VendorRejected(code, reply.message or message_of(reply.fail_code))


def refused(reply, targets: Sequence[str]) -> tuple[TargetResult, ...]:
    """A whole command refused with a failCode: per target where the answer allows it, else raise.

    Value errors and "failed for all" concern every target alike. A target error (unauthorised plant,
    wrong device type, ...) is attributable only when the request had a single target; with several,
    `VendorRejected` lets the caller split the batch (the message may name the culprit).
    """
    code = reply.fail_code
    message = reply.message or message_of(code)
    if code in EVERY_TARGET_CODES or (code in TARGET_CODES and len(targets) == 1):
        return tuple(
            TargetResult(t, Outcome.REJECTED, vendor_code=str(code), message=message) for t in targets
        )
    raise VendorRejected(code if code is not None else "?", message)


def rows_by_plant(data: Any) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in data or []:
        if isinstance(row, dict) and row.get("plantCode") is not None:
            rows.setdefault(str(row["plantCode"]), []).append(row)
    return rows


def charge_status(task: SentTask, rows: list[dict[str, Any]], *, speed: float) -> TaskStatus:
    """9.3.5 rows of one plant (several ESSs: one row each) -> its TaskStatus."""
    plant_code = task.target.plant_code
    if not rows:
        state = TaskState.TIMED_OUT if older_than_timeout(task, speed) else TaskState.IN_PROGRESS
        return TaskStatus(plant_code, state, task.remote_id, message="not yet in the vendor's answer")
    statuses = [as_int(r.get("status")) for r in rows]
    message = "; ".join(dict.fromkeys(str(r["message"]) for r in rows if r.get("message")))
    if 1 in statuses or any(s not in (0, 1, 2) for s in statuses):
        state = TaskState.IN_PROGRESS
    elif 2 in statuses:
        state = failed_or_timed_out(task, message, speed)
    else:
        # Status 0 also covers a task ended early because the plant's task changed (a newer command):
        # "processed as an exception (status is 0)", with the message saying so. It is over, not failed.
        state = TaskState.COMPLETED
    starts = [parse_time(r.get("execStartTime") or r.get("startTime")) for r in rows]
    ends = [parse_time(r.get("execEndTime") or r.get("endTime")) for r in rows]
    return TaskStatus(
        plant_code=plant_code,
        state=state,
        remote_id=as_str(rows[0].get("remoteID") or rows[0].get("remoteId")) or task.remote_id,
        charged_kwh=total(r.get("chargedCapacity") for r in rows),
        discharged_kwh=total(r.get("dischargedCapacity") for r in rows),
        exec_start=min((s for s in starts if s), default=None),
        exec_end=max((e for e in ends if e), default=None) if state != TaskState.IN_PROGRESS else None,
        vendor_code="2" if 2 in statuses else None,
        message=message,
    )


def failed_or_timed_out(task: SentTask, message: str, speed: float) -> TaskState:
    """9.3.5 status 2 means "timeout or failure". Timed out when the vendor's message says so, or when the
    task has run for 24 hours of vendor time (real time since sending x the clock speed); a status 2 any
    sooner is a failure."""
    text = message.lower()
    if "timed out" in text or "timeout" in text or "time out" in text:
        return TaskState.TIMED_OUT
    return TaskState.TIMED_OUT if older_than_timeout(task, speed) else TaskState.FAILED


def older_than_timeout(task: SentTask, speed: float) -> bool:
    sent_at = task.sent_at if task.sent_at.tzinfo else task.sent_at.replace(tzinfo=UTC)
    return (datetime.now(UTC) - sent_at).total_seconds() * speed >= TASK_TIMEOUT_S


def string_status(value: Any) -> TaskState:
    """9.6.1.4 / 9.6.1.7 String status: "0" executing, "1" successful, "2" failed."""
    return {"1": TaskState.COMPLETED, "2": TaskState.FAILED}.get(str(value), TaskState.IN_PROGRESS)


def drm_status(task: SentTask, devices: list[Any]) -> TaskStatus:
    """9.6.1.7 per-device statuses of one plant's DRM task -> one state: executing while any device is,
    failed if any failed, else completed."""
    devices = [d for d in devices if isinstance(d, dict)]
    states = [string_status(d.get("status")) for d in devices]
    if not states or TaskState.IN_PROGRESS in states:
        state = TaskState.IN_PROGRESS
    elif TaskState.FAILED in states:
        state = TaskState.FAILED
    else:
        state = TaskState.COMPLETED
    received = [parse_time(d.get("receivedTime")) for d in devices]
    applied = [parse_time(d.get("appliedTime")) for d in devices]
    failed = [str(d.get("dn")) for d, s in zip(devices, states, strict=True) if s == TaskState.FAILED]
    return TaskStatus(
        task.target.plant_code,
        state,
        task.remote_id,
        exec_start=min((t for t in received if t), default=None),
        exec_end=max((t for t in applied if t), default=None) if state == TaskState.COMPLETED else None,
        vendor_code="status=2" if failed else None,
        message=f"failed on {', '.join(failed)}" if failed else "",
    )


def default_status(task: SentTask, row: dict[str, Any] | None) -> TaskStatus:
    """9.6.1.4 row of one plant -> its TaskStatus (no row yet: still executing)."""
    if row is None:
        return TaskStatus(
            task.target.plant_code, TaskState.IN_PROGRESS, task.remote_id, message="not yet reported"
        )
    state = string_status(row.get("status"))
    return TaskStatus(
        task.target.plant_code,
        state,
        task.remote_id,
        exec_start=parse_time(row.get("receivedTime")),
        exec_end=parse_time(row.get("appliedTime")),
        vendor_code=f"status={row.get('status')}" if state == TaskState.FAILED else None,
    )


def failed_status(task: SentTask, code: int, message: str) -> TaskStatus:
    return TaskStatus(
        task.target.plant_code,
        TaskState.FAILED,
        task.remote_id,
        vendor_code=str(code),
        message=message or message_of(code),
    )


def enrolment_result(key: str, row: dict[str, Any] | None) -> EnrolmentResult:
    """9.6.1.1 / 9.6.1.2 row for one SN or authorisation code."""
    if row is None:
        return EnrolmentResult(key, False, error="not in the vendor's answer")
    success = row.get("success") in (True, "true")
    return EnrolmentResult(
        key=key,
        success=success,
        plant_code=as_str(row.get("plantCode")) or None,
        plant_name=as_str(row.get("plantName")) or None,
        error="" if success else as_str(row.get("errorMsg")) or "enrolment failed",
    )


def device_info(row: dict[str, Any]) -> DeviceInfo:
    """9.2.2 row -> DeviceInfo, the type mapped to inverter / battery / logger / meter / other."""
    type_id = as_int(row.get("deviceTypeId"))
    items = row.get("dataItemMap") or row.get("dataltemMap") or {}
    items = items if isinstance(items, dict) else {}
    if type_id in BATTERY_TYPES:
        kind = "battery"
    elif type_id in INVERTER_TYPES:
        kind = "inverter"
    elif type_id in LOGGER_TYPES:
        kind = "logger"
    elif type_id in METER_TYPES:
        kind = "meter"
    else:
        kind = "other"
    return DeviceInfo(  # FIELD_NOTES H20: V6 type ids and null SNs occur
        plant_code=as_str(row.get("plantCode")),
        dn=as_str(row.get("dn")),
        device_type=kind,
        sn=as_str(row.get("sn")),
        model=as_str(items.get("model")),
        rated_power_w=kilo(items.get("ratedPower")),  # 9.2.2 inverter ratedPower: kW
        extra={"deviceTypeId": type_id, "deviceName": as_str(row.get("deviceName")), **items},
    )


def kpi(row: dict[str, Any], measured_at: datetime) -> PlantKpi:
    """9.3.2 in our conventions (vendors.base.PlantKpi): W, battery > 0 charging, meter > 0 exporting.
    The vendor: kW, batteryPower > 0 DISCHARGING, meterPower > 0 fed to the grid."""
    items = row.get("dataItemMap") or row.get("dataltemMap") or {}
    items = items if isinstance(items, dict) else {}
    battery_w = kilo(items.get("batteryPower"))
    meter = items.get("meterPower", items.get("pmeterPower"))  # the 9.3.2 example spells it pmeterPower
    health = as_int(items.get("healthState"))
    return PlantKpi(
        plant_code=as_str(row.get("plantCode")),
        soc_pct=as_float(items.get("batterySOC")),
        battery_power_w=-battery_w if battery_w else battery_w,  # also keeps 0.0 rather than -0.0
        pv_power_w=kilo(items.get("pvPower")),
        load_power_w=kilo(items.get("loadPower")),
        meter_power_w=kilo(meter),
        health="" if health is None else HEALTH.get(health, str(health)),
        measured_at=measured_at,
    )


# --- scalars ---------------------------------------------------------------------------------------------


def as_str(value: Any) -> str:
    return "" if value is None else str(value)


def as_int(value: Any) -> int | None:
    """Integers in every field form: 3, "3", 512.0, "512.0" (FIELD_NOTES H6, H7); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    number = as_float(value)
    return int(number) if number is not None and number.is_integer() else None


def as_float(value: Any) -> float | None:
    """Numbers in every field form: 1.5, "1.5"; "N/A", "", "-", {} and other non-numbers are None
    (FIELD_NOTES H6)."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def kilo(value: Any) -> float | None:
    """kW -> W (kVA -> VA, kvar -> var)."""
    number = as_float(value)
    return None if number is None else round(number * 1000.0, 3)


def total(values: Iterable[Any]) -> float | None:
    numbers = [n for n in (as_float(v) for v in values) if n is not None]
    return round(sum(numbers), 3) if numbers else None


def parse_time(value: Any) -> datetime | None:
    """Times with zone offsets ("2020-02-06T00:00:00+08:00", "2017-08-05T00:00:00.000+0800")."""
    if not value or not isinstance(value, str):
        return None
    try:
        return dateparser.isoparse(value)
    except (ValueError, OverflowError):
        return None
