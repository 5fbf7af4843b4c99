"""What an accepted setting does to a unit (the device side of storageSet and inverterSet).

Why apart from validation: the cloud accepts a command before the device acts on it, and a unit told
to fail commands (``/_sim/plants/fail-tasks``) is answered 0 but skips this step, which only a read-back
of ``storage_last_data`` reveals (# Growatt 4.3.12 answers at once; there is no task to poll).
Every setting is also kept in ``unit.settings`` so ``/_sim/plants`` shows the device's true state.
"""

from __future__ import annotations

from .validation import Parsed
from .world import Unit


def apply_storage_set(unit: Unit, type_id: str, parsed: Parsed, t: float) -> None:
    """Change the storage machine from simulated time ``t`` on (# Growatt 4.3.12)."""
    unit.settings[type_id] = parsed
    battery = unit.battery
    s = battery.schedule
    if type_id == "storage_cmd_on_off":
        s = s.changed(on=parsed["on"])
    elif type_id == "storage_cmd_forced_discharge_enable":
        s = s.changed(fd_enabled=parsed["value"] == "0")  # "0: Enable 1: Prohibited"
    elif type_id == "storage_lithium_battery":
        s = s.changed(soc_floor=float(parsed["value"]))  # type: ignore[arg-type]
    elif type_id == "storage_cmd_forced_discharge_time1":
        s = s.changed(fd_start_min=parsed["start_min"], fd_end_min=parsed["end_min"])
    elif type_id == "storage_ac_charge_enable_disable":
        s = s.changed(ac_enabled=parsed["value"] == "1")  # "0: Prohibited 1: Enable"
    elif type_id == "storage_ac_charge_hour_start":
        s = s.changed(ac_start_min=parsed["start_min"], ac_end_min=parsed["end_min"])
    elif type_id == "storage_ac_charge_soc_limit":
        s = s.changed(ac_soc_limit=float(parsed["value"]))  # type: ignore[arg-type]
    if s != battery.schedule:
        battery.set_schedule(t, s, unit.zone)


def apply_inverter_set(unit: Unit, param_id: str, parsed: Parsed) -> None:
    """Change the PV inverter (# Growatt 4.3.7): on/off and the active power limit have an effect."""
    unit.settings[param_id] = parsed
    if param_id == "pv_on_off":
        unit.inverter_on = bool(parsed["on"])
    elif param_id == "pv_active_p_rate":
        unit.active_rate_pct = float(parsed["value"])  # type: ignore[arg-type]
    elif param_id == "set_any_reg" and parsed["register"] == 0:
        unit.inverter_on = parsed["value"] == 257  # "0 shutdown, 257 boot"
    elif param_id == "set_any_reg" and parsed["register"] == 3:
        unit.active_rate_pct = float(parsed["value"])  # type: ignore[arg-type]
