"""Huawei SmartPVMS Northbound Interface V7 behind the `VendorAdapter` protocol: our commands mapped onto
its interfaces, batched to its maxima, and its answers normalised.

Where the rest lives: `client.py` moves bytes (timeouts, bounded retries of transient faults), `calls.py`
is the call path of an account (shared session, shared limiter, audit records), `answers.py` reads the
vendor's answers into our types, `discovery.py` enrols plants and reads plants, devices and KPIs.

Retries and idempotency. A dropped connection or a 5xx is retried (bounded), and the retry may re-send a
request the vendor had already handled:
- chargeAndDischarge carries our requestID; the vendor answers a repeat with failCode 20048 (NBI V7 9.3.4),
  which we read as "already accepted" (SendResult.duplicate): never a second command.
- dod, devOnOff, ems, drm and plantDefaultSetting carry no caller identity. They set a value (a DoD, on/off,
  EMS mode 6, DRM flags, a feed-in limit); applying the same value twice leaves the devices as once, so we
  retry them like reads, bounded. The price: the vendor's history (and the simulator's command log) may
  show such a setting twice, and a repeated plantDefaultSetting may meet its own first copy still
  executing (per-plant 20615, reported as rejected with that code, message saying so).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vendors.base import (
    AccountConfig,
    CallObserver,
    ChargeDischarge,
    Command,
    CommandKind,
    DefaultSetting,
    DeviceInfo,
    DevicePower,
    Drm,
    EmsMode,
    EnrolmentResult,
    Outcome,
    PlantInfo,
    PlantKpi,
    PlantTarget,
    SendResult,
    SentTask,
    SetDod,
    SnEnrolment,
    TargetResult,
    TaskState,
    TaskStatus,
    VendorName,
)
from vendors.batching import batches
from vendors.errors import AuthFailed, VendorAnswerInvalid, VendorError
from vendors.huawei import answers, discovery
from vendors.huawei.answers import as_int, as_str, message_of, refused, require_ok
from vendors.huawei.calls import OK, AccountCalls
from vendors.huawei.discovery import MAX_PLANTS
from vendors.huawei.spec import SPEC

MAX_DEVICES = 100  # 9.3.6, 9.3.7: 100 device DNs a request
MAX_DRM_INVERTERS = 200  # 9.6.1.6: at most 200 inverters in the plants of one request (else 20116)
MAX_TASK_IDS = 100  # 9.6.1.7: 100 remoteIds a query
EMS_SCHEDULED = 6  # 9.3.8: every other control type is "not supported"
DUPLICATE_REQUEST_ID = 20048  # 9.3.4
TASK_NOT_FOUND = 20050  # 9.3.5
STATUS_WORDS = {0: "completed", 1: "in progress", 2: "failed or timed out"}  # 9.3.5 status
DEFAULT_QUERY_EMPTY = 20617  # 9.6.1.4
TASK_ID_NOT_FOUND = 20620  # 9.6.1.7


class HuaweiAdapter:
    """One Huawei northbound account. Safe to share between threads; every process makes its own."""

    vendor = VendorName.HUAWEI
    # chargeAndDischarge and the other commands are limited per account (NBI V7 9.3.4, 9.6.1): one at a time.
    parallel_requests = 1
    # Power targets (dispatch.planning): a charge/discharge request per account a minute (NBI V7 9.3.4),
    # one powerDispatch per request, clamped per plant to its maximum ("the maximum value is used").
    charge_interval_s = 60.0
    charge_power_settable = True

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
        self.calls = AccountCalls(
            account, limiter=limiter, state_url=state_url, max_wait_s=max_wait_s, observer=observer
        )

    def supports(self, kind: CommandKind) -> bool:
        return kind in SPEC.capabilities  # declared once, in spec.py

    def max_targets_per_request(self, kind: CommandKind) -> int:
        if kind == CommandKind.EMS_MODE:
            return 1  # 9.3.8: "Enter one plant DN for each request."
        # DRM: also at most 200 inverters; send() splits a batch whose plants hold more (9.6.1.6).
        # DoD / devOnOff: 100 devices a request; send() splits the DNs of 100 plants into such requests.
        return MAX_PLANTS

    def close(self) -> None:
        self.calls.close()

    # --- send ----------------------------------------------------------------------------------------

    def send(self, command: Command, targets: Sequence[PlantTarget], *, request_id: str) -> SendResult:
        targets = list(targets)
        limit = self.max_targets_per_request(command.kind)
        if len(targets) > limit:
            raise ValueError(
                f"{len(targets)} targets: Huawei takes at most {limit} per {command.kind} request"
            )
        codes = [t.plant_code for t in targets]
        if len(set(codes)) != len(codes):
            raise ValueError("each plant may appear once per request")
        if not targets:
            return SendResult(request_id=request_id, results=())
        if isinstance(command, ChargeDischarge):
            return self._send_charge(command, targets, request_id)
        if isinstance(command, SetDod):
            return self._send_device_setting("dod", {"dod": command.dod_pct}, targets, request_id, "battery")
        if isinstance(command, DevicePower):
            body = {"controlType": 1 if command.on else 2}  # 9.3.7: 1 on, 2 off
            return self._send_device_setting("devOnOff", body, targets, request_id, "inverter")
        if isinstance(command, EmsMode):
            return self._send_ems(command, targets[0], request_id)
        if isinstance(command, Drm):
            return self._send_drm(command, targets, request_id)
        if isinstance(command, DefaultSetting):
            return self._send_default(command, targets, request_id)
        message = f"Huawei has no {command.kind} command"
        return SendResult(
            request_id, tuple(TargetResult(c, Outcome.UNSUPPORTED, message=message) for c in codes)
        )

    def _send_charge(
        self, command: ChargeDischarge, targets: list[PlantTarget], request_id: str
    ) -> SendResult:
        codes = [t.plant_code for t in targets]
        body: dict[str, Any] = {
            "plantCodes": ",".join(codes),
            "dispatchSwitch": {"stop": 0, "charge": 1, "discharge": 2}[command.action],  # 9.3.4
            "requestID": numeric_request_id(request_id),
        }
        if command.action != "stop":
            if command.control == "soc":
                body.update(controlType=1, targetSOC=command.target_soc_pct)
            elif command.control == "duration":
                body.update(controlType=2, dispatchTime=command.duration_min)
            if command.power_w is not None:
                # 9.3.4 powerDispatch: > 0 during forced charge, < 0 during forced discharge.
                magnitude = abs(int(command.power_w))
                body["powerDispatch"] = magnitude if command.action == "charge" else -magnitude
        try:
            reply = self.calls.call("chargeAndDischarge", body, request_id=request_id, targets=codes)
            rows = answers.rows_by_plant(answers.data_rows(reply, "chargeAndDischarge"))
        except VendorAnswerInvalid as garbled:
            return self._charge_unreadable(request_id, codes, garbled)
        if reply.fail_code == DUPLICATE_REQUEST_ID:
            # 9.3.4: the vendor already holds a task with this requestID: ours, sent before a crash or a
            # lost answer. Accepted; the status query by requestID gives the remoteIDs.
            message = "already accepted (duplicate requestID)"
            results = tuple(TargetResult(c, Outcome.ACCEPTED, message=message) for c in codes)
            return SendResult(request_id=request_id, results=results, duplicate=True)
        if reply.fail_code != OK:
            return SendResult(request_id, refused(reply, codes))
        return SendResult(request_id, tuple(_charge_result(c, rows.get(c, [])) for c in codes))

    def _charge_unreadable(
        self, request_id: str, codes: list[str], garbled: VendorAnswerInvalid
    ) -> SendResult:
        """chargeAndDischarge answered something we cannot read (HTML, cut, wrong type: FIELD_NOTES H11,
        H14, H15), possibly after the vendor acted on it. The command is never sent again: the status query
        of our requestID (NBI V7 9.3.5) tells whether the vendor holds the task. A task it holds is
        accepted (polling follows it to its end); 20050 "no such task" means the vendor did not act, and
        the unreadable answer ends the request as before. When the status query cannot answer either, the
        plants are taken as accepted: polling asks again, and 20050 or the timeout ends them."""
        said = garbled.message or str(garbled)
        try:
            reply = self.calls.call(
                "chargeAndDischargeStatus",
                {"requestID": numeric_request_id(request_id)},
                request_id=request_id,
                targets=codes,
            )
            if reply.fail_code == TASK_NOT_FOUND:
                raise garbled
            require_ok(reply)
            rows = answers.rows_by_plant(answers.data_rows(reply, "chargeAndDischargeStatus"))
        except VendorError as exc:
            if exc is garbled or isinstance(exc, AuthFailed):
                raise
            message = f"answer unreadable ({said[:200]}); status query failed ({exc}): polling will tell"
            return SendResult(
                request_id, tuple(TargetResult(c, Outcome.ACCEPTED, message=message) for c in codes)
            )
        results = []
        for code in codes:
            plant_rows = rows.get(code, [])
            if not plant_rows:  # the vendor holds the task, not for this plant (9.3.4 dispatchResult 1)
                results.append(
                    TargetResult(
                        code,
                        Outcome.REJECTED,
                        vendor_code=garbled.code,
                        message=f"not in the status query's answer; the send answered: {said[:300]}",
                    )
                )
                continue
            status = STATUS_WORDS.get(as_int(plant_rows[0].get("status")), "accepted")
            remote = plant_rows[0].get("remoteID") or plant_rows[0].get("remoteId")
            results.append(
                TargetResult(
                    code,
                    Outcome.ACCEPTED,
                    remote_id=as_str(remote) or None,
                    message=f"answer unreadable; the status query (9.3.5) says: {status}",
                    devices=tuple(as_str(r.get("sn")) for r in plant_rows if r.get("sn")),
                )
            )
        return SendResult(request_id, tuple(results))

    def _send_device_setting(
        self, endpoint: str, extra: dict[str, Any], targets: list[PlantTarget], request_id: str, device: str
    ) -> SendResult:
        """DoD (9.3.6) and devOnOff (9.3.7): device DNs in, one result per device at once (final)."""
        dns_of = {
            t.plant_code: list(t.battery_dns if device == "battery" else t.inverter_dns) for t in targets
        }
        results: dict[str, TargetResult] = {}
        plant_of = {dn: plant_code for plant_code, dns in dns_of.items() for dn in dns}
        for plant_code, dns in dns_of.items():
            if not dns:
                message = f"no {device} DN known for this plant: discover its devices first (NBI V7 9.2.2)"
                results[plant_code] = TargetResult(plant_code, Outcome.REJECTED, message=message)
        device_rows: dict[str, dict[str, Any]] = {}
        for chunk in batches(list(plant_of), MAX_DEVICES):
            reply = self.calls.call(
                endpoint, {"dns": ",".join(chunk), **extra}, request_id=request_id, targets=chunk
            )
            if reply.fail_code != OK:
                plants = list(dict.fromkeys(plant_of[dn] for dn in chunk))
                results.update((r.plant_code, r) for r in refused(reply, plants))
                continue
            device_rows.update((str(r["dn"]), r) for r in answers.data_rows(reply, endpoint) if "dn" in r)
        for plant_code, dns in dns_of.items():
            if plant_code not in results:
                results[plant_code] = _device_setting_result(plant_code, dns, device_rows, device)
        return SendResult(request_id=request_id, results=tuple(results[c] for c in dns_of))

    def _send_ems(self, command: EmsMode, target: PlantTarget, request_id: str) -> SendResult:
        plant_code = target.plant_code
        if command.control_type != EMS_SCHEDULED:
            # 9.3.8: types 0, 2, 4, 5 are "not supported"; refusing here saves a once-a-minute call.
            message = "NBI V7 9.3.8: only EMS control type 6 (scheduled charge/discharge) is supported"
            return SendResult(request_id, (TargetResult(plant_code, Outcome.REJECTED, message=message),))
        body = {"dn": plant_code, "controlType": command.control_type}
        reply = self.calls.call("ems", body, request_id=request_id, targets=[plant_code])
        if reply.fail_code != OK:
            return SendResult(request_id, refused(reply, [plant_code]))
        loggers = answers.data_rows(reply, "ems")
        # 9.3.8 success per SmartLogger: true / false in the example, 0 / 1 / 2 (partial) in the table.
        failed = [row for row in loggers if row.get("success") not in (True, 0, "0", "true")]
        if not loggers:
            state, message = TaskState.FAILED, "no SmartLogger answered"
        elif failed:
            state = TaskState.FAILED
            message = "; ".join(
                f"{row.get('name')}: {row.get('message') or row.get('success')}" for row in failed
            )
        else:
            state, message = TaskState.COMPLETED, ""
        names = tuple(as_str(row.get("name")) for row in loggers)
        result = TargetResult(
            plant_code, Outcome.ACCEPTED, message=message, final=True, state=state, devices=names
        )
        return SendResult(request_id, (result,))

    def _send_drm(self, command: Drm, targets: list[PlantTarget], request_id: str) -> SendResult:
        flags = {"drm0": command.drm0, "drm1": command.drm1, "drm5": command.drm5}
        drms = {key: "true" if value else "false" for key, value in flags.items()}  # 9.6.1.6: Strings
        results: dict[str, TargetResult] = {}
        for batch in drm_batches(targets):
            codes = [t.plant_code for t in batch]
            # 9.6.1.6 spells the field "plantcodes"; "drms" is a List in its table but an object in its
            # example, which we follow.
            reply = self.calls.call(
                "drm", {"plantcodes": ",".join(codes), "drms": drms}, request_id=request_id, targets=codes
            )
            if reply.fail_code != OK:
                results.update((r.plant_code, r) for r in refused(reply, codes))
                continue
            rows = {
                as_str(row.get("plantcode") or row.get("plantCode")): row
                for row in answers.data_rows(reply, "drm")
                if isinstance(row, dict)
            }
            results.update((c, _drm_result(c, rows.get(c))) for c in codes)
        return SendResult(request_id=request_id, results=tuple(results[t.plant_code] for t in targets))

    def _send_default(
        self, command: DefaultSetting, targets: list[PlantTarget], request_id: str
    ) -> SendResult:
        codes = [t.plant_code for t in targets]
        tasks = []
        for plant_code in codes:
            task: dict[str, Any] = {"plantCode": plant_code}
            if command.max_feed_grid_power_kw is not None:
                task["maxFeedGridPower"] = round(command.max_feed_grid_power_kw, 3)  # 9.6.1.3: 3 decimals
            if command.active_power_gradient is not None:
                task["activePowerVariationGradient"] = round(command.active_power_gradient, 3)
            tasks.append(task)
        reply = self.calls.call("plantDefaultSetting", {"tasks": tasks}, request_id=request_id, targets=codes)
        if isinstance(reply.data, dict) or reply.fail_code == OK:
            data = answers.data_map(reply, "plantDefaultSetting")  # a partial refusal still lists its tasks
        else:
            data = {}
        per_plant = {
            as_str(row.get("plantCode")): as_int(row.get("result"))
            for row in data.get("tasks") or []
            if isinstance(row, dict)
        }
        if reply.fail_code != OK and not per_plant:
            return SendResult(request_id, refused(reply, codes))
        vendor_id = as_str(data.get("requestId"))
        results = []
        for plant_code in codes:
            result = per_plant.get(plant_code)
            if result == OK and vendor_id:
                # The vendor's requestId is what 9.6.1.4 queries by: kept on every target as its remote_id.
                results.append(TargetResult(plant_code, Outcome.ACCEPTED, remote_id=vendor_id))
            else:
                code = result if result is not None else reply.fail_code
                results.append(
                    TargetResult(
                        plant_code, Outcome.REJECTED, vendor_code=str(code), message=message_of(code)
                    )
                )
        return SendResult(request_id=request_id, results=tuple(results), vendor_request_id=vendor_id or None)

    # --- poll ----------------------------------------------------------------------------------------

    def poll(self, command: Command, request_id: str, tasks: Sequence[SentTask]) -> list[TaskStatus]:
        """The status of one earlier send. DefaultSetting polls by the vendor's requestId, which send()
        stored as each target's remote_id (it is also SendResult.vendor_request_id)."""
        tasks = list(tasks)
        if not tasks:
            return []
        if isinstance(command, ChargeDischarge):
            return self._poll_charge(request_id, tasks)
        if isinstance(command, Drm):
            return self._poll_drm(request_id, tasks)
        if isinstance(command, DefaultSetting):
            return self._poll_default(request_id, tasks)
        raise ValueError(f"{command.kind} is answered at once (final results): there is nothing to poll")

    def _poll_charge(self, request_id: str, tasks: list[SentTask]) -> list[TaskStatus]:
        body = {"requestID": numeric_request_id(request_id)}
        codes = [t.target.plant_code for t in tasks]
        reply = self.calls.call("chargeAndDischargeStatus", body, request_id=request_id, targets=codes)
        if reply.fail_code == TASK_NOT_FOUND:
            # 9.3.5 20050: the vendor holds no task under this requestID (the send never reached it).
            return [answers.failed_status(t, TASK_NOT_FOUND, reply.message) for t in tasks]
        require_ok(reply)
        rows = answers.rows_by_plant(answers.data_rows(reply, "chargeAndDischargeStatus"))
        speed = self.calls.speed
        return [answers.charge_status(t, rows.get(t.target.plant_code, []), speed=speed) for t in tasks]

    def _poll_drm(self, request_id: str, tasks: list[SentTask]) -> list[TaskStatus]:
        by_remote = {t.remote_id: t for t in tasks if t.remote_id}
        statuses: dict[str, TaskStatus] = {}
        for chunk in batches(list(by_remote), MAX_TASK_IDS):
            codes = [by_remote[r].target.plant_code for r in chunk]
            body = {"remoteIds": ",".join(chunk)}  # the document's "remotelds" is an OCR'd "remoteIds"
            reply = self.calls.call("drmStatus", body, request_id=request_id, targets=codes)
            if reply.fail_code == TASK_ID_NOT_FOUND and len(chunk) == 1:  # 9.6.1.7: no such task ID
                statuses[codes[0]] = answers.failed_status(
                    by_remote[chunk[0]], TASK_ID_NOT_FOUND, reply.message
                )
                continue
            require_ok(reply)
            for row in answers.data_rows(reply, "drmStatus"):
                task = (
                    by_remote.get(as_str(row.get("remoteId") or row.get("remoteld")))
                    if isinstance(row, dict)
                    else None
                )
                if task is not None:
                    statuses[task.target.plant_code] = answers.drm_status(
                        task, row.get("devicesStatusInfo") or []
                    )
        for task in tasks:
            if task.target.plant_code not in statuses:
                state, message = (
                    (TaskState.IN_PROGRESS, "not yet reported")
                    if task.remote_id
                    else (TaskState.FAILED, "no remoteId: the DRM setting was never delivered")
                )
                statuses[task.target.plant_code] = TaskStatus(
                    task.target.plant_code, state, task.remote_id, message=message
                )
        return [statuses[t.target.plant_code] for t in tasks]

    def _poll_default(self, request_id: str, tasks: list[SentTask]) -> list[TaskStatus]:
        groups: dict[str, list[SentTask]] = {}
        for task in tasks:
            groups.setdefault(task.remote_id or request_id, []).append(task)
        statuses: dict[str, TaskStatus] = {}
        for vendor_id, group in groups.items():
            codes = [t.target.plant_code for t in group]
            body = {"requestId": vendor_id, "plantCodes": ",".join(codes)}
            reply = self.calls.call("plantDefaultSettingStatus", body, request_id=vendor_id, targets=codes)
            if reply.fail_code == DEFAULT_QUERY_EMPTY:  # 9.6.1.4: nothing under this requestId and plants
                statuses.update(
                    (t.target.plant_code, answers.failed_status(t, DEFAULT_QUERY_EMPTY, reply.message))
                    for t in group
                )
                continue
            require_ok(reply)
            rows = {
                as_str(r.get("plantCode")): r for r in answers.data_rows(reply, "plantDefaultSettingStatus")
            }
            statuses.update(
                (t.target.plant_code, answers.default_status(t, rows.get(t.target.plant_code))) for t in group
            )
        return [statuses[t.target.plant_code] for t in tasks]

    # --- enrolment and discovery (``discovery``) -------------------------------------------------------

    def enrol_by_sn(self, items: Sequence[SnEnrolment]) -> list[EnrolmentResult]:
        return discovery.enrol_by_sn(self.calls, items)

    def enrol_by_ac(self, codes: Sequence[str]) -> list[EnrolmentResult]:
        return discovery.enrol_by_ac(self.calls, codes)

    def list_plants(self) -> list[PlantInfo]:
        return discovery.list_plants(self.calls)

    def list_devices(self, plant_codes: Sequence[str]) -> list[DeviceInfo]:
        return discovery.list_devices(self.calls, plant_codes)

    def realtime_kpis(self, plant_codes: Sequence[str]) -> list[PlantKpi]:
        return discovery.realtime_kpis(self.calls, plant_codes)

    # Huawei extras, beyond the protocol
    def plant_details(self, plant_codes: Sequence[str]) -> list[PlantInfo]:
        return discovery.plant_details(self.calls, plant_codes)

    def rated_data(self, plant_codes: Sequence[str]) -> list[discovery.PlantRatedData]:
        return discovery.rated_data(self.calls, plant_codes)


# --- request shaping and per-target results ---------------------------------------------------------------


def numeric_request_id(request_id: str) -> int:
    """Our request_id as the vendor's requestID (a Long, NBI V7 9.3.4): a positive 63-bit decimal."""
    text = str(request_id).strip()
    if not text.isdigit() or not 0 < int(text) < 2**63:
        raise ValueError(f"request_id {request_id!r} must be a decimal string of a positive 63-bit integer")
    return int(text)


def drm_batches(targets: list[PlantTarget]) -> list[list[PlantTarget]]:
    """Split so that each request has at most 100 plants and 200 inverters (9.6.1.6); a plant whose
    inverters are unknown counts as one. DRM carries no caller identity, so several requests are as good
    as one."""
    out: list[list[PlantTarget]] = [[]]
    inverters = 0
    for target in targets:
        n = max(1, len(target.inverter_dns))
        if out[-1] and (len(out[-1]) >= MAX_PLANTS or inverters + n > MAX_DRM_INVERTERS):
            out.append([])
            inverters = 0
        out[-1].append(target)
        inverters += n
    return out


def _charge_result(plant_code: str, rows: list[dict[str, Any]]) -> TargetResult:
    """9.3.4 rows of one plant (one per ESS): accepted if any ESS took it (dispatchResult 0)."""
    if not rows:  # the vendor took the request; the status query will tell
        return TargetResult(plant_code, Outcome.ACCEPTED, message="not listed in the answer")
    sns = tuple(as_str(r.get("sn")) for r in rows if r.get("sn"))
    accepted = [r for r in rows if as_int(r.get("dispatchResult")) == 0]
    if accepted:
        remote = accepted[0].get("remoteID") or accepted[0].get("remoteId")
        return TargetResult(plant_code, Outcome.ACCEPTED, remote_id=as_str(remote) or None, devices=sns)
    return TargetResult(
        plant_code,
        Outcome.REJECTED,
        vendor_code=as_str(rows[0].get("failCode")) or "dispatchResult=1",
        message=as_str(rows[0].get("message")) or "the vendor did not deliver the task to this plant",
        devices=sns,
    )


def _device_setting_result(
    plant_code: str, dns: list[str], rows: dict[str, dict[str, Any]], device: str
) -> TargetResult:
    """9.3.6 / 9.3.7 per-device results of one plant: final, completed only if every device succeeded."""
    failed = [dn for dn in dns if as_int(rows.get(dn, {}).get("result")) != 0]
    message = ""
    if device == "battery":
        applied = {rows[dn].get("setDOD") for dn in dns if dn in rows} - {None}
        if applied:  # 9.3.6: an out-of-range DoD is clamped; say what the batteries took
            message = "setDOD=" + ",".join(str(v) for v in sorted(applied))
    if failed:
        message = f"failed on {len(failed)} of {len(dns)} devices: {', '.join(failed)}"
    state = TaskState.FAILED if failed else TaskState.COMPLETED
    return TargetResult(
        plant_code, Outcome.ACCEPTED, message=message, final=True, state=state, devices=tuple(dns)
    )


def _drm_result(plant_code: str, row: dict[str, Any] | None) -> TargetResult:
    """9.6.1.6 row of one plant: result 0 with a remoteId to poll, else not delivered."""
    if row is None:
        return TargetResult(plant_code, Outcome.REJECTED, message="not listed in the vendor's answer")
    remote_id = as_str(row.get("remoteId") or row.get("remoteld") or row.get("remoteID"))
    if as_int(row.get("result")) == 0 and remote_id:
        return TargetResult(plant_code, Outcome.ACCEPTED, remote_id=remote_id)
    return TargetResult(
        plant_code,
        Outcome.REJECTED,
        vendor_code=f"result={row.get('result')}",
        message="DRM setting not delivered (NBI V7 9.6.1.6: unavailable where SmartLoggers connect the "
        "plant, or the plant is unreachable)",
    )
