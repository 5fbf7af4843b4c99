"""Default task, rated data and DRM (# NBI V7 9.6.1.3 - 9.6.1.7), the grid-code side of a VPP.

Default and DRM tasks report "0" executing, then "1" successful or "2" failed (String statuses, as the
document gives them). DRM only works where inverters connect directly or through SDongles: "This
function is unavailable if SmartLoggers are connected to a plant" (# NBI V7 9.6.1.6).
"""

from __future__ import annotations

from typing import Any

from . import codes
from .lookup import authorised_plants
from .protocol import ApiError, Body, as_number, code_list, interface, ok
from .state import HuaweiSim
from .tasks import DefaultItem, DefaultTask, DrmTask
from .world import iso_local

MAX_PLANTS = 100
MAX_DRM_INVERTERS = 200
MAX_TASK_IDS = 100
PREFIX = "/rest/openapi/pvms/v1/vpp/"
GRADIENT_RANGE = (0.1, 5000.0)  # NBI V7 9.6.1.3 activePowerVariationGradient
MIN_FEED_GRID_KW = -1000.0  # NBI V7 9.6.1.3 maxFeedGridPower: [-1000, plant capacity]
DRM_KEYS = ("drm0", "drm1", "drm5")


def _default_result(
    sim: HuaweiSim, task: dict[str, Any], now: float
) -> tuple[int, float | None, float | None]:
    """Per-plant delivery result of a default task: (result code, maxFeedGridPower, gradient)."""
    plant = sim.world.plants[task["plantCode"]]
    raw_feed, raw_gradient = task.get("maxFeedGridPower"), task.get("activePowerVariationGradient")
    if raw_feed in (None, "") and raw_gradient in (None, ""):
        return codes.VALUE_EMPTY, None, None  # "At least one of ... must be set."
    feed = None if raw_feed in (None, "") else as_number(raw_feed)
    gradient = None if raw_gradient in (None, "") else as_number(raw_gradient)
    if (raw_feed not in (None, "") and feed is None) or (raw_gradient not in (None, "") and gradient is None):
        return codes.VALUE_OUT_OF_RANGE, None, None
    if feed is not None and not MIN_FEED_GRID_KW <= feed <= plant.capacity_kwp:
        return codes.VALUE_OUT_OF_RANGE, None, None
    if gradient is not None and not GRADIENT_RANGE[0] <= gradient <= GRADIENT_RANGE[1]:
        return codes.VALUE_OUT_OF_RANGE, None, None
    if not plant.online:
        return codes.NETWORK_ABNORMAL, None, None
    running = sim.latest_default.get(plant.code)
    if running is not None and running.status_at(now)[0] == "0":
        return codes.SAME_TASK_RUNNING, None, None
    # "Only three decimal places are allowed ... it will be rounded off."
    return (
        codes.OK,
        (round(feed, 3) if feed is not None else None),
        (round(gradient, 3) if gradient is not None else None),
    )


@interface("default_setting")
def plant_default_setting(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/plantDefaultSetting {tasks: [{plantCode, maxFeedGridPower?,
    activePowerVariationGradient?}]}."""
    tasks = body.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise ApiError(codes.TASK_LIST_EMPTY)
    if len(tasks) > MAX_PLANTS:
        raise ApiError(codes.TOO_MANY_PLANTS, "The number of transferred PV plants exceeds 100.")
    if not all(isinstance(t, dict) and isinstance(t.get("plantCode"), str) and t["plantCode"] for t in tasks):
        raise ApiError(codes.VALUE_EMPTY, "plantCode is mandatory in every task.")
    plant_codes = [t["plantCode"] for t in tasks]
    if len(set(plant_codes)) != len(plant_codes):
        raise ApiError(codes.DUPLICATE_PLANTS)
    authorised_plants(sim, account, plant_codes, codes.UNAUTHORIZED_PLANTS)
    now = sim.now()
    results, items = [], []
    for task in tasks:
        result, feed, gradient = _default_result(sim, task, now)
        results.append({"plantCode": task["plantCode"], "result": result})
        if result == codes.OK:
            plant = sim.world.plants[task["plantCode"]]
            items.append(DefaultItem(plant.code, feed, gradient, now, fails=plant.fail_tasks))
    if not items:
        raise ApiError(codes.DEFAULT_ALL_FAILED, data={"requestId": None, "tasks": results})
    request_id = sim.next_id(1299460682406572)
    sim.default_tasks[request_id] = DefaultTask(request_id=request_id, account=account, items=items)
    for item in items:
        sim.latest_default[item.plant_code] = item
        if not item.fails:
            plant = sim.world.plants[item.plant_code]
            plant.max_feed_grid_power_kw = item.max_feed_grid_power
            plant.active_power_gradient = item.active_power_gradient
    sim.core.commands.append(
        account=account,
        endpoint=PREFIX + "plantDefaultSetting",
        request_id=request_id,
        targets=[i.plant_code for i in items],
        params={"tasks": [{k: v for k, v in t.items() if k != "plantCode"} for t in tasks]},
    )
    return ok({"requestId": request_id, "tasks": results}, "Plant default settings task sent successfully.")


@interface("default_setting_status")
def plant_default_setting_status(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/plantDefaultSettingStatus {requestId, plantCodes?}."""
    request_id = body.get("requestId")
    if request_id is None or request_id == "":
        raise ApiError(codes.TASK_ID_EMPTY)
    task = sim.default_tasks.get(str(request_id))
    items = task.items if task is not None and task.account == account else []
    raw_codes = body.get("plantCodes")
    if isinstance(raw_codes, str) and raw_codes.strip():
        # "If both requestid and plantCodes are transferred, the intersection ... is used."
        wanted = set(code_list(raw_codes, codes.PLANT_LIST_EMPTY))
        items = [i for i in items if i.plant_code in wanted]
    if not items:
        raise ApiError(codes.DEFAULT_QUERY_EMPTY, "Get 0 records by this requestId and plantCodes")
    now = sim.now()
    data = []
    for item in items:
        tz = sim.world.plants[item.plant_code].tz
        status, applied = item.status_at(now)
        data.append(
            {
                "plantCode": item.plant_code,
                "status": status,
                "maxFeedGridPower": item.max_feed_grid_power,
                "activePowerVariationGradient": item.active_power_gradient,
                "receivedTime": iso_local(item.received_at, tz),
                "appliedTime": iso_local(applied, tz),
            }
        )
    return ok(data, "Plant default setting task status query succeeded")


@interface("rated_data")
def plant_rated_data(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/plantRatedData {plantCodes}."""
    plant_codes = code_list(
        body.get("plantCodes"),
        codes.PLANT_LIST_EMPTY,
        max_items=MAX_PLANTS,
        too_many_code=codes.TOO_MANY_PLANTS,
    )
    plants = authorised_plants(sim, account, plant_codes, codes.UNAUTHORIZED_PLANTS)
    rated = []
    for plant in plants:
        active_kw = plant.inverter_power_w / 1000.0
        rated.append(
            {
                "plantCode": plant.code,
                "ratedActivePower": round(active_kw, 3),
                "ratedApparentPower": round(active_kw * 1.1, 3),
                "ratedReactivePowerP": round(active_kw * 0.6, 3),
                "ratedReactivePowerN": round(active_kw * 0.6, 3),
            }
        )
    return ok({"total": len(rated), "plantRatedData": rated}, "Plants are successfully queried.")


def _drm_settings(raw: Any) -> dict[str, str]:
    """``drms`` is a List in the table but an object in the example: accept both (one element)."""
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if not isinstance(raw, dict) or not raw:
        raise ApiError(codes.VALUE_EMPTY, "drms is mandatory.")
    settings = {}
    for key in DRM_KEYS:
        value = raw.get(key)
        if value is None or value == "":
            raise ApiError(codes.VALUE_EMPTY, f"drms.{key} is mandatory.")
        text = str(value).lower()
        if text not in ("true", "false"):
            raise ApiError(codes.VALUE_OUT_OF_RANGE, f"drms.{key} must be true or false.")
        settings[key] = text
    return settings


@interface("drm")
def drm(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/drm {plantcodes, drms: {drm0, drm1, drm5}}."""
    # The document spells the request field "plantcodes"; "plantCodes" is accepted too.
    raw_codes = body.get("plantcodes", body.get("plantCodes"))
    plant_codes = code_list(
        raw_codes,
        codes.INVERTER_CONTROL_PARAM,
        max_items=MAX_PLANTS,
        too_many_code=codes.INVERTER_CONTROL_PARAM,
    )
    settings = _drm_settings(body.get("drms"))
    plants = authorised_plants(sim, account, plant_codes, codes.UNAUTHORIZED_PLANTS)
    if sum(len(p.inverters) for p in plants) > MAX_DRM_INVERTERS:
        raise ApiError(codes.INVERTER_CONTROL_PARAM, "The total number of inverters is greater than 200.")
    drm_text = ",".join(f"{k}={v}" for k, v in settings.items())
    now = sim.now()
    data, done = [], []
    for plant in plants:
        if plant.has_smartlogger or not plant.online:
            data.append({"remoteId": None, "plantcode": plant.code, "drm": drm_text, "result": 1})
            continue
        remote_id = sim.next_id(5720350070339601)
        sim.drm_tasks[remote_id] = DrmTask(
            remote_id=remote_id,
            account=account,
            plant_code=plant.code,
            drm=drm_text,
            inverter_dns=[inv.dn for inv in plant.inverters],
            received_at=now,
            fails=plant.fail_tasks,
        )
        if not plant.fail_tasks:
            plant.drm = drm_text
        data.append({"remoteId": remote_id, "plantcode": plant.code, "drm": drm_text, "result": 0})
        done.append(plant.code)
    if done:
        sim.core.commands.append(
            account=account, endpoint=PREFIX + "drm", request_id=None, targets=done, params=dict(settings)
        )
    return ok(data, "Operation success")


@interface("drm_status")
def drm_status(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/drmStatus {remoteIds}."""
    # The document's text reads "remotelds" (an OCR'd "remoteIds"); both spellings are accepted.
    raw = body.get("remoteIds", body.get("remotelds"))
    ids = code_list(raw, codes.TASK_ID_EMPTY, max_items=MAX_TASK_IDS, too_many_code=codes.TOO_MANY_TASK_IDS)
    tasks = []
    for remote_id in ids:
        task = sim.drm_tasks.get(remote_id)
        if task is None or task.account != account:
            raise ApiError(codes.TASK_ID_NOT_FOUND, f"RemoteIds does not exist ({remote_id})")
        tasks.append(task)
    now = sim.now()
    data = []
    for task in tasks:
        tz = sim.world.plants[task.plant_code].tz
        status, applied = task.status_at(now)
        data.append(
            {
                "remoteId": task.remote_id,
                "plantCode": task.plant_code,
                "devicesStatusInfo": [
                    {
                        "dn": dn,
                        "receivedTime": iso_local(task.received_at, tz),
                        "appliedTime": iso_local(applied, tz),
                        "status": status,
                    }
                    for dn in task.inverter_dns
                ],
            }
        )
    return ok(data, "Plant DRM task status query succeeded")
