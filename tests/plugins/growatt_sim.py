"""Fixtures that start the Growatt OpenAPI simulator as a real process.

``growatt_sim_process`` (session) starts ``python -m vendors.growatt.simulator`` once through simkit's
launcher; ``growatt_sim`` (function) resets it (world, clock, faults, logs, tokens) and yields a
``GrowattSim`` handle: ``base_url``, ``control`` (a ``GrowattSimControl``), ``tokens`` (one per API
account, account-1 first) and ``speed`` (simulated seconds per real second). Adapter and dispatch tests
reuse these, so nothing here is specific to the simulator's own tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from vendors.growatt.simulator.control import GrowattSimControl
from vendors.simkit.launcher import start_simulator, stop_simulator

GROWATT_SIM_SPEED = 600.0
GROWATT_SIM_ACCOUNTS = 3
GROWATT_SIM_ARGS = (
    "--plants", "60",
    "--accounts", str(GROWATT_SIM_ACCOUNTS),
    "--unenrolled", "10",
    "--speed", str(GROWATT_SIM_SPEED),
    "--seed", "11",
)  # fmt: skip


@dataclass
class GrowattSimProcess:
    proc: Any
    base_url: str
    control: GrowattSimControl


@dataclass
class GrowattSim:
    """What a test needs to talk to the simulator as a client and to steer it from the side."""

    base_url: str
    control: GrowattSimControl
    tokens: list[str]
    speed: float

    def client(self, token: str | None = None) -> httpx.Client:
        """An httpx client for the vendor API with the ``token`` header (account-1's by default)."""
        headers = {"token": self.tokens[0] if token is None else token}
        # Plain HTTP on loopback: verify=False skips loading the CA bundle (~0.1 s per client).
        return httpx.Client(
            base_url=self.base_url, headers=headers, timeout=httpx.Timeout(10.0, connect=5.0), verify=False
        )

    def local_now(self, timezone: str) -> datetime:
        """The simulated clock's "now" in a plant's timezone."""
        return datetime.fromtimestamp(self.control.now(), ZoneInfo(timezone))


@pytest.fixture(scope="session")
def growatt_sim_process() -> Iterator[GrowattSimProcess]:
    proc, base_url = start_simulator("vendors.growatt.simulator", *GROWATT_SIM_ARGS)
    control = GrowattSimControl(base_url)
    try:
        yield GrowattSimProcess(proc, base_url, control)
    finally:
        control.close()
        stop_simulator(proc)


@pytest.fixture
def growatt_sim(growatt_sim_process: GrowattSimProcess) -> GrowattSim:
    control = growatt_sim_process.control
    control.reset()
    tokens = control.tokens()
    return GrowattSim(
        base_url=growatt_sim_process.base_url,
        control=control,
        tokens=[tokens[f"account-{k}"] for k in range(1, len(tokens) + 1)],
        speed=GROWATT_SIM_SPEED,
    )
