"""What a charge/discharge command does to one plant's battery, and what ends a running task.

Why separate from the HTTP handler: the same rules are applied by the interface (# NBI V7 9.3.4) and by
the misbehaviour switches (offline, failing tasks, no battery), and they are the part worth reading.

- dispatchSwitch 0 stops forced charge/discharge at once; 1 charges, 2 discharges.
- SOC control completes when the battery reaches ``targetSOC``; a discharge target below the
  end-of-discharge SOC (100 - DoD) is never reached, so that task times out after 24 h.
- Duration control completes ``dispatchTime`` minutes after receipt; the battery stops early at 100 %
  or at the end-of-discharge SOC.
- A newer task for the plant ends the running one with status 0 and a message ("If the charging and
  discharging task information of the battery in the plant changes, the task is processed as an
  exception (status is 0)", # NBI V7 9.3.5). The same signal while a task runs is refused for that plant
  ("the same signals cannot be sent", # NBI V7 9.3.4 NOTICE).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .state import HuaweiSim
from .tasks import COMPLETE, FAILED, SubTask
from .world import Plant

STOP, CHARGE, DISCHARGE = 0, 1, 2
SOC_CONTROL, DURATION_CONTROL = 1, 2
SUPERSEDED = "The task was interrupted because the plant received a new charge/discharge task."


@dataclass(frozen=True)
class Command:
    dispatch_switch: int
    control_type: int | None
    target_soc: float | None
    duration_min: int | None
    power_w: int | None  # None: the battery's default (maximum) power


def refusal(sim: HuaweiSim, plant: Plant, command: Command, now: float) -> str | None:
    """Why this plant cannot take the command (dispatchResult 1), or None."""
    if plant.battery is None or not plant.battery_operable:
        return "no_battery"
    running = sim.latest_subtask.get(plant.code)
    if (
        running is not None
        and command.dispatch_switch != STOP
        and running.dispatch_switch == command.dispatch_switch
        and running.running_at(now)
    ):
        return "same_signal"
    return None


def deliver(sim: HuaweiSim, plant: Plant, command: Command, now: float) -> SubTask:
    """Start the command on the plant's battery and return its subtask (remoteID)."""
    battery = plant.battery
    assert battery is not None
    previous = sim.latest_subtask.get(plant.code)
    if previous is not None and previous.running_at(now):
        previous.end(now, COMPLETE, SUPERSEDED)
    sub = SubTask(
        remote_id=sim.next_id(12345678),
        plant_code=plant.code,
        inverter_sn=plant.inverters[0].sn,
        dispatch_switch=command.dispatch_switch,
        received_at=now,
        soc_at_start=battery.soc(now),
        t_done=None,
    )
    sim.latest_subtask[plant.code] = sub
    if not plant.online:
        return sub  # never reaches the device: stays in progress until the 24 h timeout
    if plant.fail_tasks:
        battery.idle(now)
        sub.end(now, FAILED, "The device failed to execute the task.")
        return sub
    if command.dispatch_switch == STOP:
        battery.idle(now)
        sub.t_done, sub.done_message = now, "Forced charge/discharge stopped."
        return sub
    charging = command.dispatch_switch == CHARGE
    limit_w = battery.max_charge_w if charging else battery.max_discharge_w
    # NBI V7 9.3.4 powerDispatch: "If the value exceeds the range, the maximum value is used."
    power_w = min(abs(command.power_w), limit_w) if command.power_w else limit_w
    power_w *= plant.deliver_share  # a plant told to under-deliver (or to ignore commands: 0)
    floor = battery.min_soc
    t_end = math.inf
    if command.control_type == SOC_CONTROL:
        target = float(command.target_soc or 0.0)
        stop = min(target, 100.0) if charging else max(target, floor)
    else:
        t_end = now + 60.0 * (command.duration_min or 0)
        stop = 100.0 if charging else floor
    seg = battery.drive(now, power_w if charging else -power_w, stop, t_end)
    if command.control_type == SOC_CONTROL:
        soc = seg.soc0
        reached = soc >= stop if charging else soc <= stop
        if stop != command.target_soc:
            sub.t_done = None  # below the end-of-discharge SOC: never reached, times out
        elif reached:
            sub.t_done = now
        else:
            sub.t_done = seg.reach_time()
        sub.done_message = "The target SOC was reached."
    else:
        sub.t_done = t_end
        sub.done_message = "The charge/discharge duration elapsed."
    return sub


def end_running(sim: HuaweiSim, plant: Plant, now: float, status: int, message: str) -> None:
    """End the plant's running task now (fail-tasks, no-battery switches) and hold the SOC."""
    sub = sim.latest_subtask.get(plant.code)
    if sub is not None and sub.running_at(now):
        sub.end(now, status, message)
    if plant.battery is not None:
        plant.battery.idle(now)


def stall_running(sim: HuaweiSim, plant: Plant, now: float) -> None:
    """The plant went offline: its battery holds and its task can only time out."""
    sub = sim.latest_subtask.get(plant.code)
    if sub is not None and sub.running_at(now):
        sub.t_done = None
    if plant.battery is not None:
        plant.battery.idle(now)
