"""How far a Growatt charge or discharge has come, judged from ``storage_last_data`` (# Growatt 4.3.13).

storageSet answers at once and there is no task to query: the adapter reads the storage machines back
(``status`` 0 operating / idle, 1 charging, 2 discharging, 3 fault, 4 flash; ``capacity`` = SOC) and decides:

- a fault (status 3 or 4, or a non-zero ``faultCode``/``errorCode``) -> FAILED;
- SOC control: COMPLETED once ``capacity`` reaches the target (within ``SOC_TOLERANCE_PCT``); TIMED_OUT if
  the window ends first;
- duration control: COMPLETED once the window has passed;
- FAILED when the machines stay idle ``IDLE_GRACE`` into the window with the SOC not moving (a device
  that accepted the setting and did nothing), unless the SOC already sits at the limit;
- TIMED_OUT when no fresh reading arrives until ``TIMEOUT_GRACE`` after the window's end (an offline
  datalogger keeps reporting what it last sent).

Energy: the deltas of ``eChargeTotal`` / ``eDischargeTotal`` since the command (cumulative, so a window
over local midnight needs no care, unlike the ...Today fields); where a machine does not report them, the
SOC delta times the plant's rated battery kWh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from vendors.base import TaskState

from .commands import Window

SOC_TOLERANCE_PCT = 0.5
IDLE_GRACE = timedelta(minutes=15)
TIMEOUT_GRACE = timedelta(minutes=60)
STALE_AFTER = timedelta(minutes=20)
FAULT_STATUSES = (3, 4)  # 4.3.13: 3 fault, 4 flash (firmware update)
ACTIVE_STATUS = {"charge": 1, "discharge": 2}


@dataclass(frozen=True)
class Reading:
    """One machine's latest record, parsed."""

    sn: str
    status: int | None
    soc: float | None
    charged_total_kwh: float | None
    discharged_total_kwh: float | None
    fault_code: int
    time: datetime | None  # the record's local time, in the plant's zone

    @classmethod
    def parse(cls, sn: str, data: object, zone: ZoneInfo) -> Reading:
        record = data if isinstance(data, dict) else {}
        return cls(
            sn=sn,
            status=_int(record.get("status")),
            soc=_float(record.get("capacity")),
            charged_total_kwh=_lifetime(record.get("eChargeTotal")),
            discharged_total_kwh=_lifetime(record.get("eDischargeTotal")),
            fault_code=(_int(record.get("faultCode")) or 0) or (_int(record.get("errorCode")) or 0),
            time=parse_local_time(record.get("time"), zone),
        )


@dataclass(frozen=True)
class Baseline:
    """What the machines showed when the command was sent, carried in the task's remote_id."""

    soc: float | None
    charged_total_kwh: float | None
    discharged_total_kwh: float | None

    @classmethod
    def of(cls, readings: list[Reading]) -> Baseline:
        return cls(
            soc=_mean([r.soc for r in readings]),
            charged_total_kwh=_sum([r.charged_total_kwh for r in readings]),
            discharged_total_kwh=_sum([r.discharged_total_kwh for r in readings]),
        )


@dataclass(frozen=True)
class Verdict:
    state: TaskState
    message: str
    charged_kwh: float | None
    discharged_kwh: float | None
    soc: float | None


def judge(
    *,
    action: str,
    target_soc: int | None,
    window: Window,
    baseline: Baseline,
    readings: list[Reading],
    vendor_now: datetime,
    estimated_now: datetime,
    rated_kwh: float | None,
    just_extended: bool = False,
) -> Verdict:
    """The task's state now. ``vendor_now`` is the device clock (what windows run on); ``estimated_now`` is
    what that clock should read by the caller's own elapsed time, to time out a silent device."""
    soc = _mean([r.soc for r in readings])
    charged, discharged = _energy(baseline, readings, soc, rated_kwh)

    def verdict(state: TaskState, message: str) -> Verdict:
        return Verdict(state, message, charged, discharged, soc)

    faulty = [r for r in readings if r.status in FAULT_STATUSES or r.fault_code]
    if faulty:
        shown = ", ".join(f"{r.sn} status {r.status} fault code {r.fault_code}" for r in faulty)
        return verdict(TaskState.FAILED, f"storage machine reports a fault: {shown}")
    oldest = min((r.time for r in readings if r.time is not None), default=None)
    fresh = oldest is not None and vendor_now - oldest <= STALE_AFTER
    shown_soc = "unknown" if soc is None else f"{soc:g} %"
    if fresh:
        if target_soc is not None and soc is not None and _reached(action, soc, target_soc):
            return verdict(TaskState.COMPLETED, f"SOC {shown_soc} reached the target {target_soc} %")
        if vendor_now >= window.end:
            if target_soc is None:
                return verdict(TaskState.COMPLETED, f"window {_shown(window)} has passed; SOC {shown_soc}")
            return verdict(
                TaskState.TIMED_OUT,
                f"window {_shown(window)} ended at SOC {shown_soc} before the target {target_soc} %",
            )
        if (
            not just_extended
            and vendor_now >= window.start + IDLE_GRACE
            and _idle(action, readings, baseline)
        ):
            return verdict(
                TaskState.FAILED,
                f"storage machine did not {action} {int(IDLE_GRACE.total_seconds() // 60)} minutes into the "
                f"window {_shown(window)}: status {[r.status for r in readings]}, SOC {shown_soc} "
                f"(was {baseline.soc if baseline.soc is not None else 'unknown'} %)",
            )
    if estimated_now >= window.end + TIMEOUT_GRACE:
        seen = "never" if oldest is None else oldest.strftime("%Y-%m-%d %H:%M")
        return verdict(TaskState.TIMED_OUT, f"no fresh data from the storage machine (last {seen} local)")
    return verdict(TaskState.IN_PROGRESS, f"window {_shown(window)}; SOC {shown_soc}")


def _reached(action: str, soc: float, target: int) -> bool:
    if action == "charge":
        return soc >= target - SOC_TOLERANCE_PCT
    return soc <= target + SOC_TOLERANCE_PCT


def _idle(action: str, readings: list[Reading], baseline: Baseline) -> bool:
    if any(r.status == ACTIVE_STATUS[action] for r in readings):
        return False
    soc = _mean([r.soc for r in readings])
    if soc is None or baseline.soc is None:
        return False
    moved = soc - baseline.soc if action == "charge" else baseline.soc - soc
    if moved >= 1.0:
        return False
    # At the limit the machine rests by design: 80 % is the highest AC-charge limit, 10 % the highest floor
    # (# Growatt 4.3.12); a duration command may meet a battery already there.
    at_limit = soc >= 80 - 1.0 if action == "charge" else soc <= 10 + 1.0
    return not at_limit


def _energy(
    baseline: Baseline, readings: list[Reading], soc: float | None, rated_kwh: float | None
) -> tuple[float | None, float | None]:
    charged_now = _sum([r.charged_total_kwh for r in readings])
    discharged_now = _sum([r.discharged_total_kwh for r in readings])
    charged = discharged = None
    # A lifetime total below the one at the send is no reading: the cloud serves 0 (or yesterday's value)
    # around local midnight (FIELD_NOTES 24, HA growatt_server coordinator.py): the SOC delta counts then.
    base_in, base_out = baseline.charged_total_kwh, baseline.discharged_total_kwh
    if charged_now is not None and base_in is not None and charged_now >= base_in:
        charged = round(charged_now - base_in, 3)
    if discharged_now is not None and base_out is not None and discharged_now >= base_out:
        discharged = round(discharged_now - base_out, 3)
    if (charged is None or discharged is None) and rated_kwh and soc is not None and baseline.soc is not None:
        delta_kwh = (soc - baseline.soc) / 100.0 * rated_kwh
        charged = round(max(0.0, delta_kwh), 3) if charged is None else charged
        discharged = round(max(0.0, -delta_kwh), 3) if discharged is None else discharged
    return charged, discharged


def _shown(window: Window) -> str:
    return f"{window.start:%Y-%m-%d %H:%M}-{window.end:%H:%M} {window.start.tzinfo}"


def parse_local_time(value: object, zone: ZoneInfo) -> datetime | None:
    """A ``YYYY-MM-DD HH:mm:ss`` (# Growatt 3.1) device time, read in the plant's zone."""
    if not isinstance(value, str):
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    return None


def _lifetime(value: object) -> float | None:
    """A lifetime total; 0 is no reading: the cloud serves 0 around local midnight (FIELD_NOTES 24), and a
    baseline of 0 would count the machine's whole life as this command's energy. A machine that truly never
    charged falls back to the SOC delta all the same."""
    number = _float(value)
    return None if number == 0 else number


def _int(value: object) -> int | None:
    try:
        return int(float(value))  # type: ignore[arg-type]  # "1", "1.0" (FIELD_NOTES 9)
    except (TypeError, ValueError):
        return None


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 2) if known else None


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known), 3) if known and len(known) == len(values) else None
