"""`VendorAdapter` for the toy cloud: charge, discharge and stop, plant by plant, polled until done."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tests.toyvendor import discovery
from tests.toyvendor.calls import ToyCalls
from tests.toyvendor.spec import MAX_PLANTS, SPEC
from vendors.base import (
    AccountConfig,
    CallObserver,
    ChargeDischarge,
    Command,
    CommandKind,
    DeviceInfo,
    EnrolmentResult,
    Outcome,
    PlantInfo,
    PlantKpi,
    PlantTarget,
    SendResult,
    SentTask,
    SnEnrolment,
    TargetResult,
    TaskState,
    TaskStatus,
)

STATES = {"running": TaskState.IN_PROGRESS, "done": TaskState.COMPLETED, "failed": TaskState.FAILED}


class ToyAdapter:
    vendor = SPEC.name
    parallel_requests = None  # no per-account command limit worth queueing for

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
        self.calls = ToyCalls(account, limiter=limiter, max_wait_s=max_wait_s, observer=observer)

    def supports(self, kind: CommandKind) -> bool:
        return SPEC.supports(kind)

    def max_targets_per_request(self, kind: CommandKind) -> int:
        return MAX_PLANTS

    def send(self, command: Command, targets: Sequence[PlantTarget], *, request_id: str) -> SendResult:
        codes = [t.plant_code for t in targets]
        if not isinstance(command, ChargeDischarge):
            unsupported = tuple(TargetResult(code, Outcome.UNSUPPORTED) for code in codes)
            return SendResult(request_id=request_id, results=unsupported)
        body = {
            "request_id": request_id,  # stored by the caller before this call: a re-send is a duplicate
            "plant_ids": codes,
            "mode": command.action,
            "duration_min": command.duration_min if command.control == "duration" else None,
            "target_soc": command.target_soc_pct if command.control == "soc" else None,
            "power_w": command.power_w,
        }
        data = self.calls.call("battery/command", body, request_id=request_id, targets=codes)
        results = []
        for r in data["results"]:
            if not r.get("ok"):
                results.append(TargetResult(r["plant_id"], Outcome.REJECTED, vendor_code=r.get("error")))
            elif command.action == "stop":  # a stop answers at once: nothing to poll
                results.append(
                    TargetResult(r["plant_id"], Outcome.ACCEPTED, final=True, state=TaskState.COMPLETED)
                )
            else:
                results.append(TargetResult(r["plant_id"], Outcome.ACCEPTED, remote_id=r["task_id"]))
        return SendResult(
            request_id=request_id, results=tuple(results), duplicate=bool(data.get("duplicate"))
        )

    def poll(self, command: Command, request_id: str, tasks: Sequence[SentTask]) -> list[TaskStatus]:
        by_id = {t.remote_id: t for t in tasks if t.remote_id}
        ids = list(by_id)
        data = self.calls.call("battery/tasks", {"task_ids": ids}, request_id=request_id, targets=ids)
        out = []
        for r in data:
            sent = by_id.get(r["task_id"])
            if sent is None:
                continue
            out.append(
                TaskStatus(
                    plant_code=sent.target.plant_code,
                    state=STATES.get(r["state"], TaskState.FAILED),
                    remote_id=r["task_id"],
                    charged_kwh=_kwh(r.get("charged_wh")),
                    discharged_kwh=_kwh(r.get("discharged_wh")),
                    exec_start=_at(r.get("started")),
                    exec_end=_at(r.get("ended")),
                    message=r.get("error") or "",
                )
            )
        return out

    def enrol_by_sn(self, items: Sequence[SnEnrolment]) -> list[EnrolmentResult]:
        return [EnrolmentResult(key=i.sn, success=False, error=SPEC.enrolment_hint) for i in items]

    def enrol_by_ac(self, codes: Sequence[str]) -> list[EnrolmentResult]:
        return discovery.enrol_by_ac(self.calls, codes)

    def list_plants(self) -> list[PlantInfo]:
        return discovery.list_plants(self.calls)

    def list_devices(self, plant_codes: Sequence[str]) -> list[DeviceInfo]:
        return discovery.list_devices(self.calls, plant_codes)

    def realtime_kpis(self, plant_codes: Sequence[str]) -> list[PlantKpi]:
        return discovery.realtime_kpis(self.calls, plant_codes)

    def close(self) -> None:
        self.calls.close()


def _kwh(wh) -> float | None:
    return None if wh is None else float(wh) / 1000


def _at(epoch) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)
