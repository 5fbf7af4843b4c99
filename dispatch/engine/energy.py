"""Energy for every charge/discharge task that ran, whatever ended it, and where the figure came from.

The vendor reports a task's energy when it says the task is done (`energy_source = "vendor"`, set by the
poll). A task cancelled, replaced by a newer job, timed out or failed after the vendor took it gets no such
figure although its battery moved, so the sweep measures it from our own telemetry once the readings of
its end are in (`ENERGY_SETTLE_WINDOWS` telemetry windows after it ended):

- `telemetry`: the plant's battery power samples (fleets telemetry, > 0 charging) integrated over the time
  the command acted, as a step function: from when it acted (the vendor took it, or the start of the window
  it carried) to when the task ended (the vendor took its stop, when one was sent; never past the command's
  own duration). The first sample after the command stands for the time back to it (before it the battery
  did what it did unasked); each sample holds until the next one, for at most two telemetry windows.
- `soc_delta`: no power sample in that time, but a state of charge before and after: the SOC change times
  the battery's usable (else rated) capacity.
- `none`: neither: the energy stays unknown (null), and the task is not looked at again.

Energies are in the vendor's time (an account's clock speed multiplies our seconds), as the vendors count
them. Written by conditional updates (only a task whose energy is still unknown), so two sweeps do no harm;
a finished job's totals are summed again from its tasks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dispatch.engine.codec import command_from_json, is_stop
from dispatch.models import DispatchJob, DispatchTask
from dispatch.selectors import dispatch_job_summary
from fleets.models import PlantTelemetry
from fleets.telemetry import telemetry_window
from vendors.base import ChargeDischarge, CommandKind

T = DispatchTask.State
S = DispatchTask.EnergySource
ENDED_STATES = (T.COMPLETED, T.CANCELLED, T.TIMED_OUT, T.FAILED)
ENERGY_SETTLE_WINDOWS = 2  # telemetry windows after a task's end before its last readings are surely in
HOLD_WINDOWS = 2  # a sample stands for the plant this many telemetry windows at most
GIVE_UP_AFTER = timedelta(days=1)
BATCH = 500


def _acted(task: DispatchTask, command: ChargeDischarge, speed: float) -> tuple[datetime, datetime]:
    """When the command acted on the battery, and when that ended."""
    start = task.sent_at
    if command.window_start is not None and command.window_start > start:
        start = command.window_start
    end = task.finished_at or start
    stop = task.stop_request
    if stop is not None and stop.sent_at is not None and stop.sent_at > end:
        end = stop.sent_at  # timed out at the deadline, then stopped: it ran until the stop landed
    if command.control == "duration" and command.duration_min:
        end = min(end, start + timedelta(seconds=command.duration_min * 60 / speed))
    return start, max(end, start)


def integrate_kwh(
    samples: list[tuple[datetime, float]], start: datetime, end: datetime, *, hold: timedelta, speed: float
) -> tuple[float, float] | None:
    """(charged, discharged) kWh from (time, battery W) samples, sorted, as described above; None: no
    sample inside [start, end]."""
    inside = [(at, w) for at, w in samples if start <= at <= end]
    if not inside:
        return None
    charged = discharged = 0.0
    for k, (at, watts) in enumerate(inside):
        seg_start = start if k == 0 else at
        seg_end = inside[k + 1][0] if k + 1 < len(inside) else end
        seg_end = min(seg_end, max(at, seg_start) + hold)
        kwh = watts / 1000.0 * max((seg_end - seg_start).total_seconds(), 0.0) * speed / 3600.0
        if kwh > 0:
            charged += kwh
        else:
            discharged -= kwh
    return round(charged, 3), round(discharged, 3)


def _soc_delta_kwh(
    socs: list[tuple[datetime, float]], start: datetime, end: datetime, capacity_kwh: float | None
) -> tuple[float, float] | None:
    before = [soc for at, soc in socs if at <= start]
    after = [soc for at, soc in socs if at >= end]
    if not capacity_kwh or not before or not after:
        return None
    delta = (after[0] - before[-1]) / 100.0 * capacity_kwh
    return round(max(delta, 0.0), 3), round(max(-delta, 0.0), 3)


def task_energy(task: DispatchTask) -> tuple[str, float | None, float | None]:
    """(energy_source, charged_kwh, discharged_kwh) of one ended task, from its plant's telemetry."""
    command = command_from_json((task.request.command if task.request else None) or task.job.command)
    if not isinstance(command, ChargeDischarge) or is_stop(command):
        return S.NONE, None, None
    account = task.vendor_account
    speed = max(account.clock_speed, 1e-9)
    window = telemetry_window(account)
    start, end = _acted(task, command, speed)
    rows = list(
        PlantTelemetry.objects.filter(
            plant_id=task.plant_id, measured_at__gte=start - 2 * window, measured_at__lte=end + 2 * window
        )
        .order_by("measured_at")
        .values_list("measured_at", "battery_power_w", "soc_pct")
    )
    power = [(at, w) for at, w, _ in rows if w is not None]
    measured = integrate_kwh(power, start, end, hold=HOLD_WINDOWS * window, speed=speed)
    if measured is not None:
        return S.TELEMETRY, *measured
    plant = task.plant
    capacity = plant.battery_usable_kwh or plant.battery_rated_kwh
    measured = _soc_delta_kwh([(at, soc) for at, _, soc in rows if soc is not None], start, end, capacity)
    if measured is not None:
        return S.SOC_DELTA, *measured
    return S.NONE, None, None


def tasks_energy_fill(now: datetime | None = None, *, batch: int = BATCH) -> int:
    """Measure the energy of ended charge/discharge tasks the vendor gave none for, once their last
    readings are in. Returns how many tasks got a figure (or were found to have none to give)."""
    now = now or timezone.now()
    candidates = (
        DispatchTask.objects.filter(
            energy_source=S.UNKNOWN,
            state__in=ENDED_STATES,
            sent_at__isnull=False,
            finished_at__gte=now - GIVE_UP_AFTER,
            job__command_kind=CommandKind.CHARGE_DISCHARGE,
        )
        .filter(Q(charged_kwh__isnull=True) & Q(discharged_kwh__isnull=True))
        .select_related("job", "request", "stop_request", "vendor_account", "plant")
        .order_by("finished_at", "pk")[:batch]
    )
    done, jobs = 0, set()
    for task in candidates:
        stop = task.stop_request
        if stop is not None and stop.sent_at is None:
            continue  # its stop has not landed: the battery may still be moving
        ended = max(task.finished_at, stop.sent_at if stop is not None else task.finished_at)
        if ended > now - ENERGY_SETTLE_WINDOWS * telemetry_window(task.vendor_account):
            continue  # its last readings may still be on their way
        source, charged, discharged = task_energy(task)
        done += DispatchTask.objects.filter(
            pk=task.pk, energy_source=S.UNKNOWN, charged_kwh__isnull=True, discharged_kwh__isnull=True
        ).update(energy_source=source, charged_kwh=charged, discharged_kwh=discharged)
        if charged is not None:
            jobs.add(task.job_id)
    for job_id in jobs:  # a finished job's totals were summed before this energy was known
        with transaction.atomic():
            summary = dispatch_job_summary(job=job_id)
            DispatchJob.objects.filter(pk=job_id).exclude(state__in=DispatchJob.OPEN_STATES).update(
                charged_kwh=summary["charged_kwh"], discharged_kwh=summary["discharged_kwh"]
            )
    return done
