"""Growatt adapter fixtures: the simulator over HTTP (tests/plugins/growatt_sim.py, speed 600), the real
Redis limiter and shared state, and adapters built through the registry, each test with its own account key
and limiter prefix so that colleagues' runs on the same Redis never collide.

At speed 600 Growatt's 5-minute repeat window is half a second of our time (``clock_speed``). Tests that
assert local wall-clock hours pause the simulated clock (``set_speed(0)``) and move it with ``advance``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import redis

from vendors.base import AccountConfig, CallRecord, PlantTarget, VendorName
from vendors.growatt.adapter import GrowattAdapter
from vendors.ratelimit import limiter_from_url
from vendors.registry import build_adapter

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PREFIX = os.environ.get("VENDOR_KEY_PREFIX", "") or "test"


@dataclass
class Growatt:
    """A test's view of the simulator and the adapters it builds."""

    sim: Any  # tests.plugins.growatt_sim.GrowattSim
    run_id: str
    limiter_prefix: str
    records: list[CallRecord] = field(default_factory=list)
    made: list[GrowattAdapter] = field(default_factory=list)
    limiters: list = field(default_factory=list)

    @property
    def control(self):
        return self.sim.control

    def account(self, index: int = 0, *, token: str | None = None, **overrides) -> AccountConfig:
        values = {
            "key": f"{self.run_id}-{index + 1}",
            "vendor": VendorName.GROWATT,
            "base_url": self.sim.base_url,
            "username": f"vpp-user-{index + 1}",
            "secret": token if token is not None else self.sim.tokens[index],
            "clock_speed": self.sim.speed,
            "timeout_s": 5.0,
        }
        values.update(overrides)
        return AccountConfig(**values)

    def adapter(
        self,
        index: int = 0,
        *,
        max_wait_s: float = 5.0,
        observer: Callable[[CallRecord], None] | None = None,
        limiter_url: str = REDIS_URL,
        state_url: str = REDIS_URL,
        **account_overrides,
    ) -> GrowattAdapter:
        """An adapter for simulator account ``index``; Redis by default, ``sqlite:///...`` URLs give the
        embedded defaults."""
        limiter = limiter_from_url(limiter_url, prefix=self.limiter_prefix)
        self.limiters.append(limiter)
        adapter = build_adapter(
            self.account(index, **account_overrides),
            limiter=limiter,
            state_url=state_url,
            max_wait_s=max_wait_s,
            observer=observer if observer is not None else self.records.append,
        )
        assert isinstance(adapter, GrowattAdapter)
        self.made.append(adapter)
        return adapter

    # --- the simulator's true state -----------------------------------------------------------------------

    def plants(self, account: str = "account-1") -> list[dict]:
        return [p for p in self.control.plants(enrolled=True, limit=1000) if p["account"] == account]

    def plant_in(self, timezone: str, account: str = "account-1") -> dict:
        found = [p for p in self.plants(account) if p["timezone"] == timezone]
        assert found, f"the simulator's seed has no {account} plant in {timezone}"
        return found[0]

    def unit(self, plant_id: int | str) -> dict:
        return self.control.plant(int(plant_id))["units"][0]

    def target(self, plant: dict) -> PlantTarget:
        units = plant["units"]
        return PlantTarget(
            plant_code=str(plant["plant_id"]),
            timezone=plant["timezone"],
            storage_sns=tuple(u["storage_sn"] for u in units if u["has_battery"]),
            inverter_sns=tuple(u["inverter_sn"] for u in units),
            battery_rated_kwh=sum(u["capacity_wh"] for u in units) / 1000,
        )

    def commands(self, endpoint: str = "/v1/storageSet") -> list[dict]:
        return [c for c in self.control.commands() if c["endpoint"] == endpoint]

    def local_now(self, timezone: str) -> datetime:
        return datetime.fromtimestamp(self.control.now(), ZoneInfo(timezone))

    def pause_at(self, timezone: str, hour: int, minute: int = 0) -> datetime:
        """Pause the simulated clock, then move it forward to the next ``hour:minute`` local time."""
        self.control.set_speed(0)
        now = self.local_now(timezone)
        at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if at <= now:
            at += timedelta(days=1)
        self.control.advance((at - now).total_seconds())
        return self.local_now(timezone)

    def advance_to(self, moment: datetime) -> None:
        """Move the (paused) simulated clock forward to ``moment``."""
        gap = moment.timestamp() - self.control.now()
        assert gap >= 0, "the simulated clock only moves forward"
        self.control.advance(gap)


@pytest.fixture
def document_profile(growatt_sim) -> None:
    """The simulator answers as the document reads (IANA time zones, numbers as numbers...), for tests of
    that contract; the field profile (the default) has its own tests. The next reset restores it."""
    growatt_sim.control.field(profile="document")


@pytest.fixture
def growatt(growatt_sim) -> Iterator[Growatt]:
    run_id = f"{PREFIX}-gw-{uuid.uuid4().hex[:12]}"
    harness = Growatt(sim=growatt_sim, run_id=run_id, limiter_prefix=f"{PREFIX}:ratelimit:{run_id}:")
    yield harness
    for adapter in harness.made:
        adapter.close()
    for limiter in harness.limiters:
        limiter.close()
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:  # our keys only: never a flush of a database colleagues share
        for pattern in (f"{harness.limiter_prefix}*", f"growatt-adapter:{run_id}*"):
            for name in client.scan_iter(match=pattern):
                client.delete(name)
    finally:
        client.close()
