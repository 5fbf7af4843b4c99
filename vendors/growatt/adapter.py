"""Growatt OpenAPI v1 adapter: our commands as storageSet / inverterSet settings, read back from
storage_last_data, within Growatt's repeat rule (document: ../shared/vendor-docs/growatt-openapi-v1.txt).

What it offers (DESIGN "Commands and what each vendor can do"): charge / discharge / stop (``commands``
explains the storageSet mapping), device on/off (inverterSet ``pv_on_off`` 4.3.7 for inverters,
storageSet ``storage_cmd_on_off`` for storage machines), raw storageSet and inverterSet checked against the
document's ranges, enrolment by datalogger SN and check code, discovery and realtime KPIs (``discovery``).
DoD, EMS mode, DRM and default settings do not exist in Growatt's API: ``unsupported``.
One plant per request: every setting is per device SN.

How each call reaches Growatt (the shared limiter, Growatt's 10012 repeat rule, settings exactly once
across retries and processes, the audit trail) is ``calls``. A charge or discharge's settings depend on the
time they were computed, so its plan (every call's exact body) is stored under ``(request_id, plant)``
before the first call: a re-send repeats the same bodies and the vendor's log shows each setting once.

Poll. storageSet answers at once; a charge or discharge is read back from storage_last_data (``progress``
says how its state and energy are judged). poll() also does the two things a daily Growatt window needs
later: after the plant's local midnight it sends the second half of a window that crosses it, and when the
task ends (completed, failed, timed out) it disarms the window, or the device would repeat it the next
day. Both are settings like any other (exactly once, under the task's request_id). A task the caller ends
without a last poll (cancelled, swept) needs a stop command to disarm it.

Time. Windows are written in the plant's local time (``PlantTarget.timezone``): the device runs them on
its own clock. Against the real cloud "now" is our clock. Against an accelerated simulator
(``AccountConfig.clock_speed`` != 1) our clock means nothing to the vendor, so "now" is the device's own
time as its latest record states it (``storage_last_data`` ``time``): a record fetched by this very read is
taken as it stands, never pushed on by the real seconds our own processing took (at speed 600 a 100 ms stall
of a busy machine would be a vendor minute, and a paused simulator clock does not move at all). Only an
answer reused from the read cache (Growatt's 5-minute rule, ``calls.read``) is aged, by how long ago it was
fetched times ``clock_speed``. A window armed ahead (``ChargeDischarge.window_start``, our clock) is placed
from the instant that device time belongs to (the read), not from whenever the plan is made.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from vendors import zones
from vendors.base import (
    AccountConfig,
    CallObserver,
    ChargeDischarge,
    Command,
    CommandKind,
    DeviceInfo,
    DevicePower,
    EnrolmentResult,
    InverterSet,
    Outcome,
    PlantInfo,
    PlantKpi,
    PlantTarget,
    SendResult,
    SentTask,
    SnEnrolment,
    StorageSet,
    TargetResult,
    TaskState,
    TaskStatus,
    VendorName,
)
from vendors.errors import RateLimited, TransientError

from . import commands as cmd
from . import discovery, hybrids
from .calls import PLAN_TTL_S, GrowattCalls, StepRefused
from .client import Answer, BadAnswer
from .commands import Refusal, Step, Window
from .progress import Baseline, Reading, judge
from .spec import SPEC

STORAGE_LAST_DATA = "device/storage/storage_last_data"  # Growatt 4.3.13
# A window over local midnight is sent in two halves (# Growatt 4.3.12: end not before start, 10013); the
# second is armed at the first poll a device minute past the midnight, which the send and every poll ask
# the engine for (TargetResult.poll_by / TaskStatus.poll_by).
REARM_AFTER_MIDNIGHT_S = 60.0
SUPPORTED = SPEC.capabilities  # declared once, in spec.py
POWER_NOTE = (
    "power_w ignored: Growatt storageSet has no power parameter (4.3.12), the machine runs at its rate"
)


class GrowattAdapter:
    """One Growatt API token. Thread-safe; every process builds its own (``vendors.registry``)."""

    vendor = VendorName.GROWATT
    # Growatt OpenAPI v1 documents no call limits; the repeat rule is per identical request (calls.py), and
    # a command is one plant's few storageSet calls: many plants' commands may be on their way at once.
    parallel_requests = None
    # Power targets (dispatch.planning): no per-account pacing, and no power parameter for either window
    # (Growatt 4.3.12): the machine runs at its own rate, so a plant gives all or nothing.
    charge_interval_s = 0.0
    charge_power_settable = False
    charge_window_arms_ahead = True  # a window carries its own start time: ChargeDischarge.window_start

    def __init__(
        self,
        account: AccountConfig,
        *,
        limiter,
        state_url: str,
        max_wait_s: float = 5.0,
        observer: CallObserver | None = None,
    ) -> None:
        self.account = account
        self.calls = GrowattCalls(
            account, limiter=limiter, state_url=state_url, max_wait_s=max_wait_s, observer=observer
        )

    def close(self) -> None:
        self.calls.close()

    # --- the protocol --------------------------------------------------------------------------------------

    def supports(self, kind: CommandKind) -> bool:
        return kind in SUPPORTED

    def max_targets_per_request(self, kind: CommandKind) -> int:
        return 1  # every Growatt setting names one device SN (4.3.7, 4.3.12)

    def send(self, command: Command, targets: Sequence[PlantTarget], *, request_id: str) -> SendResult:
        if not self.supports(command.kind):
            results = tuple(
                TargetResult(
                    t.plant_code, Outcome.UNSUPPORTED, message=f"Growatt OpenAPI v1 has no {command.kind}"
                )
                for t in targets
            )
            return SendResult(request_id, results)
        if len(targets) > 1:
            raise ValueError(f"Growatt takes one plant per request, got {len(targets)}")
        results = tuple(self._send_one(command, target, request_id) for target in targets)
        return SendResult(request_id, results)

    def poll(self, command: Command, request_id: str, tasks: Sequence[SentTask]) -> list[TaskStatus]:
        out = []
        for task in tasks:
            if isinstance(command, ChargeDischarge) and hybrids.is_hybrid_task(task.remote_id):
                out.append(hybrids.poll(self, command, request_id, task))
            elif isinstance(command, ChargeDischarge) and command.action in ("charge", "discharge"):
                out.append(self._poll_charge(command, request_id, task))
            else:  # every other Growatt command is final when sent
                out.append(TaskStatus(task.target.plant_code, TaskState.COMPLETED, task.remote_id))
        return out

    def enrol_by_sn(self, items: Sequence[SnEnrolment]) -> list[EnrolmentResult]:
        return [discovery.enrol_datalogger(self.calls, item) for item in items]

    def enrol_by_ac(self, codes: Sequence[str]) -> list[EnrolmentResult]:
        error = (
            "Growatt OpenAPI v1 has no enrolment by authorisation code; enrol by datalogger SN and check "
            "code (device/datalogger/validate 4.3.10 + device/datalogger/add 4.3.2)"
        )
        return [EnrolmentResult(key=code, success=False, error=error) for code in codes]

    def list_plants(self) -> list[PlantInfo]:
        return discovery.list_plants(self.calls)

    def list_devices(self, plant_codes: Sequence[str]) -> list[DeviceInfo]:
        return discovery.list_devices(self.calls, plant_codes)

    def realtime_kpis(self, plant_codes: Sequence[str]) -> list[PlantKpi]:
        return discovery.realtime_kpis(self.calls, plant_codes)

    # --- send ----------------------------------------------------------------------------------------------

    def _send_one(self, command: Command, target: PlantTarget, request_id: str) -> TargetResult:
        try:
            if isinstance(command, ChargeDischarge) and hybrids.hybrids_of(target):
                # MIN / SPH / SPA, as discovery stored them: the VPP interface (hybrids, FIELD_NOTES H3)
                if command.action == "stop":
                    return hybrids.stop(self, target, request_id)
                return hybrids.charge(self, command, target, request_id)
            if isinstance(command, ChargeDischarge):
                if command.action == "stop":
                    return self._settings(
                        target, request_id, cmd.stop_steps(list(target.storage_sns)), "stop"
                    )
                return self._charge(command, target, request_id)
            # inverterSet does not know a hybrid's SN (FIELD_NOTES "Hybrid families", left undone)
            hybrid_sns = {sn for sn, _, _ in hybrids.hybrids_of(target)}
            inverter_sns = [sn for sn in target.inverter_sns if sn not in hybrid_sns]
            if isinstance(command, DevicePower):
                value = cmd.ON if command.on else cmd.OFF
                steps = [cmd.inverter_step(sn, cmd.PV_ON_OFF, value) for sn in inverter_sns]
                steps += [cmd.storage_step(sn, cmd.STORAGE_ON_OFF, value) for sn in target.storage_sns]
                return self._settings(target, request_id, steps, "device")
            if isinstance(command, StorageSet):
                values = cmd.validate_storage_set(command.param_type, command.params)
                steps = [cmd.storage_step(sn, command.param_type, *values) for sn in target.storage_sns]
                return self._settings(target, request_id, steps, "storage machine")
            if isinstance(command, InverterSet):
                c1, c2 = cmd.validate_inverter_set(command.param_id, command.command_1, command.command_2)
                steps = [cmd.inverter_step(sn, command.param_id, c1, c2) for sn in inverter_sns]
                return self._settings(target, request_id, steps, "inverter")
        except Refusal as exc:
            return TargetResult(
                target.plant_code, Outcome.REJECTED, vendor_code=exc.code, message=exc.message,
                final=True, state=TaskState.FAILED,
            )  # fmt: skip
        raise AssertionError(f"unreachable: {command.kind} is supported")  # pragma: no cover

    def _settings(self, target: PlantTarget, request_id: str, steps: list[Step], what: str) -> TargetResult:
        """Settings that are final when accepted (stop, on/off, raw setters), in order."""
        if not steps:
            raise Refusal(f"plant {target.plant_code} has no {what} SN to set (discover its devices first)")
        fresh = self.calls.state.add(
            self.calls.key("sent", request_id, target.plant_code), "1", ttl_s=PLAN_TTL_S
        )
        try:
            self.calls.run_steps(steps, target, request_id, "send", fresh=fresh)
        except StepRefused as exc:
            return self._refused(target, exc, steps)
        devices = tuple(dict.fromkeys(step.sn for step in steps))
        return TargetResult(
            target.plant_code, Outcome.ACCEPTED, final=True, state=TaskState.COMPLETED, devices=devices,
            message="; ".join(step.label for step in steps),
        )  # fmt: skip

    def _charge(self, command: ChargeDischarge, target: PlantTarget, request_id: str) -> TargetResult:
        """A charge or discharge: prepare every machine, then arm them; undo the armed ones on a refusal."""
        minutes = cmd.window_minutes(command)
        soc = cmd.target_soc(command)
        if not target.storage_sns:
            raise Refusal(f"plant {target.plant_code} has no storage machine (storage_sns is empty)")
        plan, fresh = self._plan(command, target, request_id, minutes, soc)
        if plan.get("result"):
            return _result_from_json(plan["result"])
        prepare = [Step.from_json(s) for s in plan["prepare"]]
        arm = [Step.from_json(s) for s in plan["arm"]]
        try:
            self.calls.run_steps(prepare + arm, target, request_id, "send", fresh=fresh)
        except StepRefused as exc:
            armed = arm[: max(0, self.calls.steps_done(request_id, target, "send") - len(prepare))]
            undo = [cmd.disarm_step(command.action, s.sn) for s in armed]
            result = self._refused(target, exc, prepare + arm, undo=undo, request_id=request_id)
            self._store_result(plan, target, request_id, result)  # a re-send answers the same
            return result
        notes = [plan["summary"]]
        if command.power_w is not None:
            notes.append(POWER_NOTE)
        poll_by = plan.get("poll_by")
        return TargetResult(
            target.plant_code, Outcome.ACCEPTED, remote_id=plan["remote_id"], message="; ".join(notes),
            devices=tuple(target.storage_sns), poll_by=datetime.fromisoformat(poll_by) if poll_by else None,
        )  # fmt: skip

    def _rearm_by(self, window: Window, device_now: datetime, ours: datetime) -> datetime | None:
        """When a window over local midnight needs its second half (our clock): a device minute after the
        midnight (windows are whole minutes). The engine polls by then, so the battery does not idle from
        midnight until its next routine poll, which for a window of hours can be an hour or more away."""
        if not window.crosses_midnight or device_now >= window.midnight:
            return None
        wait_s = (window.midnight - device_now).total_seconds() + REARM_AFTER_MIDNIGHT_S
        return ours + timedelta(seconds=wait_s / self.account.clock_speed)

    def _plan(
        self, command: ChargeDischarge, target: PlantTarget, request_id: str, minutes: int, soc: int | None
    ) -> tuple[dict, bool]:
        """The stored plan of this (request, plant), or a new one made now and stored first; True when this
        call made it (then none of its steps can have been sent)."""
        key = self.calls.key("plan", request_id, target.plant_code)
        stored = self.calls.state.get(key)
        if stored:
            return json.loads(stored), False
        zone = _zone(target.timezone)
        readings, ages, asked_at = self._readings(target, request_id)
        if (
            soc is not None
            and readings
            and all(
                r.soc is not None and (r.soc >= soc if command.action == "charge" else r.soc <= soc)
                for r in readings
            )
        ):
            plan = {"result": _result_to_json(TargetResult(
                target.plant_code, Outcome.ACCEPTED, final=True, state=TaskState.COMPLETED,
                message=f"already at the target: SOC {[r.soc for r in readings]} vs {soc} % (nothing sent)",
            ))}  # fmt: skip
        else:
            device_now, ours = self._vendor_now(readings, ages, asked_at, zone)
            now_local = device_now
            if command.window_start is not None:  # armed ahead: the window starts then, on the device clock
                lead_s = (command.window_start - ours).total_seconds() * self.account.clock_speed
                now_local += timedelta(seconds=max(lead_s, 0.0))
            window = cmd.plan_window(now_local, minutes)
            rearm_by = self._rearm_by(window, device_now, ours)
            steps = cmd.charge_steps if command.action == "charge" else cmd.discharge_steps
            prepare, arm = steps(list(target.storage_sns), window, soc)
            baseline = Baseline.of(readings)
            kind = "AC charge" if command.action == "charge" else "forced discharge"
            bound = (
                f", SOC {'limit' if command.action == 'charge' else 'floor'} {soc} %"
                if soc is not None
                else ""
            )
            split = ""
            if window.crosses_midnight:
                split = (
                    f" (sent as {_hhmm(window.start)}-24:00, then 00:00-{_hhmm(window.end)} after midnight)"
                )
            shown = f"{window.start:%Y-%m-%d %H:%M}-{window.end:%H:%M} local ({zones.key(zone)})"
            summary = f"{kind} window {shown}{split}{bound}"
            plan = {
                "remote_id": _remote_id(window, baseline),
                "prepare": [s.to_json() for s in prepare],
                "arm": [s.to_json() for s in arm],
                "summary": summary,
                "poll_by": rearm_by.isoformat() if rearm_by else None,
            }
        if not self.calls.state.add(key, json.dumps(plan), ttl_s=PLAN_TTL_S):
            stored = self.calls.state.get(key)  # another process stored one first
            return (json.loads(stored), False) if stored else (plan, False)
        return plan, True

    def _store_result(self, plan: dict, target: PlantTarget, request_id: str, result: TargetResult) -> None:
        plan = {**plan, "result": _result_to_json(result)}
        self.calls.state.set(
            self.calls.key("plan", request_id, target.plant_code), json.dumps(plan), ttl_s=PLAN_TTL_S
        )

    def _refused(
        self,
        target: PlantTarget,
        exc: StepRefused,
        steps: list[Step],
        *,
        undo: list[Step] | None = None,
        request_id: str | None = None,
    ) -> TargetResult:
        index = steps.index(exc.step) + 1
        message = (
            f"step {index}/{len(steps)} refused: {exc.step.label}: {exc.answer.error_msg or 'no message'}"
        )
        if undo:
            try:
                self.calls.run_steps(undo, target, request_id or "", "undo")
                message += f"; undone: {', '.join(s.label for s in undo)}"
            except (StepRefused, RateLimited, TransientError) as undo_exc:
                message += f"; UNDO FAILED, send a stop: {undo_exc}"
        return TargetResult(
            target.plant_code, Outcome.REJECTED, vendor_code=str(exc.answer.error_code), message=message,
            final=True, state=TaskState.FAILED,
        )  # fmt: skip

    # --- poll ----------------------------------------------------------------------------------------------

    def _poll_charge(self, command: ChargeDischarge, request_id: str, task: SentTask) -> TaskStatus:
        target = task.target
        try:
            zone = _zone(target.timezone)
            window, baseline = _parse_remote_id(task.remote_id or "", zone)
        except (Refusal, ValueError):
            return TaskStatus(
                target.plant_code,
                TaskState.FAILED,
                task.remote_id,
                message=f"unknown remote_id {task.remote_id!r}",
            )
        ended = self.calls.state.get(self.calls.key("ended", request_id, target.plant_code))
        if ended:  # told once, told again: a re-poll (a crash before the caller stored it) changes nothing
            return _status_from_json(json.loads(ended))
        answers, ages, asked_at = self._read_storage(target, request_id)
        refused = [(sn, a) for sn, a in answers if not a.ok]
        if refused:
            sn, answer = refused[0]
            message = f"storage_last_data {sn}: {answer.error_msg}"
            return self._finish(command, target, request_id, task, window, TaskState.FAILED, message,
                                None, None, str(answer.error_code), datetime.now(zone))  # fmt: skip
        readings = [Reading.parse(sn, a.data, zone) for sn, a in answers]
        vendor_now, ours = self._vendor_now(readings, ages, asked_at, zone)
        sent_at = task.sent_at if task.sent_at.tzinfo else task.sent_at.replace(tzinfo=UTC)
        elapsed = max(0.0, (datetime.now(UTC) - sent_at).total_seconds()) * self.account.clock_speed
        extended = False
        if window.crosses_midnight and window.midnight <= vendor_now < window.end:
            # The second half of a window over midnight (# Growatt 4.3.12: end not before start, 10013).
            steps = cmd.second_segment_steps(command.action, list(target.storage_sns), window)
            extended = self.calls.steps_done(request_id, target, "midnight") < len(steps)
            try:
                self.calls.run_steps(steps, target, request_id, "midnight")
            except StepRefused as exc:
                return self._finish(command, target, request_id, task, window, TaskState.FAILED,
                                    f"second half of the window refused: {exc}", None, None,
                                    str(exc.answer.error_code), vendor_now)  # fmt: skip
        verdict = judge(
            action=command.action,
            target_soc=cmd.target_soc(command),
            window=window,
            baseline=baseline,
            readings=readings,
            vendor_now=vendor_now,
            estimated_now=window.start + timedelta(seconds=elapsed),
            rated_kwh=target.battery_rated_kwh,
            just_extended=extended,
        )
        if verdict.state == TaskState.IN_PROGRESS:
            return TaskStatus(
                target.plant_code, TaskState.IN_PROGRESS, task.remote_id, charged_kwh=verdict.charged_kwh,
                discharged_kwh=verdict.discharged_kwh, exec_start=window.start.astimezone(UTC),
                message=verdict.message, poll_by=self._rearm_by(window, vendor_now, ours),
            )  # fmt: skip
        return self._finish(command, target, request_id, task, window, verdict.state, verdict.message,
                            verdict.charged_kwh, verdict.discharged_kwh, None, vendor_now)  # fmt: skip

    def _finish(
        self,
        command: ChargeDischarge,
        target: PlantTarget,
        request_id: str,
        task: SentTask,
        window: Window,
        state: TaskState,
        message: str,
        charged: float | None,
        discharged: float | None,
        code: str | None,
        vendor_now: datetime,
    ) -> TaskStatus:
        """A terminal state: disarm the window first, or the device would repeat it tomorrow (a Growatt
        window is a daily schedule, # Growatt 4.3.12). RateLimited propagates: poll again later."""
        undo = [cmd.disarm_step(command.action, sn) for sn in target.storage_sns]
        try:
            self.calls.run_steps(undo, target, request_id, "disarm")
            message += f"; window disarmed ({', '.join(s.label for s in undo)})"
        except StepRefused as exc:
            message += f"; DISARM REFUSED, send a stop: {exc}"
        status = TaskStatus(
            target.plant_code, state, task.remote_id, charged_kwh=charged, discharged_kwh=discharged,
            exec_start=window.start.astimezone(UTC), exec_end=min(vendor_now, window.end).astimezone(UTC),
            vendor_code=code, message=message,
        )  # fmt: skip
        self.calls.state.set(
            self.calls.key("ended", request_id, target.plant_code), _status_to_json(status), ttl_s=PLAN_TTL_S
        )
        return status

    # --- reads ---------------------------------------------------------------------------------------------

    def _readings(
        self, target: PlantTarget, request_id: str | None
    ) -> tuple[list[Reading], list[float], float]:
        """Every storage machine's latest record, their ages and when the read began (``_read_storage``);
        a refusal (no such machine) is a Refusal."""
        zone = _zone(target.timezone)
        answers, ages, asked_at = self._read_storage(target, request_id)
        for sn, answer in answers:
            if not answer.ok:
                raise Refusal(
                    f"storage machine {sn}: {answer.error_msg} (storage_last_data)", str(answer.error_code)
                )
        return [Reading.parse(sn, a.data, zone) for sn, a in answers], ages, asked_at

    def _read_storage(
        self, target: PlantTarget, request_id: str | None
    ) -> tuple[list[tuple[str, Answer]], list[float], float]:
        """Each machine's answer, its age in seconds of our clock when this read began (0 for one fetched
        now, how long ago it was fetched for one reused from the read cache, ``calls.read``) and when this
        read began (epoch seconds, our clock)."""
        answers, ages = [], []
        asked_at = time.time()
        for sn in target.storage_sns:
            answer, fetched_at = self.calls.read(
                "POST",
                STORAGE_LAST_DATA,
                {"storage_sn": sn},
                request_id=request_id,
                targets=(target.plant_code, sn),
            )
            if answer.ok and not isinstance(answer.data, dict):
                # 4.3.13 answers one record (an object): anything else ends the task with it recorded.
                raise BadAnswer(STORAGE_LAST_DATA, "data is not an object", json.dumps(answer.data))
            answers.append((sn, answer))
            ages.append(max(0.0, asked_at - fetched_at))
        return answers, ages, asked_at

    def _vendor_now(
        self, readings: list[Reading], ages: list[float], asked_at: float, zone: ZoneInfo
    ) -> tuple[datetime, datetime]:
        """Now on the device's clock, in the plant's zone, and the instant of our clock (UTC) it belongs to
        (see the module docstring, "Time").

        Against the real cloud (speed 1) both are our clock. Against an accelerated simulator it is the
        latest record's own time, aged only by how long a cached answer had been kept when the read began
        (``_read_storage``): never by the real time spent since, which is load, not vendor time."""
        ours = datetime.now(UTC)
        if self.account.clock_speed == 1.0:
            return ours.astimezone(zone), ours
        speed = self.account.clock_speed
        known = [
            r.time + timedelta(seconds=age * speed)
            for r, age in zip(readings, ages, strict=True)
            if r.time is not None
        ]
        if not known:
            return ours.astimezone(zone), ours
        return max(known), datetime.fromtimestamp(asked_at, UTC)


# --- helpers -----------------------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    """The plant's zone: an IANA name or a fixed ``UTC±HH:MM`` offset (vendors.zones, FIELD_NOTES row 1)."""
    try:
        return zones.load(name or "UTC")  # type: ignore[return-value]
    except ValueError:
        raise Refusal(f"unknown plant timezone {name!r}") from None


def _hhmm(moment: datetime) -> str:
    return f"{moment:%H:%M}"


def _num(value: float | None, places: int) -> str:
    return "-" if value is None else f"{value:.{places}f}"


def _remote_id(window: Window, baseline: Baseline) -> str:
    """``<window>|<SOC>|<charged kWh>|<discharged kWh>`` at the send (at most 64 characters)."""
    text = "|".join(
        (
            window.encode(),
            _num(baseline.soc, 1),
            _num(baseline.charged_total_kwh, 2),
            _num(baseline.discharged_total_kwh, 2),
        )
    )
    return text[:64]


def _parse_remote_id(text: str, zone: ZoneInfo) -> tuple[Window, Baseline]:
    parts = text.split("|")
    if len(parts) != 4 or len(parts[0]) != 24:
        raise ValueError(text)

    def number(value: str) -> float | None:
        return None if value == "-" else float(value)

    return Window.decode(parts[0], zone), Baseline(number(parts[1]), number(parts[2]), number(parts[3]))


def _result_to_json(result: TargetResult) -> dict:
    return {
        "plant_code": result.plant_code,
        "outcome": result.outcome.value,
        "remote_id": result.remote_id,
        "vendor_code": result.vendor_code,
        "message": result.message,
        "final": result.final,
        "state": result.state.value if result.state else None,
        "devices": list(result.devices),
    }


def _result_from_json(data: dict) -> TargetResult:
    return TargetResult(
        plant_code=data["plant_code"],
        outcome=Outcome(data["outcome"]),
        remote_id=data["remote_id"],
        vendor_code=data["vendor_code"],
        message=data["message"],
        final=data["final"],
        state=TaskState(data["state"]) if data["state"] else None,
        devices=tuple(data["devices"]),
    )


def _status_to_json(status: TaskStatus) -> str:
    data = {f.name: getattr(status, f.name) for f in fields(status)}
    for name in ("exec_start", "exec_end", "poll_by"):
        data[name] = data[name].isoformat() if data[name] else None
    data["state"] = status.state.value
    return json.dumps(data)


def _status_from_json(data: dict) -> TaskStatus:
    for name in ("exec_start", "exec_end", "poll_by"):
        if data.get(name):
            data[name] = datetime.fromisoformat(data[name])
    data["state"] = TaskState(data["state"])
    return TaskStatus(**data)
