"""When a task should be done, when its vendor request is worth polling, when it times out.

Vendor durations are in VENDOR time; a simulator's clock runs `clock_speed` times faster than ours, so
every vendor duration is divided by the account's clock_speed before it becomes one of our timestamps.

Polls go to the requests most likely to have changed (DESIGN.md "Vendor limits"): a request is next
polled at the vendor's first status refresh after its slowest open task is expected to be done, never
sooner than one refresh after the last poll (the vendor would answer the same thing), and never later
than `MAX_GAP_REFRESHES` refreshes (progress stays visible; estimates can be wrong). Once overdue, the
gap grows with how overdue it is (an offline plant only ends at the vendor's 24 h timeout).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from fleets.models import Plant
from vendors import base, registry

# Vendor seconds between two refreshes of a task's status: each vendor's `refresh_s` per command kind
# (vendors.registry); this for a vendor the registry does not know.
DEFAULT_REFRESH_S = 60.0
# NBI V7 9.3.5: "If the task is not completed within 24 hours, the task times out." We apply the same
# bound to every kind and vendor so no task stays open for ever; the vendor's own answer usually comes first.
VENDOR_TASK_TIMEOUT_S = 86_400.0
MAX_GAP_REFRESHES = 20  # an hour of vendor time: progress stays visible, poll slots are not wasted
OVERDUE_MAX_REFRESHES = 8
DEFAULT_BATTERY_KWH = 10.0
DEFAULT_POWER_W = 5_000.0


def real(vendor_seconds: float, clock_speed: float) -> timedelta:
    return timedelta(seconds=vendor_seconds / max(clock_speed, 1e-9))


def refresh_s(vendor: str, kind: str) -> float:
    spec = registry.find(vendor)
    return spec.refresh_for(kind) if spec else DEFAULT_REFRESH_S


# How long the vendor takes to finish a command, per kind (each kind's `duration_s`, dispatch.kinds):
# vendor seconds from receipt to completion, as well as we can tell (0: at the first refresh).


def at_first_refresh(command: base.Command, plant: Plant) -> float:
    """An instant setting: done by the vendor's first status refresh."""
    return 0.0


def charge_discharge_s(command: base.ChargeDischarge, plant: Plant) -> float:
    """A charge or discharge: its duration, or the SOC swing at the plant's power (a stop is instant)."""
    if command.action == "stop":
        return 0.0
    charging = command.action == "charge"
    if command.control == "duration":
        return 60.0 * (command.duration_min or 0)
    limit = plant.battery_max_charge_w if charging else plant.battery_max_discharge_w
    limit = limit or plant.inverter_rated_power_w or DEFAULT_POWER_W
    power_w = min(command.power_w, limit) if command.power_w else limit
    target = command.target_soc_pct if command.target_soc_pct is not None else (100.0 if charging else 0.0)
    # Unknown SOC: assume the longest swing, so we do not poll a task that cannot be done yet.
    soc = plant.soc_pct if plant.soc_pct is not None else (0.0 if charging else 100.0)
    swing = max(target - soc, 0.0) if charging else max(soc - target, 0.0)
    kwh = swing / 100.0 * (plant.battery_rated_kwh or DEFAULT_BATTERY_KWH)
    return 3600.0 * kwh * 1000.0 / max(power_w, 1.0) * 1.02


def task_timeout_at(*, sent_at: datetime, clock_speed: float, deadline: datetime | None, refresh: float):
    """Our own bound: the vendor's timeout plus two refreshes (we would rather hear the vendor say it)."""
    vendor_bound = sent_at + real(VENDOR_TASK_TIMEOUT_S + 2 * refresh, clock_speed)
    return min(vendor_bound, deadline) if deadline else vendor_bound


def next_poll_at(
    *,
    now: datetime,
    sent_at: datetime,
    expected_done: datetime | None,
    last_polled_at: datetime | None,
    refresh: float,
    clock_speed: float,
) -> datetime:
    """When to poll a request next (see the module docstring)."""
    step = real(refresh, clock_speed)
    slack = step * 0.03
    target = expected_done or now
    if target <= now:  # overdue (or due): back off with how overdue it is
        overdue = now - target
        gap = min(max(step, overdue / 2), step * OVERDUE_MAX_REFRESHES)
        target = now + gap
    target = min(target, now + step * MAX_GAP_REFRESHES)
    # Align on the vendor's refresh grid, counted from receipt (NBI V7 9.3.5).
    k = max(1, math.ceil((target - sent_at) / step))
    when = sent_at + step * k + slack
    if last_polled_at is not None and when < last_polled_at + step:
        when = sent_at + step * (math.ceil((last_polled_at + step - sent_at) / step)) + slack
    return when


def poll_by(next_poll: datetime | None, asked: list[datetime | None], *, now: datetime) -> datetime | None:
    """The next poll, brought forward to the earliest moment an adapter asked to be polled by (its
    TargetResult / TaskStatus `poll_by`: something to do then, e.g. arm the second half of a window over
    midnight), never into the past."""
    wanted = [max(at, now) for at in asked if at is not None]
    if not wanted:
        return next_poll
    return min([*wanted, next_poll]) if next_poll else min(wanted)
