"""``HuaweiSim``: everything one simulator process knows, rebuilt from the same arguments on reset.

Why one object: handlers, the rate limiter and the ``/_sim/`` routes must agree on one world, one set
of sessions and one task registry; ``rebuild()`` is the single place that (re)creates them.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from vendors.simkit import SimCore

from .field import FieldProfile
from .limits import RULES, Usage
from .sessions import Sessions
from .tasks import ChargeTask, DefaultItem, DefaultTask, DrmTask, SubTask
from .world import World, build_world


@dataclass(frozen=True)
class WorldArgs:
    plants: int
    accounts: int
    unenrolled: int
    profile: str = "field"  # field.py: "field" answers like the live cloud, "document" like NBI V7


class HuaweiSim:
    def __init__(self, core: SimCore, args: WorldArgs) -> None:
        self.core = core
        self.args = args
        self.rebuild()

    def rebuild(self) -> None:
        """The world as the seed makes it; sessions, tasks and ID counters start over."""
        self.world: World = build_world(
            seed=self.core.seed,
            plants=self.args.plants,
            accounts=self.args.accounts,
            unenrolled=self.args.unenrolled,
            start_epoch=self.core.clock.start_epoch,
        )
        self.sessions = Sessions(self.core.clock)
        self.field = FieldProfile(self.args.profile)
        self.charge_tasks: dict[int, ChargeTask] = {}  # requestID is unique system-wide (# NBI V7 9.3.4)
        self.latest_subtask: dict[str, SubTask] = {}  # plant code -> its newest charge/discharge subtask
        self.default_tasks: dict[str, DefaultTask] = {}
        self.latest_default: dict[str, DefaultItem] = {}
        self.drm_tasks: dict[str, DrmTask] = {}
        self._next_id = 0

    def next_id(self, base: int) -> str:
        """Deterministic IDs (``remoteID``, default ``requestId``, DRM ``remoteId``) from one counter."""
        self._next_id += 1
        return str(base + self._next_id)

    def now(self) -> float:
        return self.core.clock.now()

    def usage(self, account: str, endpoint: str) -> Usage:
        devices = self.world.device_count(account) if endpoint == "devices" else 0
        return Usage(plants=len(self.world.plants_of(account)), devices=devices)

    def check_limit(self, account: str, endpoint: str, path: str) -> int | None:
        """None if the call may proceed (and is counted); else the failCode to answer."""
        windows = RULES[endpoint]
        limiter = self.core.limiter
        usage = self.usage(account, endpoint)
        rules = [((account, endpoint), w.limit(usage), w.seconds) for w in windows]
        if limiter.check_all(rules):
            return None
        self.core.stats.rate_limited(account, path)
        if self.field.switches.quota_counts_refused:
            # FIELD_NOTES H18: the live quota counts the refused call too, so retrying inside the window
            # keeps the account refused; measured after the refusal, so its retry time is from this call.
            full_before = [limiter.retry_after(*rule) > 0 for rule in rules]
            limiter.record_all(rules)
            full = [w for w, was in zip(windows, full_before, strict=True) if was]
            return max(full, key=lambda w: w.seconds).fail_code if full else windows[0].fail_code
        full = [w for w, rule in zip(windows, rules, strict=True) if limiter.retry_after(*rule) > 0]
        # A spent daily quota is the more useful answer: waiting a minute will not help.
        return max(full, key=lambda w: w.seconds).fail_code if full else windows[0].fail_code

    def account_of(self, request: web.Request) -> str | None:
        return self.sessions.peek(request.headers.get("XSRF-TOKEN"))


SIM_KEY = web.AppKey("huawei_sim", HuaweiSim)
