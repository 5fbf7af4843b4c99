"""``SimCore``: the vendor-neutral state of one simulator process, and its aiohttp middleware.

Why one object: ``POST /_sim/reset`` must put clock, limiter, command log, stats and faults back to
their start-up values in one go, and every handler needs the same clock. Vendor code keeps its own
world (plants, sessions, tasks) and rebuilds it in the ``on_reset`` callback given to ``make_app``.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable

from aiohttp import web

from .clock import SimClock
from .faults import FaultConfig, FaultInjector
from .limiter import SlidingWindowLimiter
from .records import CommandLog, Stats

AccountOf = Callable[[web.Request], str | None]
"""Maps a request to the vendor account it acts for (e.g. by token); None when not known."""

ACCOUNT_KEY = "sim_account"
"""Handlers that learn the account late (a login body) set ``request[ACCOUNT_KEY]`` for the stats."""

CONTROL_PREFIX = "/_sim/"


class SimCore:
    """Clock, limiter, command log, stats and faults, with start-up values kept for ``reset()``."""

    def __init__(
        self,
        *,
        seed: int = 0,
        speed: float = 1.0,
        start_epoch: float | None = None,
        faults: FaultConfig | None = None,
        rate_limits: bool = True,
    ) -> None:
        self.seed = seed
        self.clock = SimClock(start_epoch=start_epoch, speed=speed)
        self.limiter = SlidingWindowLimiter(self.clock, enabled=rate_limits)
        self.commands = CommandLog(self.clock)
        self.stats = Stats()
        self._initial_faults = faults or FaultConfig()
        self._initial_rate_limits = rate_limits
        self.faults = FaultInjector(copy.deepcopy(self._initial_faults), seed=seed)

    def reset(self) -> None:
        """Everything back to how the process started (same seed, same CLI faults)."""
        self.clock.reset()
        self.limiter.reset()
        self.limiter.enabled = self._initial_rate_limits
        self.commands.reset()
        self.stats.reset()
        self.faults.configure(copy.deepcopy(self._initial_faults))


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _drop(request: web.Request) -> web.Response:
    # Closing the transport before anything is written makes the client see "server disconnected
    # without a response"; the returned object is never sent (aiohttp skips writes on a closed transport).
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=499)


def sim_middleware(core: SimCore, account_of: AccountOf | None = None) -> Callable:
    """Counts every vendor request and injects the configured faults; ``/_sim/`` passes untouched."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path.startswith(CONTROL_PREFIX):
            return await handler(request)
        account = account_of(request) if account_of else None
        config = core.faults.config
        if config.latency_ms and core.faults.applies_to(path):
            await asyncio.sleep(config.latency_ms / 1000.0)
        if config.hold and core.faults.applies_to(path):
            await core.faults.released.wait()
        before, after = core.faults.decide(path)
        if before == FaultInjector.BEFORE_DROP:
            core.stats.incr(account, path, "requests")
            core.stats.incr(account, path, "drops")
            return _drop(request)
        if before == FaultInjector.BEFORE_503:
            core.stats.incr(account, path, "requests")
            core.stats.incr(account, path, "errors_5xx")
            return web.json_response({"message": "Service Unavailable (simulated)"}, status=503)
        try:
            response = await handler(request)
        finally:
            account = request.get(ACCOUNT_KEY) or account
            core.stats.incr(account, path, "requests")
        if after == FaultInjector.AFTER_DROP:
            core.stats.incr(account, path, "drops")
            return _drop(request)
        if response.status >= 500:
            core.stats.incr(account, path, "errors_5xx")
        return response

    return middleware
