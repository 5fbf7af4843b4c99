"""The control plane every simulator shares, under ``/_sim/`` (JSON in, JSON out).

Same shapes in every vendor simulator so one ``SimControl`` client drives them all:

- ``POST /_sim/reset``            -> ``{"ok": true}``; world rebuilt from the same seed and args
- ``GET  /_sim/commands?since=N`` -> ``{"commands": [{seq, sim_time, account, endpoint, request_id,
  targets, params}, ...]}``
- ``GET  /_sim/stats``            -> ``{"accounts": {acct: {path: {requests, rate_limited, errors_5xx,
  drops}}}, "totals": {...}}``
- ``GET  /_sim/faults`` / ``POST /_sim/faults`` body ``FaultConfig`` fields (``{}`` clears) -> the config
- ``GET  /_sim/clock``            -> ``{sim_time, sim_time_ms, iso, speed, offset_s, start_epoch}``
- ``POST /_sim/clock/advance`` ``{"seconds": N}`` -> the clock after the jump
- ``POST /_sim/clock/speed`` ``{"speed": X}`` -> the clock; 0 pauses (only ``advance`` moves it)
- ``GET  /_sim/rate-limits`` / ``POST /_sim/rate-limits`` ``{"enabled": bool}`` -> ``{"enabled": bool}``
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .core import AccountOf, SimCore, sim_middleware
from .faults import FaultConfig

CORE_KEY = web.AppKey("simkit_core", SimCore)


async def read_json(request: web.Request) -> dict[str, Any]:
    """The body as a dict ({} when empty); a 400 with a reason when it is not a JSON object."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise web.HTTPBadRequest(text=json.dumps({"error": f"invalid JSON: {exc}"})) from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "body must be a JSON object"}))
    return body


def bad_request(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)


def add_control_routes(
    app: web.Application, core: SimCore, *, on_reset: Callable[[], None] | None = None
) -> None:
    """Register the common ``/_sim/`` routes on ``app``; ``on_reset`` rebuilds the vendor world."""
    app[CORE_KEY] = core

    async def reset(request: web.Request) -> web.Response:
        core.reset()
        if on_reset is not None:
            on_reset()
        return web.json_response({"ok": True})

    async def commands(request: web.Request) -> web.Response:
        try:
            since = int(request.query.get("since", "0"))
        except ValueError:
            return bad_request("since must be an integer")
        return web.json_response({"commands": core.commands.entries(since)})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(core.stats.snapshot())

    async def get_faults(request: web.Request) -> web.Response:
        return web.json_response(core.faults.config.to_json())

    async def set_faults(request: web.Request) -> web.Response:
        try:
            config = FaultConfig.from_json(await read_json(request))
        except (TypeError, ValueError) as exc:
            return bad_request(str(exc))
        core.faults.configure(config)
        return web.json_response(config.to_json())

    async def clock(request: web.Request) -> web.Response:
        return web.json_response(core.clock.snapshot())

    async def advance(request: web.Request) -> web.Response:
        seconds = (await read_json(request)).get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            return bad_request("seconds must be a number >= 0")
        core.clock.advance(seconds)
        return web.json_response(core.clock.snapshot())

    async def speed(request: web.Request) -> web.Response:
        value = (await read_json(request)).get("speed")
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            return bad_request("speed must be a number >= 0")
        core.clock.set_speed(value)
        return web.json_response(core.clock.snapshot())

    async def get_rate_limits(request: web.Request) -> web.Response:
        return web.json_response({"enabled": core.limiter.enabled})

    async def set_rate_limits(request: web.Request) -> web.Response:
        enabled = (await read_json(request)).get("enabled")
        if not isinstance(enabled, bool):
            return bad_request("enabled must be true or false")
        core.limiter.enabled = enabled
        return web.json_response({"enabled": enabled})

    app.router.add_post("/_sim/reset", reset)
    app.router.add_get("/_sim/commands", commands)
    app.router.add_get("/_sim/stats", stats)
    app.router.add_get("/_sim/faults", get_faults)
    app.router.add_post("/_sim/faults", set_faults)
    app.router.add_get("/_sim/clock", clock)
    app.router.add_post("/_sim/clock/advance", advance)
    app.router.add_post("/_sim/clock/speed", speed)
    app.router.add_get("/_sim/rate-limits", get_rate_limits)
    app.router.add_post("/_sim/rate-limits", set_rate_limits)


def make_app(
    core: SimCore,
    *,
    on_reset: Callable[[], None] | None = None,
    account_of: AccountOf | None = None,
    client_max_size: int = 4 * 1024 * 1024,
) -> web.Application:
    """An aiohttp app with the simkit middleware and the common ``/_sim/`` routes; add vendor routes."""
    app = web.Application(middlewares=[sim_middleware(core, account_of)], client_max_size=client_max_size)
    add_control_routes(app, core, on_reset=on_reset)
    return app
