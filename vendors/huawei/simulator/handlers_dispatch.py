"""Battery charge/discharge tasks and their status (# NBI V7 9.3.4, 9.3.5)."""

from __future__ import annotations

from typing import Any

from . import codes
from .dispatching import CHARGE, DISCHARGE, DURATION_CONTROL, SOC_CONTROL, STOP, Command, deliver, refusal
from .lookup import authorised_plants
from .protocol import ApiError, Body, as_int, as_number, code_list, interface, ok
from .state import HuaweiSim
from .tasks import ChargeTask

MAX_PLANTS = 100
ENDPOINT = "/rest/openapi/pvms/v1/vpp/chargeAndDischarge"


def parse_command(body: Body) -> Command:
    """Validate the 9.3.4 parameters, in the order of its error code list."""
    switch = as_int(body.get("dispatchSwitch"))
    if switch not in (STOP, CHARGE, DISCHARGE):
        raise ApiError(codes.DISPATCH_PARAM_INVALID, "dispatchSwitch must be 0, 1 or 2.")
    control_type: int | None = None
    target_soc: float | None = None
    duration_min: int | None = None
    if switch != STOP:
        raw_type = body.get("controlType")
        if raw_type is None or raw_type == "":
            raise ApiError(codes.CONTROL_TYPE_EMPTY)
        control_type = as_int(raw_type)
        if control_type not in (SOC_CONTROL, DURATION_CONTROL):
            raise ApiError(codes.DISPATCH_PARAM_INVALID, "controlType must be 1 (SOC) or 2 (duration).")
        if control_type == SOC_CONTROL:
            target_soc = as_number(body.get("targetSOC"))
            if target_soc is None or not 0.0 <= target_soc <= 100.0:
                raise ApiError(codes.TARGET_SOC_INVALID)
        else:
            duration_min = as_int(body.get("dispatchTime"))
            if duration_min is None or not 0 <= duration_min <= 1440:  # [0,1440] minutes
                raise ApiError(codes.DURATION_INVALID)
    power_w: int | None = None
    raw_power = body.get("powerDispatch")
    if raw_power is not None and raw_power != "" and switch != STOP:
        power_w = as_int(raw_power)
        # "greater than 0 during forced charge and smaller than 0 during forced discharge"
        if power_w is None or (switch == CHARGE and power_w <= 0) or (switch == DISCHARGE and power_w >= 0):
            raise ApiError(codes.POWER_INVALID)
    return Command(switch, control_type, target_soc, duration_min, power_w)


def parse_request_id(body: Body) -> int:
    raw = body.get("requestID")
    if raw is None or raw == "":
        raise ApiError(codes.REQUEST_ID_EMPTY)
    request_id = as_int(raw)
    if request_id is None:
        raise ApiError(codes.DISPATCH_PARAM_INVALID, "requestID must be a Long.")
    return request_id


@interface("charge_discharge")
def charge_and_discharge(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/chargeAndDischarge."""
    plant_codes = code_list(
        body.get("plantCodes"),
        codes.PLANT_LIST_EMPTY,
        max_items=MAX_PLANTS,
        too_many_code=codes.TOO_MANY_PLANTS,
    )
    command = parse_command(body)
    request_id = parse_request_id(body)
    plants = authorised_plants(sim, account, plant_codes, codes.UNAUTHORIZED_PLANTS)
    if request_id in sim.charge_tasks:
        # NBI V7 9.3.4: "The value of requestID must be unique." Nothing is re-sent to any device.
        raise ApiError(codes.DUPLICATE_REQUEST_ID)
    now = sim.now()
    refusals = {p.code: refusal(sim, p, command, now) for p in plants}
    if all(reason is not None for reason in refusals.values()):
        if all(reason == "no_battery" for reason in refusals.values()):
            raise ApiError(codes.NO_OPERABLE_BATTERY)
        raise ApiError(codes.DISPATCH_FAILED)
    task = ChargeTask(request_id=request_id, account=account, params=_params(body))
    sim.charge_tasks[request_id] = task
    data: list[dict[str, Any]] = []
    for plant in plants:
        if refusals[plant.code] is not None:
            data.append(
                {"plantCode": plant.code, "sn": plant.inverters[0].sn, "dispatchResult": 1, "remoteID": None}
            )
            continue
        sub = deliver(sim, plant, command, now)
        task.subtasks.append(sub)
        data.append(
            {"plantCode": plant.code, "sn": sub.inverter_sn, "dispatchResult": 0, "remoteID": sub.remote_id}
        )
    sim.core.commands.append(
        account=account,
        endpoint=ENDPOINT,
        request_id=str(request_id),
        targets=[s.plant_code for s in task.subtasks],
        params=task.params,
    )
    return ok(data)


def _params(body: Body) -> dict[str, Any]:
    keys = ("dispatchSwitch", "controlType", "targetSOC", "dispatchTime", "powerDispatch")
    return {k: body.get(k) for k in keys if body.get(k) is not None}


@interface("charge_discharge_status")
def charge_and_discharge_status(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/chargeAndDischargeStatus {requestID}: one task per call."""
    raw = body.get("requestID")
    if raw is None or raw == "":
        raise ApiError(codes.REQUEST_ID_EMPTY)
    task = sim.charge_tasks.get(as_int(raw))  # type: ignore[arg-type]
    if task is None or task.account != account:
        raise ApiError(codes.TASK_NOT_FOUND)
    now = sim.now()
    return ok([sub.reported(now, sim.world.plants[sub.plant_code]) for sub in task.subtasks])
