"""The simulator's shared state and the wrapper every vendor endpoint goes through.

Why a wrapper: each Growatt endpoint authenticates by the ``token`` header (# Growatt 3.1), reads
urlencoded parameters (also from a GET body) and answers the ``{data, error_code, error_msg}`` envelope
with HTTP 200 even on errors; doing that once keeps the handlers to the endpoint's own rules.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDict

from vendors.simkit import SimCore

from .protocol import PERMISSION_DENIED, GrowattError, answer, read_params
from .world import Account, World

REPEAT_WINDOW_S = 300.0
"""Identical setting requests (same device, type and values) within 5 minutes are refused with 10012."""


@dataclass
class Sim:
    """Everything a handler needs: the simkit core (clock, log, stats, limiter) and the world."""

    core: SimCore
    world: World
    repeat_window_s: float = REPEAT_WINDOW_S

    def now(self) -> float:
        return self.core.clock.now()

    def account_of(self, request: web.Request) -> str | None:
        """For simkit's stats: the account whose token the request carries."""
        account = self.world.by_token.get(request.headers.get("token", ""))
        return account.name if account else None


SIM_KEY = web.AppKey("growatt_sim", Sim)

Handler = Callable[[Sim, Account, MultiDict[str]], Any]
"""``handler(sim, account, params) -> data``; raises GrowattError to answer an error code."""


def endpoint(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Turn ``handler(sim, account, params) -> data`` into an aiohttp handler with auth and envelope."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        sim = request.app[SIM_KEY]
        params = await read_params(request)
        account = sim.world.by_token.get(request.headers.get("token", "").strip())
        if account is None:
            return answer(code=PERMISSION_DENIED, message="Permission denied: missing or invalid token")
        try:
            return answer(handler(sim, account, params))
        except GrowattError as exc:
            if exc.rate_limited:
                sim.core.stats.rate_limited(account.name, request.path)
            return answer(exc.data, code=exc.code, message=exc.message)

    return wrapped
