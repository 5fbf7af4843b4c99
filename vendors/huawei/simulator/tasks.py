"""Charge/discharge, default-setting and DRM tasks: what was asked, and their status at a given time.

Why status is computed, not stored: a task's state is a function of when it was received, the
battery's SOC segments and the events that ended it early (a newer task, a failure, no battery). That
keeps reads O(1) and lets ``/_sim/clock/advance`` jump 24 h without a background loop.

Charge/discharge status is only refreshed every 3 simulated minutes after receipt, and a task that has
not finished 24 h after receipt times out (# NBI V7 9.3.5 status).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .world import Plant

REFRESH_S = 180.0  # NBI V7 9.3.5: "The execution status is updated every 3 minutes."
TIMEOUT_S = 86400.0  # NBI V7 9.3.5: "If the task is not completed within 24 hours, the task times out."
DEFAULT_APPLY_S = 120.0  # GUESS: the document gives no time for a default task to apply
DRM_APPLY_S = 60.0  # GUESS: likewise for DRM

IN_PROGRESS, COMPLETE, FAILED = 1, 0, 2


@dataclass(slots=True)
class SubTask:
    """One plant's part of a chargeAndDischarge request (its ``remoteID``)."""

    remote_id: str
    plant_code: str
    inverter_sn: str
    dispatch_switch: int
    received_at: float
    soc_at_start: float | None
    t_done: float | None  # when it completes on its own; None = never (offline, unreachable target)
    done_message: str | None = None
    ended_at: float | None = None  # an event ended it early ...
    end_status: int | None = None  # ... with this status ...
    end_message: str | None = None  # ... and this message

    def end(self, t: float, status: int, message: str) -> None:
        self.ended_at, self.end_status, self.end_message = t, status, message

    def state_at(self, t: float) -> tuple[int, float | None, str | None]:
        """(status, end time, message) as the device would report it at ``t`` (no refresh delay)."""
        if self.ended_at is not None and self.ended_at <= t:
            return self.end_status or 0, self.ended_at, self.end_message
        if self.t_done is not None and self.t_done <= t:
            return COMPLETE, self.t_done, self.done_message
        if t >= self.received_at + TIMEOUT_S:
            return FAILED, self.received_at + TIMEOUT_S, "The task timed out (not completed within 24 hours)."
        return IN_PROGRESS, None, None

    def running_at(self, t: float) -> bool:
        return self.state_at(t)[0] == IN_PROGRESS

    def reported(self, now: float, plant: Plant) -> dict[str, object]:
        """The # NBI V7 9.3.5 ``data`` element, as of the last 3-minute refresh before ``now``."""
        from .world import iso_local

        refreshes = math.floor((now - self.received_at) / REFRESH_S)
        if refreshes < 1:
            status, end, message = IN_PROGRESS, None, None
            t_eval = self.received_at
        else:
            t_ref = self.received_at + refreshes * REFRESH_S
            status, end, message = self.state_at(t_ref)
            t_eval = end if end is not None else t_ref
        delta_kwh = 0.0
        if plant.battery is not None and self.soc_at_start is not None:
            delta_kwh = (plant.battery.soc(t_eval) - self.soc_at_start) / 100.0 * plant.battery.rated_kwh
        return {
            "plantCode": self.plant_code,
            "sn": self.inverter_sn,
            "remoteID": self.remote_id,
            "status": status,
            "chargedCapacity": round(max(delta_kwh, 0.0), 3) + 0.0 if self.dispatch_switch == 1 else None,
            "dischargedCapacity": round(max(-delta_kwh, 0.0), 3) + 0.0 if self.dispatch_switch == 2 else None,
            "execStartTime": iso_local(self.received_at, plant.tz),
            # A failed or timed-out task is not "completed": null, as in the 9.6.1.4 example.
            "execEndTime": iso_local(end, plant.tz) if status == COMPLETE else None,
            "message": message,
        }


@dataclass(slots=True)
class ChargeTask:
    request_id: int
    account: str
    params: dict[str, object]
    subtasks: list[SubTask] = field(default_factory=list)


@dataclass(slots=True)
class DefaultItem:
    """One plant of a plantDefaultSetting task (# NBI V7 9.6.1.3 / 9.6.1.4)."""

    plant_code: str
    max_feed_grid_power: float | None
    active_power_gradient: float | None
    received_at: float
    fails: bool

    def status_at(self, t: float) -> tuple[str, float | None]:
        if t < self.received_at + DEFAULT_APPLY_S:
            return "0", None
        if self.fails:
            return "2", None
        return "1", self.received_at + DEFAULT_APPLY_S


@dataclass(slots=True)
class DefaultTask:
    request_id: str
    account: str
    items: list[DefaultItem]


@dataclass(slots=True)
class DrmTask:
    """One plant of a DRM request; its ``remoteId`` is queried with drmStatus (# NBI V7 9.6.1.7)."""

    remote_id: str
    account: str
    plant_code: str
    drm: str
    inverter_dns: list[str]
    received_at: float
    fails: bool

    def status_at(self, t: float) -> tuple[str, float | None]:
        if t < self.received_at + DRM_APPLY_S:
            return "0", None
        if self.fails:
            return "2", None
        return "1", self.received_at + DRM_APPLY_S
