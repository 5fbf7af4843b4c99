"""The simulator's shared state and the wrapper every vendor endpoint goes through.

Why a wrapper: each Growatt endpoint authenticates by the ``token`` header (# Growatt 3.1), reads
urlencoded parameters (also from a GET body) and answers the ``{data, error_code, error_msg}`` envelope
with HTTP 200 even on errors; doing that once keeps the handlers to the endpoint's own rules.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import MultiDict

from vendors.simkit import SimCore

from . import field as fieldmod
from .field import Field
from .protocol import PERMISSION_DENIED, GrowattError, answer, read_params
from .world import Account, World

REPEAT_WINDOW_S = 300.0
"""Identical setting requests (same device, type and values) within 5 minutes are refused with 10012."""


class TopLevel(dict):
    """An answer whose fields sit beside ``error_code`` rather than in ``data`` (device/vpp/getSocData:
    GrowattPublicApiPy ``vpp/vpp.py`` soc() shows ``{"error_code": 0, "soc": 65.0, ...}``)."""


@dataclass
class Sim:
    """Everything a handler needs: the simkit core (clock, log, stats, limiter) and the world."""

    core: SimCore
    world: World
    repeat_window_s: float = REPEAT_WINDOW_S
    field: Field = field(default_factory=Field)
    """The field profile (``field``): what the live cloud does beyond the document."""

    def now(self) -> float:
        return self.core.clock.now()

    def account_of(self, request: web.Request) -> str | None:
        """For simkit's stats: the account whose token the request carries."""
        account = self.world.by_token.get(request.headers.get("token", ""))
        return account.name if account else None


SIM_KEY = web.AppKey("growatt_sim", Sim)

Handler = Callable[[Sim, Account, MultiDict[str]], Any]
"""``handler(sim, account, params) -> data``; raises GrowattError to answer an error code."""


DAY_S = 86_400.0
SETTERS = frozenset(
    {"/v1/storageSet", "/v1/inverterSet", "/v1/tlxSet", "/v1/mixSet", "/v1/spaSet", "/v1/vppRemoteSetNew",
     "/v1/vppSetNew"}
)  # their own repeat rule (``setters``)  # fmt: skip
LARGE_PAGES = frozenset({"/v1/device/storage/storage_data"})  # 4.3.14: perpage up to 1000


def endpoint(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Turn ``handler(sim, account, params) -> data`` into an aiohttp handler with auth and envelope.

    Under the field profile (``field``) it also applies what the live cloud does to every call, in this
    order: the 24 h account block, a queued broken answer (``/_sim/answers``), the paging limits, the
    5-minute repeat rule on every call, the daily plant-list budget; then numbers as strings.
    """

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        sim = request.app[SIM_KEY]
        params = await read_params(request)
        account = sim.world.by_token.get(request.headers.get("token", "").strip())
        if account is None:
            return answer(code=PERMISSION_DENIED, message="Permission denied: missing or invalid token")
        region = request.match_info.get("region", "")
        if sim.field.regions.get(account.name, "") != region:
            # FIELD_NOTES row 25: a token of another region's server is refused.
            return answer(code=PERMISSION_DENIED, message=fieldmod.WRONG_REGION_MESSAGE)
        path = request.path.removeprefix(f"/region/{region}") if region else request.path
        try:
            broken = _field_checks(sim, account, path, params)
            if broken is not None:
                return broken
            data = handler(sim, account, params)
        except GrowattError as exc:
            if exc.rate_limited:
                sim.core.stats.rate_limited(account.name, request.path)
                _count_refusal(sim, account)
            return answer(exc.data, code=exc.code, message=exc.message)
        if sim.field.numbers_as_strings and path in fieldmod.STRING_NUMBER_PATHS:
            data = fieldmod.stringify(data, lost_as_bool=path == "/v1/device/list")
        if isinstance(data, TopLevel):
            return web.json_response({"error_code": 0, "error_msg": "", **data})
        return answer(data)

    return wrapped


def _field_checks(sim: Sim, account: Account, path: str, params: MultiDict[str]) -> web.Response | None:
    f, now, limiter = sim.field, sim.now(), sim.core.limiter
    until = f.blocked_until.get(account.name)
    if until is not None and now < until:
        # HA core PR 142874: the lock answer carries lockDuration in hours, 24 at first.
        hours = math.ceil((until - now) / 3600)
        return answer({"lockDuration": hours}, code=fieldmod.BLOCKED_CODE, message=fieldmod.BLOCKED_MESSAGE)
    bad = f.take_bad_answer(path)
    if bad is not None:
        return _broken(bad)
    if f.paging_limits and path not in LARGE_PAGES:
        # growattServer exceptions.py: 10013 "the number per page cannot be greater than 100", 10014
        # "the number of pages cannot be greater than 250" (general codes).
        if _int(params.get("perpage")) > 100:
            raise GrowattError(10013, "The number per page cannot be greater than 100")
        if _int(params.get("page")) > 250:
            raise GrowattError(10014, "The number of pages cannot be greater than 250")
    if f.repeat_every_call and limiter.enabled and path not in SETTERS:
        # growattServer exceptions.py 10012 "Access Frequency Limitation of 5 Minutes/Time (Universal)".
        key = ("growatt-any", account.name, path, tuple(sorted(params.items())))
        if limiter.retry_after(key, 1, sim.repeat_window_s) > 0:
            message = f"{fieldmod.REPEAT_MESSAGE}: the same request less than 5 minutes ago"
            raise GrowattError(10012, message, rate_limited=True)
        limiter.check(key, 1, sim.repeat_window_s)
    if path == "/v1/plant/list" and f.plant_list_per_day and limiter.enabled:
        times = [t for t in f.plant_lists.get(account.name, []) if t > now - DAY_S]
        if len(times) >= f.plant_list_per_day:
            f.plant_lists[account.name] = times
            raise GrowattError(
                10012,
                f"{fieldmod.REPEAT_MESSAGE}: plant list more than {f.plant_list_per_day} times today",
                rate_limited=True,
            )
        f.plant_lists[account.name] = [*times, now]
    return None


def _count_refusal(sim: Sim, account: Account) -> None:
    """Too many refused queries block the account for a day (DiedB/Homey-SolarPanels#333)."""
    f, now = sim.field, sim.now()
    if not f.block_after_refusals:
        return
    times = [t for t in f.refusals.get(account.name, []) if t > now - DAY_S] + [now]
    f.refusals[account.name] = times
    if len(times) >= f.block_after_refusals:
        f.blocked_until[account.name] = now + f.block_hours * 3600
        f.refusals[account.name] = []


def _broken(bad: fieldmod.BadAnswer) -> web.Response:
    if bad.kind == "html":  # a proxy's or the portal's error page, HTTP 200 (PLCHome/growatt#8)
        return web.Response(text="<html><body><h1>error</h1></body></html>", content_type="text/html")
    if bad.kind == "empty":
        return web.Response(body=b"", content_type="application/json")
    if bad.kind == "truncated":
        text = json.dumps({"data": {"storage_sn": "X", "capacity": 50}, "error_code": 0, "error_msg": ""})
        return web.Response(text=text[: len(text) // 2], content_type="application/json")
    if bad.kind == "wrong_type":
        return web.json_response({"data": ["unexpected"], "error_code": 0, "error_msg": ""})
    if bad.kind == "string_code":
        return web.json_response({"data": "", "error_code": "abc", "error_msg": bad.message})
    return web.json_response({"data": "", "error_code": bad.code, "error_msg": bad.message})


def _int(value: str | None) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        return 0
