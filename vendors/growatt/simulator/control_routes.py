"""Growatt-specific ``/_sim/`` routes: the true state of the world, and misbehaviour switches.

Why: tests and benchmarks must know what the vendor API will not tell them (check codes of
not-yet-added dataloggers, the true SOC of every battery) and must be able to make plants misbehave.
simkit adds the common routes (reset, clock, faults, commands, stats, rate-limits).

Shapes follow the Huawei simulator's, with Growatt's numeric ``plantIds`` for its ``plantCodes``:

- ``GET  /_sim/plants?enrolled=0|1&account=&limit=&offset=`` -> ``{"total", "plants": [entry, ...]}``;
  enrolled plants first, then the pool of not-yet-added dataloggers (``plant_id`` null).
- ``GET  /_sim/plants/{plant_id}`` -> one entry (404 if unknown).
- ``GET  /_sim/accounts`` -> ``{"accounts": [{name, token, user_id, user_name, plants}]}``
- ``GET  /_sim/tokens`` -> ``{"tokens": {account: token}}``
- ``POST /_sim/expire-sessions`` ``{"accounts": [...]}`` (default all) -> ``{"expired": n, "tokens": {...}}``:
  tokens rotate to ``growatt-token-K-rN``; old ones answer 10011. ``/_sim/reset`` restores the originals.
- ``POST /_sim/plants/offline`` ``{"plantIds": [...]}``: dataloggers drop off; setters answer 10005
  "Collector dropped", reads show the data last sent, device/list shows ``lost`` 1. The batteries keep
  following their schedules, unseen.
- ``POST /_sim/plants/online`` ``{"plantIds": [...]}``: back; reads show the true present state.
- ``POST /_sim/plants/fail-tasks`` ``{"plantIds": [...]}``: setters answer 0 and are logged, but the
  device does nothing (only a read-back shows it).
- ``POST /_sim/plants/no-battery`` ``{"plantIds": [...]}``: the storage machine is gone (storageSet 10012,
  storage_last_data 10002, no type-2 device in device/list).
- ``POST /_sim/plants/under-deliver`` ``{"plantIds": [...], "share": 0-1}``: their machines run their
  windows at ``share`` of their rating from now on (0: the windows are taken and ignored).
- ``POST /_sim/plants/restore`` ``{"plantIds": [...]}``: undo the switches above.
- ``POST /_sim/plants/family`` ``{"plantIds": [...], "family": "storage"|"tlx"|"mix"|"spa"}``: the plants'
  units become hybrids of that family (MIN type 7, SPH type 5, SPA type 6; ``hybrid``) under new SNs, or SP
  machines again; ``/_sim/reset`` restores the start-up families (``--families``).
Each plant switch answers ``{"plantIds": [...]}`` and 400 when an ID is unknown.

The field profile (``field``, FIELD_NOTES.md):

- ``GET|POST /_sim/field`` ``{"profile": "field"|"document", <switch>: value, ...}`` -> the switches.
- ``POST /_sim/plants/clock`` ``{"plantIds": [...], "timezone": "UTC-03:30" | IANA name}``: the zone the
  plant's devices keep (their clock, and the "GMT-3:30" plant/details shows under the field profile); a
  fixed offset keeps it all year (FIELD_NOTES rows 1-2: the datalogger's clock does not follow DST).
- ``POST /_sim/plants/timezone`` ``{"plantIds": [...], "timezone": <any JSON>}``: what plant/details shows
  as ``timezone`` ("GMT-3:30", 8, "8", "PRC", "", null...); ``null`` with ``"clear": true`` undoes it.
- ``POST /_sim/plants/coordinates`` ``{"plantIds": [...], "latitude": v, "longitude": v}``: what the plant
  rows show ("" or 0 as the field does).
- ``POST /_sim/accounts/region`` ``{"accounts": [...], "region": "us"}``: their tokens belong to that
  region's server, served under ``/region/us/v1/...``; any other server answers 10011
  "error_permission_denied" (FIELD_NOTES row 25); ``""`` the main server again.
- ``POST /_sim/accounts/block`` ``{"accounts": [...], "hours": 24}``: every call answers 507 "Current
  account has been locked for 24 hours" with ``lockDuration`` until then; ``/_sim/accounts/unblock``.
- ``POST /_sim/answers`` ``{"kind": "html"|"truncated"|"wrong_type"|"code"|"empty"|"string_code",
  "path": "/v1/...", "times": 1, "code": 10099, "message": "..."}``: the next answers of that path are
  broken that way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from vendors import zones
from vendors.simkit import bad_request, read_json

from .battery import Schedule
from .context import SIM_KEY, Sim
from .field import BAD_KINDS, REGIONS, BadAnswer
from .hybrid import settle
from .readings import flows, seen_at
from .world import Plant, Unit


def unit_state(sim: Sim, unit: Unit) -> dict[str, Any]:
    now = sim.now()
    settle(unit, now)
    f = flows(unit, seen_at(unit, now), sim.world.seed)
    s: Schedule = unit.battery.schedule
    return {
        "datalogger_sn": unit.datalogger_sn,
        "check_code": unit.check_code,
        "inverter_sn": unit.inverter_sn,
        "storage_sn": unit.storage_sn,
        "timezone": zones.key(unit.zone),
        "device_type": unit.device_type,
        "family": unit.family,
        "vpp": {"percentage": unit.vpp_pct, "until": unit.vpp_end_t} if unit.vpp_end_t else None,
        "capacity_wh": unit.battery.capacity_wh,
        "max_power_w": unit.battery.power_w,
        "pv_peak_w": unit.pv_peak_w,
        "has_battery": unit.has_battery,
        "soc": round(unit.battery.at(now, unit.zone).soc, 4),
        "status": f.mode,
        "inverter_on": unit.inverter_on,
        "active_rate_pct": unit.active_rate_pct,
        "offline": unit.offline_since is not None,
        "fail_tasks": unit.fail_commands,
        "schedule": {
            "storage_on": s.on,
            "ac_charge_enabled": s.ac_enabled,
            "ac_charge_window_min": [s.ac_start_min, s.ac_end_min],
            "ac_charge_soc_limit": s.ac_soc_limit,
            "forced_discharge_enabled": s.fd_enabled,
            "forced_discharge_window_min": [s.fd_start_min, s.fd_end_min],
            "soc_floor": s.soc_floor,
        },
        "settings": unit.settings,
    }


FAMILIES = ("storage", "tlx", "mix", "spa")


async def set_family(request: web.Request) -> web.Response:
    body = await read_json(request)
    family = body.get("family")
    if family not in FAMILIES:
        return bad_request(f"family must be one of {', '.join(FAMILIES)}")
    return await _switch(lambda sim, unit: sim.world.set_family(unit, family))(request, body)


def _entry(sim: Sim, plant: Plant | None, units: list[Unit]) -> dict[str, Any]:
    states = [unit_state(sim, u) for u in units]
    first = states[0] if states else {}
    entry: dict[str, Any] = {
        "plant_id": plant.plant_id if plant else None,
        "enrolled": plant is not None,
        "account": plant.account.name if plant else None,
        "user_id": plant.account.user_id if plant else None,
        "name": plant.name if plant else None,
        "timezone": plant.timezone if plant else (units[0].site[0] if units else None),
    }
    keys = (
        "datalogger_sn",
        "check_code",
        "inverter_sn",
        "storage_sn",
        "soc",
        "status",
        "has_battery",
        "family",
    )
    for key in keys:
        entry[key] = first.get(key)
    entry["units"] = states
    return entry


def _list(sim: Sim, enrolled: str | None, account: str | None) -> list[tuple[Plant | None, list[Unit]]]:
    rows: list[tuple[Plant | None, list[Unit]]] = []
    if enrolled in (None, "", "1"):
        rows.extend(
            (p, p.units) for p in sim.world.plants.values() if not account or p.account.name == account
        )
    if enrolled in (None, "", "0") and not account:
        rows.extend((None, [u]) for u in sim.world.pool())
    return rows


def _offline(sim: Sim, unit: Unit) -> None:
    if unit.offline_since is None:
        unit.offline_since = sim.now()


def _online(sim: Sim, unit: Unit) -> None:
    unit.offline_since = None


def _fail_tasks(sim: Sim, unit: Unit) -> None:
    unit.fail_commands = True


def _no_battery(sim: Sim, unit: Unit) -> None:
    unit.has_battery = False


def _restore(sim: Sim, unit: Unit) -> None:
    unit.offline_since = None
    unit.fail_commands = False
    unit.has_battery = True
    _set_share(sim, unit, 1.0)


def _set_share(sim: Sim, unit: Unit, share: float) -> None:
    battery = unit.battery
    if battery.schedule.share != share:  # a checkpoint: what ran before keeps its own share
        battery.set_schedule(sim.now(), battery.schedule.changed(share=share), unit.zone)


async def under_deliver(request: web.Request) -> web.Response:
    body = await read_json(request)
    share = body.get("share")
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        return bad_request("share must be a number from 0 to 1")
    return await _switch(lambda sim, unit: _set_share(sim, unit, float(share)))(request, body)


def _switch(apply: Callable[[Sim, Unit], None]) -> Callable:
    async def handler(request: web.Request, body: dict | None = None) -> web.Response:
        sim = request.app[SIM_KEY]
        raw_ids = (body if body is not None else await read_json(request)).get("plantIds")
        if not isinstance(raw_ids, list) or not raw_ids:
            return bad_request("plantIds must be a non-empty list")
        chosen: list[Plant] = []
        unknown: list[Any] = []
        for raw in raw_ids:
            try:
                found = sim.world.plants.get(int(raw))
            except (TypeError, ValueError):
                found = None
            if found is None:
                unknown.append(raw)
            else:
                chosen.append(found)
        if unknown:
            return bad_request(f"unknown plantIds: {unknown}")
        for plant in chosen:
            for unit in plant.units:
                apply(sim, unit)
        return web.json_response({"plantIds": [p.plant_id for p in chosen]})

    return handler


async def list_plants(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    try:
        limit = int(request.query.get("limit", "100"))
        offset = int(request.query.get("offset", "0"))
    except ValueError:
        return bad_request("limit and offset must be integers")
    enrolled = request.query.get("enrolled")
    if enrolled not in (None, "", "0", "1"):
        return bad_request("enrolled must be 0 or 1")
    rows = _list(sim, enrolled, request.query.get("account"))
    page = [_entry(sim, p, units) for p, units in rows[offset : offset + max(limit, 0)]]
    return web.json_response({"total": len(rows), "plants": page})


async def get_plant(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    try:
        found = sim.world.plants.get(int(request.match_info["plant_id"]))
    except ValueError:
        found = None
    if found is None:
        return web.json_response({"error": "unknown plant id"}, status=404)
    return web.json_response(_entry(sim, found, found.units))


async def accounts(request: web.Request) -> web.Response:
    world = request.app[SIM_KEY].world
    rows = [
        {
            "name": a.name,
            "token": a.token,
            "user_id": a.user_id,
            "user_name": a.user_name,
            "plants": len(world.account_plants[a.name]),
        }
        for a in world.accounts.values()
    ]
    return web.json_response({"accounts": rows})


async def tokens(request: web.Request) -> web.Response:
    return web.json_response({"tokens": request.app[SIM_KEY].world.tokens()})


async def expire_sessions(request: web.Request) -> web.Response:
    world = request.app[SIM_KEY].world
    names = (await read_json(request)).get("accounts") or list(world.accounts)
    if not isinstance(names, list) or any(n not in world.accounts for n in names):
        return bad_request(f"accounts must name known accounts: {sorted(world.accounts)}")
    return web.json_response({"expired": len(names), "tokens": world.rotate_tokens(list(names))})


async def get_field(request: web.Request) -> web.Response:
    return web.json_response(request.app[SIM_KEY].field.to_json())


async def set_field(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    try:
        sim.field.update(await read_json(request))
    except ValueError as exc:
        return bad_request(str(exc))
    return web.json_response(sim.field.to_json())


def _plant_ids(sim: Sim, raw_ids: Any) -> list[int] | str:
    if not isinstance(raw_ids, list) or not raw_ids:
        return "plantIds must be a non-empty list"
    out = []
    for raw in raw_ids:
        try:
            plant_id = int(raw)
        except (TypeError, ValueError):
            return f"unknown plantIds: {[raw]}"
        if plant_id not in sim.world.plants:
            return f"unknown plantIds: {[raw]}"
        out.append(plant_id)
    return out


async def plants_timezone(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    body = await read_json(request)
    ids = _plant_ids(sim, body.get("plantIds"))
    if isinstance(ids, str):
        return bad_request(ids)
    if "timezone" not in body:
        return bad_request("timezone is required (any JSON value: what plant/details shows)")
    for plant_id in ids:
        if body.get("clear"):
            sim.field.timezone_overrides.pop(plant_id, None)
        else:
            sim.field.timezone_overrides[plant_id] = body["timezone"]
    return web.json_response({"plantIds": ids})


async def plants_clock(request: web.Request) -> web.Response:
    """The zone the plant's devices keep: an IANA name or a fixed ``UTC±HH:MM`` (FIELD_NOTES rows 1-2)."""
    sim = request.app[SIM_KEY]
    body = await read_json(request)
    ids = _plant_ids(sim, body.get("plantIds"))
    if isinstance(ids, str):
        return bad_request(ids)
    name = body.get("timezone")
    if not zones.is_known(name):
        return bad_request("timezone must be an IANA name or a fixed offset such as UTC-03:30")
    for plant_id in ids:
        sim.world.set_clock(sim.world.plants[plant_id], name)
    return web.json_response({"plantIds": ids, "timezone": name})


async def plants_coordinates(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    body = await read_json(request)
    ids = _plant_ids(sim, body.get("plantIds"))
    if isinstance(ids, str):
        return bad_request(ids)
    if "latitude" not in body or "longitude" not in body:
        return bad_request("latitude and longitude are required")
    for plant_id in ids:
        sim.field.coordinate_overrides[plant_id] = [body["latitude"], body["longitude"]]
    return web.json_response({"plantIds": ids})


def _accounts(sim: Sim, body: dict) -> list[str] | str:
    names = body.get("accounts")
    if not isinstance(names, list) or not names or any(n not in sim.world.accounts for n in names):
        return f"accounts must name known accounts: {sorted(sim.world.accounts)}"
    return names


async def block_accounts(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    body = await read_json(request)
    names = _accounts(sim, body)
    if isinstance(names, str):
        return bad_request(names)
    hours = body.get("hours", sim.field.block_hours)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
        return bad_request("hours must be a number > 0")
    for name in names:
        sim.field.blocked_until[name] = sim.now() + hours * 3600
    return web.json_response({"blocked_until": {n: sim.field.blocked_until[n] for n in names}})


async def account_region(request: web.Request) -> web.Response:
    """FIELD_NOTES row 25: the accounts' tokens belong to ``region``'s server ("" the main one)."""
    sim = request.app[SIM_KEY]
    body = await read_json(request)
    names = _accounts(sim, body)
    if isinstance(names, str):
        return bad_request(names)
    region = body.get("region")
    if region not in ("", *REGIONS):
        return bad_request(f"region must be one of {['', *REGIONS]}")
    for name in names:
        if region:
            sim.field.regions[name] = region
        else:
            sim.field.regions.pop(name, None)
    return web.json_response({"regions": dict(sim.field.regions)})


async def unblock_accounts(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    names = _accounts(sim, await read_json(request))
    if isinstance(names, str):
        return bad_request(names)
    for name in names:
        sim.field.blocked_until.pop(name, None)
        sim.field.refusals.pop(name, None)
    return web.json_response({"unblocked": names})


async def bad_answers(request: web.Request) -> web.Response:
    sim = request.app[SIM_KEY]
    body = await read_json(request)
    kind = body.get("kind")
    if kind not in BAD_KINDS:
        return bad_request(f"kind must be one of {', '.join(BAD_KINDS)}")
    times = body.get("times", 1)
    code = body.get("code", 10099)
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        return bad_request("times must be an integer >= 1")
    if isinstance(code, bool) or not isinstance(code, int):
        return bad_request("code must be an integer")
    path = body.get("path", "")
    if not isinstance(path, str) or (path and not path.startswith("/v1/")):
        return bad_request("path must be a /v1/... path or empty (every path)")
    message = str(body.get("message", "unknown error"))
    sim.field.bad_answers.append(BadAnswer(kind=kind, path=path, times=times, code=code, message=message))
    return web.json_response({"queued": [vars(b) for b in sim.field.bad_answers]})


def add_growatt_control_routes(app: web.Application) -> None:
    app.router.add_get("/_sim/field", get_field)
    app.router.add_post("/_sim/field", set_field)
    app.router.add_post("/_sim/plants/timezone", plants_timezone)
    app.router.add_post("/_sim/plants/clock", plants_clock)
    app.router.add_post("/_sim/plants/coordinates", plants_coordinates)
    app.router.add_post("/_sim/accounts/block", block_accounts)
    app.router.add_post("/_sim/accounts/region", account_region)
    app.router.add_post("/_sim/accounts/unblock", unblock_accounts)
    app.router.add_post("/_sim/answers", bad_answers)
    app.router.add_get("/_sim/accounts", accounts)
    app.router.add_get("/_sim/tokens", tokens)
    app.router.add_post("/_sim/expire-sessions", expire_sessions)
    app.router.add_post("/_sim/plants/offline", _switch(_offline))
    app.router.add_post("/_sim/plants/online", _switch(_online))
    app.router.add_post("/_sim/plants/fail-tasks", _switch(_fail_tasks))
    app.router.add_post("/_sim/plants/no-battery", _switch(_no_battery))
    app.router.add_post("/_sim/plants/restore", _switch(_restore))
    app.router.add_post("/_sim/plants/under-deliver", under_deliver)
    app.router.add_post("/_sim/plants/family", set_family)
    app.router.add_get("/_sim/plants", list_plants)
    app.router.add_get("/_sim/plants/{plant_id}", get_plant)
