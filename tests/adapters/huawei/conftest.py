"""Adapter fixtures: the Huawei simulator over HTTP, the real Redis limiter and session state, and a factory
of adapters, each test with its own key prefix and account key so colleagues' runs never collide.

The simulator (tests/plugins/huawei_sim.py) runs at speed 600: a vendor minute is 0.1 s, the 30-minute
session idle timeout 3 s, and the limiter's windows are scaled the same way through `clock_speed`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import redis

from tests.adapters.huawei.contract import cloud, replayed, served  # noqa: F401 - contract tests' fixtures
from vendors.base import AccountConfig, CallRecord, VendorName
from vendors.huawei.adapter import HuaweiAdapter
from vendors.ratelimit import limiter_from_url

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# Once-a-minute interfaces (NBI V7 9.3.4-9.3.8, 9.6.1.1-9.6.1.2) booked as once per 90 s in tests. At speed
# 600 a vendor minute is 100 ms of real time, and the limiter's margin (~27 ms) is all that absorbs the
# delay between a granted slot and the simulator reading its clock; on a shared 2-core machine a process
# stalled for 40 ms is ordinary, and would turn into a 407 that says nothing about our code. The headroom
# changes no logic: without the shared limiter, processes sharing an account collide within microseconds.
HEADROOM = {
    endpoint: [(1, 90.0)]
    for endpoint in (
        "chargeAndDischarge",
        "chargeAndDischargeStatus",
        "dod",
        "devOnOff",
        "ems",
        "snEnrolment",
        "acEnrolment",
    )
}
PREFIX = os.environ.get("VENDOR_KEY_PREFIX", "") or "test"


@dataclass
class Harness:
    """What a test builds adapters from, and what it can inspect afterwards."""

    base_url: str
    speed: float
    limiter_url: str
    limiter_prefix: str
    state_url: str
    run_id: str
    records: list[CallRecord] = field(default_factory=list)

    def account(self, index: int = 0, *, password: str | None = None, **overrides) -> AccountConfig:
        n = index + 1
        overrides.setdefault("rate_limit_overrides", HEADROOM)
        return AccountConfig(
            key=f"{self.run_id}-{n}",
            vendor=VendorName.HUAWEI,
            base_url=self.base_url,
            username=f"nbi_user_{n}",
            secret=password if password is not None else f"nbi_pass_{n}",
            clock_speed=self.speed,
            timeout_s=10.0,
            **overrides,
        )


@pytest.fixture
def harness(huawei_sim, tmp_path) -> Iterator[Harness]:
    run_id = f"{PREFIX}-hw-{uuid.uuid4().hex[:12]}"
    h = Harness(
        base_url=huawei_sim.base_url,
        speed=huawei_sim.speed,
        limiter_url=REDIS_URL,
        limiter_prefix=f"{PREFIX}:ratelimit:{run_id}:",
        state_url=REDIS_URL,
        run_id=run_id,
    )
    yield h
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:  # our keys only: never a flush of a database colleagues share
        for pattern in (
            f"{h.limiter_prefix}*",
            f"vpp:vendor-state:huawei:{run_id}*",
            f"vpp:vendor-state:health:{run_id}*",
        ):
            for name in client.scan_iter(match=pattern):
                client.delete(name)
    finally:
        client.close()


@pytest.fixture
def make_adapter(harness) -> Iterator[Callable[..., HuaweiAdapter]]:
    """`make_adapter(index=0, *, password, max_wait_s, state_url, observer, **account_overrides)`: an
    adapter for simulator account `index`, closed after the test."""
    made: list[HuaweiAdapter] = []
    limiters = []

    def make(
        index: int = 0,
        *,
        password: str | None = None,
        max_wait_s: float = 10.0,
        state_url: str | None = None,
        observer: Callable[[CallRecord], None] | None = None,
        **overrides,
    ) -> HuaweiAdapter:
        limiter = limiter_from_url(harness.limiter_url, prefix=harness.limiter_prefix)
        limiters.append(limiter)
        adapter = HuaweiAdapter(
            harness.account(index, password=password, **overrides),
            limiter=limiter,
            state_url=state_url or harness.state_url,
            max_wait_s=max_wait_s,
            observer=observer or harness.records.append,
        )
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        adapter.close()
    for limiter in limiters:
        limiter.close()


@pytest.fixture
def sim(huawei_sim):
    """The simulator's control client (reset for this test by `huawei_sim`)."""
    return huawei_sim.control
