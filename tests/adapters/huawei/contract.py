"""Fixtures of the contract tests: the real adapter on a replay cloud, and the simulator's own answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.adapters.huawei.replay import ReplayCloud
from vendors.base import AccountConfig, VendorName
from vendors.huawei.adapter import HuaweiAdapter
from vendors.ratelimit import limiter_from_url


@pytest.fixture
def cloud() -> Iterator[ReplayCloud]:
    cloud = ReplayCloud()
    yield cloud
    cloud.close()


@pytest.fixture
def replayed(cloud, harness) -> Iterator[HuaweiAdapter]:
    """The real adapter, on the replay cloud (no rate limits there: every window scaled to nothing)."""
    limiter = limiter_from_url(harness.limiter_url, prefix=harness.limiter_prefix)
    account = AccountConfig(
        key=f"{harness.run_id}-replay",
        vendor=VendorName.HUAWEI,
        base_url=cloud.base_url,
        username="nbi_user_1",
        secret="nbi_pass_1",
        clock_speed=100_000.0,
        timeout_s=5.0,
    )
    adapter = HuaweiAdapter(account, limiter=limiter, state_url=harness.state_url, max_wait_s=5.0)
    yield adapter
    adapter.close()
    limiter.close()


class Served:
    """What the simulator (field profile) answers, logged in as nbi_user_1."""

    def __init__(self, huawei_sim) -> None:
        self.sim = huawei_sim
        self._client = huawei_sim.login(0)

    def __call__(self, interface: str, body: dict[str, Any]) -> dict[str, Any]:
        self.sim.control.advance(120)  # past every once-a-minute window of the simulated clock
        response = self._client.post("/" + interface, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def plants(self) -> list[dict[str, Any]]:
        return self.sim.control.plants(account="nbi_user_1", limit=1000)

    def close(self) -> None:
        self._client.close()


@pytest.fixture
def served(huawei_sim) -> Iterator[Served]:
    huawei_sim.control.set_speed(0)  # only `advance` moves the simulated clock: no window edge to race
    served = Served(huawei_sim)
    yield served
    served.close()
