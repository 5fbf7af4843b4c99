"""Charge, discharge and stop on Growatt hybrids (MIN, SPH, SPA) through the VPP interface (``families``).

Which devices are hybrids comes from discovery (``PlantTarget.device_families``), never from a call made
before the command (FIELD_NOTES H1: every v1 call counts against the repeat rule).

- Charge / discharge: one ``vppRemoteSetNew`` per hybrid, ``time`` the window in minutes (1-1440) and
  ``percentage`` of the rated power, > 0 charging, < 0 discharging (FIELD_NOTES H3). ``power_w`` (a power
  target's share) becomes the percentage of the device's rated power (from its model name, discovery),
  rounded up to whole percent (the interface's resolution); none given: 100 %.
- Write only what differs: the SOC is read first (``getSocData``); a device already at the target gets
  nothing. Stop reads the family's latest record and releases only a device that is charging or
  discharging.
- Read back: each poll reads ``getSocData`` (the SOC) and the family's ``*_last_data`` (the battery's
  charge or discharge power); a device still idle in the right direction with an unmoved SOC once the
  first reads are fresh (``CONFIRM_AFTER_S`` of device time) has not taken the command: the task fails
  with that said (the field's "answers success, then reverts", FIELD_NOTES H8).
- Release: a task that ends before its time (target reached, failed) sends ``percentage`` 0 (``time`` 0),
  so the device goes back to its own schedule; one whose time ran out has expired on the device already.

The plan (each call's exact body) is stored under (request_id, plant) before the first call, as the
storage path does, so a re-send repeats the same bodies and the vendor sees each setting once.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Protocol

from vendors.base import (
    AccountConfig,
    ChargeDischarge,
    Outcome,
    PlantTarget,
    SentTask,
    TargetResult,
    TaskState,
    TaskStatus,
)
from vendors.errors import RateLimited, TransientError

from . import commands as cmd
from . import families as fam
from .calls import PLAN_TTL_S, GrowattCalls, StepRefused
from .commands import Refusal, Step


class Adapter(Protocol):
    """What these functions use of ``Adapter``, named here: importing the adapter, which imports
    this module, would close an import circle (tests/guard/test_imports.py)."""

    account: AccountConfig
    calls: GrowattCalls

    def _refused(
        self,
        target: PlantTarget,
        exc: StepRefused,
        steps: list[Step],
        *,
        undo: list[Step] | None = None,
        request_id: str | None = None,
    ) -> TargetResult: ...


CONFIRM_AFTER_S = 900.0  # device seconds: past the 5-minute read cache twice over
REMOTE_PREFIX = "vpp"


def hybrids_of(target: PlantTarget) -> list[tuple[str, fam.Family, float | None]]:
    return [
        (sn, fam.FAMILIES[name], rated) for sn, name, rated in target.device_families if name in fam.HYBRIDS
    ]


def is_hybrid_task(remote_id: str | None) -> bool:
    return (remote_id or "").startswith(REMOTE_PREFIX + "|")


def vpp_step(sn: str, minutes: int, percentage: int) -> Step:
    params = {"vppSn": sn, "time": str(minutes), "percentage": str(percentage)}
    what = "release" if percentage == 0 else f"{percentage:+d} % for {minutes} min"
    return Step(fam.VPP_SET, sn, params, f"vppRemoteSetNew {what} on {sn}")


def release_step(sn: str) -> Step:
    return vpp_step(sn, 0, 0)


def _target_soc(command: ChargeDischarge, family: fam.Family) -> int | None:
    if command.control != "soc":
        return None
    if command.target_soc_pct is None:
        raise Refusal("target_soc_pct is required for SOC control")
    value = round(float(command.target_soc_pct))
    low, high = family.charge_soc_range if command.action == "charge" else family.discharge_soc_range
    if not low <= value <= high:
        raise Refusal(
            f"target SOC {command.target_soc_pct:g} % is out of range: a Growatt {family.label} "
            f"{'charges' if command.action == 'charge' else 'discharges'} to {low}-{high} % "
            "(FIELD_NOTES H5; the vendor's code for a value out of range)",
            "10008",
        )
    return value


def _percentage(command: ChargeDischarge, rated_w: float | None) -> tuple[int, str]:
    if command.power_w is None:
        return 100, ""
    if not rated_w:
        return 100, "power_w ignored: the device's rated power is unknown (discover its devices again)"
    share = math.ceil(float(command.power_w) / rated_w * 100 - 1e-9)
    return max(1, min(100, share)), ""


def _soc(adapter: Adapter, target: PlantTarget, sn: str, request_id: str | None) -> float | None:
    answer, _ = adapter.calls.read(
        "POST", fam.VPP_SOC, {"vppSn": sn}, request_id=request_id, targets=(target.plant_code, sn)
    )
    if not answer.ok:
        raise Refusal(f"{sn}: {answer.error_msg} (getSocData)", str(answer.error_code))
    data = answer.data if isinstance(answer.data, dict) else {}
    try:
        return float(data.get("soc"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _last(adapter: Adapter, target: PlantTarget, sn: str, family: fam.Family, request_id: str | None):
    answer, _ = adapter.calls.read(
        "POST",
        family.last_data,
        {family.sn_param: sn},
        request_id=request_id,
        targets=(target.plant_code, sn),
    )
    if not answer.ok:
        raise Refusal(f"{sn}: {answer.error_msg} ({family.last_data})", str(answer.error_code))
    return fam.as_storage_record(family, answer.data if isinstance(answer.data, dict) else {})


def _power(record: dict, name: str) -> float:
    try:
        return float(record.get(name) or 0.0)
    except (TypeError, ValueError):
        return 0.0


# --- send ------------------------------------------------------------------------------------------------


def charge(adapter: Adapter, command: ChargeDischarge, target: PlantTarget, request_id: str) -> TargetResult:
    devices = hybrids_of(target)
    minutes = cmd.window_minutes(command)
    if command.window_start is not None and (command.window_start - datetime.now(UTC)).total_seconds() > 60:
        # vppRemoteSetNew acts at once (FIELD_NOTES H3): a window armed ahead would start early.
        raise Refusal(
            f"a Growatt hybrid starts a VPP command at once; this one starts at {command.window_start:%H:%M} "
            "UTC (send it then)"
        )
    socs = {sn: _target_soc(command, family) for sn, family, _ in devices}
    soc = next(iter(socs.values()), None)
    key = adapter.calls.key("plan", request_id, target.plant_code)
    stored = adapter.calls.state.get(key)
    fresh = False
    if stored:
        plan = json.loads(stored)
    else:
        before = {sn: _soc(adapter, target, sn, request_id) for sn, _, _ in devices}
        sign = 1 if command.action == "charge" else -1
        steps, notes, skipped = [], [], []
        for sn, _family, rated in devices:
            now_soc = before[sn]
            if soc is not None and now_soc is not None and (now_soc >= soc if sign > 0 else now_soc <= soc):
                skipped.append(f"{sn} at SOC {now_soc:g} %")
                continue
            pct, note = _percentage(command, rated)
            if note:
                notes.append(note)
            steps.append(vpp_step(sn, minutes, sign * pct))
        known = [v for v in before.values() if v is not None]
        baseline = round(sum(known) / len(known), 1) if known else None
        if not steps:
            message = f"already at the target {soc} %: {', '.join(skipped)} (nothing sent)"
            plan = {"result": {"plant_code": target.plant_code, "outcome": "accepted", "state": "completed",
                               "message": message}}  # fmt: skip
        else:
            kind = "VPP charge" if sign > 0 else "VPP discharge"
            bound = f" to SOC {soc} %" if soc is not None else ""
            summary = f"{kind} {minutes} min{bound}: {'; '.join(s.label for s in steps)}"
            if skipped:
                summary += f" (already there: {', '.join(skipped)})"
            plan = {
                "remote_id": "|".join(
                    (REMOTE_PREFIX, str(minutes), "-" if baseline is None else f"{baseline:.1f}",
                     ",".join(s.sn for s in steps))
                )[:64],
                "arm": [s.to_json() for s in steps],
                "summary": "; ".join([summary, *dict.fromkeys(notes)]),
            }  # fmt: skip
        fresh = adapter.calls.state.add(key, json.dumps(plan), ttl_s=PLAN_TTL_S)
        if not fresh:
            plan = json.loads(adapter.calls.state.get(key) or json.dumps(plan))
    if plan.get("result"):
        r = plan["result"]
        return TargetResult(
            r["plant_code"],
            Outcome(r["outcome"]),
            message=r["message"],
            final=True,
            state=TaskState(r["state"]),
        )
    steps = [Step.from_json(s) for s in plan["arm"]]
    try:
        adapter.calls.run_steps(steps, target, request_id, "send", fresh=fresh)
    except StepRefused as exc:
        done = adapter.calls.steps_done(request_id, target, "send")
        undo = [release_step(s.sn) for s in steps[:done]]
        return adapter._refused(target, exc, steps, undo=undo, request_id=request_id)
    return TargetResult(
        target.plant_code, Outcome.ACCEPTED, remote_id=plan["remote_id"], message=plan["summary"],
        devices=tuple(s.sn for s in steps),
    )  # fmt: skip


def stop(adapter: Adapter, target: PlantTarget, request_id: str) -> TargetResult:
    """Release every hybrid that is charging or discharging; an idle one is left alone."""
    key = adapter.calls.key("plan", request_id, target.plant_code)
    stored = adapter.calls.state.get(key)
    if stored:
        plan = json.loads(stored)
        fresh = False
    else:
        busy, idle = [], []
        for sn, family, _ in hybrids_of(target):
            record = _last(adapter, target, sn, family, request_id)
            moving = _power(record, "pCharge") > 0 or _power(record, "pDischarge") > 0
            (busy if moving else idle).append(sn)
        plan = {"arm": [release_step(sn).to_json() for sn in busy], "idle": idle}
        fresh = adapter.calls.state.add(key, json.dumps(plan), ttl_s=PLAN_TTL_S)
        if not fresh:
            plan = json.loads(adapter.calls.state.get(key) or json.dumps(plan))
    steps = [Step.from_json(s) for s in plan["arm"]]
    idle_note = f"idle, nothing sent: {', '.join(plan['idle'])}" if plan["idle"] else ""
    if steps:
        try:
            adapter.calls.run_steps(steps, target, request_id, "send", fresh=fresh)
        except StepRefused as exc:
            return adapter._refused(target, exc, steps)
    message = "; ".join(x for x in ("; ".join(s.label for s in steps), idle_note) if x)
    return TargetResult(
        target.plant_code, Outcome.ACCEPTED, final=True, state=TaskState.COMPLETED,
        devices=tuple(s.sn for s in steps), message=message,
    )  # fmt: skip


# --- poll ------------------------------------------------------------------------------------------------


def poll(adapter: Adapter, command: ChargeDischarge, request_id: str, task: SentTask) -> TaskStatus:
    target = task.target
    ended = adapter.calls.state.get(adapter.calls.key("ended", request_id, target.plant_code))
    if ended:
        data = json.loads(ended)
        for name in ("exec_start", "exec_end"):
            data[name] = datetime.fromisoformat(data[name]) if data[name] else None
        data["state"] = TaskState(data["state"])
        return TaskStatus(**data)
    parts = (task.remote_id or "").split("|")
    try:
        minutes = int(parts[1])
        baseline = None if parts[2] == "-" else float(parts[2])
        sns = [sn for sn in parts[3].split(",") if sn]
    except (IndexError, ValueError):
        return TaskStatus(target.plant_code, TaskState.FAILED, task.remote_id, message="unknown remote_id")
    families = {sn: family for sn, family, _ in hybrids_of(target)}
    sent_at = task.sent_at if task.sent_at.tzinfo else task.sent_at.replace(tzinfo=UTC)
    elapsed_s = max(0.0, (datetime.now(UTC) - sent_at).total_seconds()) * adapter.account.clock_speed
    start = sent_at
    target_soc = None if command.control != "soc" else round(float(command.target_soc_pct or 0))
    charging = command.action == "charge"
    try:
        socs, moving = [], []
        for sn in sns:
            family = families.get(sn)
            if family is None:
                raise Refusal(f"{sn} is no longer a hybrid of this plant (discover its devices again)")
            value = _soc(adapter, target, sn, request_id)
            record = _last(adapter, target, sn, family, request_id)
            if value is None:
                value = fam.soc_of(family, {family.soc_field: record.get("capacity")})
            socs.append(value)
            moving.append(_power(record, "pCharge" if charging else "pDischarge") > 0)
    except Refusal as exc:
        return _finish(adapter, target, request_id, task, sns, TaskState.FAILED, exc.message, None, exc.code,
                       start, release=True)  # fmt: skip
    known = [s for s in socs if s is not None]
    now_soc = round(sum(known) / len(known), 1) if known else None
    energy = None
    if now_soc is not None and baseline is not None and target.battery_rated_kwh:
        moved = (now_soc - baseline) if charging else (baseline - now_soc)
        energy = round(max(0.0, moved) / 100 * target.battery_rated_kwh, 3)
    charged, discharged = (energy, None) if charging else (None, energy)
    shown = (
        f"SOC {now_soc if now_soc is not None else '?'} % (from {baseline if baseline is not None else '?'})"
    )
    if (
        target_soc is not None
        and known
        and all((s >= target_soc if charging else s <= target_soc) for s in known)
    ):
        return _finish(adapter, target, request_id, task, sns, TaskState.COMPLETED,
                       f"target {target_soc} % reached: {shown}", energy, None, start, release=True,
                       charging=charging)  # fmt: skip
    if elapsed_s >= minutes * 60:
        state = TaskState.COMPLETED if target_soc is None else TaskState.FAILED
        why = "time is up" if target_soc is None else f"time is up before the target {target_soc} %"
        return _finish(adapter, target, request_id, task, sns, state, f"{why}: {shown}", energy, None, start,
                       release=False, charging=charging)  # fmt: skip
    unmoved = baseline is None or now_soc is None or abs(now_soc - baseline) < 0.5
    if elapsed_s >= CONFIRM_AFTER_S and not any(moving) and unmoved:
        return _finish(adapter, target, request_id, task, sns, TaskState.FAILED,
                       f"not confirmed: the device answered success but is not "
                       f"{'charging' if charging else 'discharging'} ({shown})", energy, None, start,
                       release=True, charging=charging)  # fmt: skip
    running = "confirmed, " if any(moving) else ""
    return TaskStatus(
        target.plant_code, TaskState.IN_PROGRESS, task.remote_id, charged_kwh=charged,
        discharged_kwh=discharged, exec_start=start,
        message=f"{running}{'charging' if charging else 'discharging'}: {shown}",
    )  # fmt: skip


def _finish(
    adapter: Adapter,
    target: PlantTarget,
    request_id: str,
    task: SentTask,
    sns: list[str],
    state: TaskState,
    message: str,
    energy: float | None,
    code: str | None,
    start: datetime,
    *,
    release: bool,
    charging: bool = True,
) -> TaskStatus:
    if release and sns:
        steps = [release_step(sn) for sn in sns]
        try:
            adapter.calls.run_steps(steps, target, request_id, "disarm")
            message += f"; released ({', '.join(s.label for s in steps)})"
        except StepRefused as exc:
            message += f"; RELEASE REFUSED, send a stop: {exc}"
        except (RateLimited, TransientError):
            raise  # poll again later: the release is still owed
    status = TaskStatus(
        target.plant_code, state, task.remote_id,
        charged_kwh=energy if charging else None, discharged_kwh=None if charging else energy,
        exec_start=start, exec_end=datetime.now(UTC), vendor_code=code, message=message,
    )  # fmt: skip
    data = {k: getattr(status, k) for k in status.__dataclass_fields__}
    for name in ("exec_start", "exec_end"):
        data[name] = data[name].isoformat() if data[name] else None
    data["state"] = status.state.value
    adapter.calls.state.set(
        adapter.calls.key("ended", request_id, target.plant_code), json.dumps(data), ttl_s=PLAN_TTL_S
    )
    return status
