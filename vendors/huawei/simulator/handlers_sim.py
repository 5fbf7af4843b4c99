"""Huawei-specific control routes under ``/_sim/`` (the common ones come from simkit).

- ``POST /_sim/expire-sessions``           every XSRF-TOKEN becomes invalid: next call answers 305
- ``POST /_sim/plants/offline``   {plantCodes}   disconnected: battery holds, running tasks can only
  time out (24 h), KPIs show healthState 1, DoD/devOnOff/EMS/DRM fail for them
- ``POST /_sim/plants/online``    {plantCodes}   reconnected (stalled tasks stay stalled)
- ``POST /_sim/plants/fail-tasks`` {plantCodes}  running tasks end with status 2; new charge/discharge,
  default and DRM tasks for these plants fail too
- ``POST /_sim/plants/no-battery`` {plantCodes}  no operable battery: dispatchResult 1, or 20053 when
  no plant of a request has one
- ``POST /_sim/plants/under-deliver`` {plantCodes, share}  their batteries give ``share`` (0-1) of the
  commanded power from the next command on (0: accepted and ignored); the task reports as usual
- ``POST /_sim/plants/restore``   {plantCodes}   undo the switches above
- ``GET  /_sim/plants?enrolled=0|1&account=&limit=&offset=`` true state, incl. SOC, SNs, owner, AC
- ``GET  /_sim/plants/{plantCode}``        one plant's true state
- ``GET  /_sim/accounts``                  northbound accounts, passwords and plant counts
- ``GET  /_sim/field``                     the field profile's switches and armed provocations
- ``POST /_sim/field`` {switch: value, ...} or {"profile": "field"|"document"}: change switches
- ``POST /_sim/field/provoke`` {kind, paths?, count?}: the next ``count`` calls of ``paths`` answer
  ``kind`` (quota403, html, truncated, wrong_type, unknown_code, empty, no_fail_code)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from vendors.simkit import bad_request, read_json

from .dispatching import end_running, stall_running
from .field import FieldSwitches
from .state import SIM_KEY, HuaweiSim
from .tasks import FAILED
from .world import Plant


def plant_state(sim: HuaweiSim, plant: Plant, now: float) -> dict[str, Any]:
    battery = plant.battery
    latest = sim.latest_subtask.get(plant.code)
    return {
        "plantCode": plant.code,
        "plantName": plant.name,
        "account": plant.account,
        "enrolled": plant.account is not None,
        "timezone": plant.tz,
        "latitude": plant.latitude,
        "longitude": plant.longitude,
        "capacityKwp": plant.capacity_kwp,
        "online": plant.online,
        "failTasks": plant.fail_tasks,
        "batteryOperable": plant.battery_operable,
        "deliverShare": plant.deliver_share,
        "hasSmartLogger": plant.has_smartlogger,
        "owner": {"username": plant.owner.username, "email": plant.owner.email, "phone": plant.owner.phone},
        "authorizationCode": plant.authorization_code,
        "enrolmentSns": sorted(plant.enrolment_sns()),
        "devices": [
            {"dn": d.dn, "sn": d.sn, "deviceTypeId": d.type_id, "name": d.name, "model": d.model, "on": d.on}
            for d in plant.devices
        ],
        "battery": None
        if battery is None
        else {
            "dn": battery.dn,
            "sn": battery.sn,
            "ratedKwh": battery.rated_kwh,
            "soc": round(battery.soc(now), 3),
            "powerW": battery.power_w(now),
            "dod": battery.dod,
            "maxChargeW": battery.max_charge_w,
            "maxDischargeW": battery.max_discharge_w,
            "soh": battery.soh,
        },
        "emsControlType": plant.ems_control_type,
        "drm": plant.drm,
        "maxFeedGridPower": plant.max_feed_grid_power_kw,
        "activePowerVariationGradient": plant.active_power_gradient,
        "latestTask": None
        if latest is None
        else {
            "remoteID": latest.remote_id,
            "dispatchSwitch": latest.dispatch_switch,
            "receivedAt": latest.received_at,
            "trueStatus": latest.state_at(now)[0],
        },
    }


def _plant_codes(sim: HuaweiSim, body: dict[str, Any]) -> list[Plant] | web.Response:
    raw = body.get("plantCodes")
    if isinstance(raw, str):
        raw = [c.strip() for c in raw.split(",") if c.strip()]
    if not isinstance(raw, list) or not raw:
        return bad_request("plantCodes must be a non-empty list")
    unknown = [c for c in raw if c not in sim.world.plants]
    if unknown:
        return bad_request(f"unknown plant codes: {unknown[:10]}")
    return [sim.world.plants[c] for c in raw]


def _switch(apply: Callable[[HuaweiSim, Plant, float], None]) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        sim = request.app[SIM_KEY]
        plants = _plant_codes(sim, await read_json(request))
        if isinstance(plants, web.Response):
            return plants
        now = sim.now()
        for plant in plants:
            apply(sim, plant, now)
        return web.json_response({"plantCodes": [p.code for p in plants]})

    return handler


def _offline(sim: HuaweiSim, plant: Plant, now: float) -> None:
    if plant.online:
        stall_running(sim, plant, now)
        plant.online, plant.offline_since = False, now


def _online(sim: HuaweiSim, plant: Plant, now: float) -> None:
    plant.online, plant.offline_since = True, None


def _fail_tasks(sim: HuaweiSim, plant: Plant, now: float) -> None:
    plant.fail_tasks = True
    end_running(sim, plant, now, FAILED, "The device failed to execute the task.")


def _no_battery(sim: HuaweiSim, plant: Plant, now: float) -> None:
    plant.battery_operable = False
    end_running(sim, plant, now, FAILED, "There is no operable battery.")


def _restore(sim: HuaweiSim, plant: Plant, now: float) -> None:
    _online(sim, plant, now)
    plant.fail_tasks, plant.battery_operable = False, True
    plant.deliver_share = 1.0


async def under_deliver(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    body = await read_json(request)
    share = body.get("share")
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        return bad_request("share must be a number from 0 to 1")
    plants = _plant_codes(sim, body)
    if isinstance(plants, web.Response):
        return plants
    for plant in plants:
        plant.deliver_share = float(share)
    return web.json_response({"plantCodes": [p.code for p in plants], "share": share})


async def expire_sessions(request: web.Request) -> web.Response:
    return web.json_response({"expired": request.app[SIM_KEY].sessions.expire_all()})


async def list_plants(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    q = request.query
    try:
        limit = int(q.get("limit", "100"))
        offset = int(q.get("offset", "0"))
    except ValueError:
        return bad_request("limit and offset must be integers")
    plants: Any = sim.world.plants.values()
    if q.get("enrolled") in ("0", "1"):
        want = q["enrolled"] == "1"
        plants = (p for p in plants if (p.account is not None) == want)
    if q.get("account"):
        plants = (p for p in plants if p.account == q["account"])
    selected = list(plants)
    now = sim.now()
    page = [plant_state(sim, p, now) for p in selected[offset : offset + limit]]
    return web.json_response({"total": len(selected), "plants": page})


async def get_plant(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    plant = sim.world.plants.get(request.match_info["plant_code"])
    if plant is None:
        return web.json_response({"error": "unknown plant code"}, status=404)
    return web.json_response(plant_state(sim, plant, sim.now()))


async def accounts(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    return web.json_response(
        {
            "accounts": [
                {"username": u, "password": p, "plants": len(sim.world.plants_of(u))}
                for u, p in sim.world.accounts.items()
            ]
        }
    )


def _field_state(sim: HuaweiSim) -> dict[str, Any]:
    return {
        "profile": sim.field.profile,
        "switches": sim.field.switches.to_json(),
        "provocations": [
            {"kind": p.kind, "paths": p.paths, "remaining": p.remaining} for p in sim.field.provocations
        ],
    }


async def get_field(request: web.Request) -> web.Response:
    return web.json_response(_field_state(request.app[SIM_KEY]))


async def set_field(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    body = await read_json(request)
    profile = body.pop("profile", None)
    try:
        switches = FieldSwitches.for_profile(profile) if profile is not None else sim.field.switches
        switches.update(body)
    except ValueError as exc:
        return bad_request(str(exc))
    sim.field.switches = switches
    if profile is not None:
        sim.field.profile = profile
    return web.json_response(_field_state(sim))


async def provoke(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    body = await read_json(request)
    try:
        sim.field.provoke(body.get("kind"), body.get("paths", []), body.get("count", 1))
    except ValueError as exc:
        return bad_request(str(exc))
    return web.json_response(_field_state(sim))


def add_huawei_control_routes(app: web.Application) -> None:
    app.router.add_get("/_sim/field", get_field)
    app.router.add_post("/_sim/field", set_field)
    app.router.add_post("/_sim/field/provoke", provoke)
    app.router.add_post("/_sim/expire-sessions", expire_sessions)
    app.router.add_post("/_sim/plants/offline", _switch(_offline))
    app.router.add_post("/_sim/plants/online", _switch(_online))
    app.router.add_post("/_sim/plants/fail-tasks", _switch(_fail_tasks))
    app.router.add_post("/_sim/plants/no-battery", _switch(_no_battery))
    app.router.add_post("/_sim/plants/restore", _switch(_restore))
    app.router.add_post("/_sim/plants/under-deliver", under_deliver)
    app.router.add_get("/_sim/plants", list_plants)
    app.router.add_get("/_sim/plants/{plant_code}", get_plant)
    app.router.add_get("/_sim/accounts", accounts)
