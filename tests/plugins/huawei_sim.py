"""Fixtures that start the Huawei SmartPVMS simulator as a real process.

``huawei_sim_process`` (session) starts ``python -m vendors.huawei.simulator`` once through simkit's
launcher and stops it at the end. ``huawei_sim`` (function) resets it (world, clock and speed, sessions,
tasks, limits, faults, logs) and returns a ``HuaweiSimHandle``:

- ``base_url``: the server root; ``api_url``: ``base_url + /rest/openapi/pvms/v1`` (NBI V7 paths)
- ``control``: a ``HuaweiSimControl`` (reset, commands, stats, faults, advance, set_speed, plants ...)
- ``accounts``: ``[(username, password), ...]`` = ``[("nbi_user_1", "nbi_pass_1"), ...]``
- ``speed``: simulated seconds per real second at the start of each test
- ``client()``: an httpx client on ``api_url``; ``login(k)``: one logged in as account ``k`` (0-based),
  carrying the ``XSRF-TOKEN`` header

The world: 240 enrolled plants over 2 accounts (120 each, so the real-time KPI limit is 2 per 5 minutes
and 100-plant batches fit), 20 plants awaiting enrolment, seed 7. Adapter and dispatch tests reuse these,
so nothing here is specific to the simulator's own tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from subprocess import Popen

import httpx
import pytest

from vendors.huawei.simulator.control import HuaweiSimControl
from vendors.simkit.launcher import start_simulator, stop_simulator

HUAWEI_SIM_SPEED = 600.0
HUAWEI_SIM_PLANTS = 240
HUAWEI_SIM_ACCOUNTS = 2
HUAWEI_SIM_ARGS = (
    "--plants", str(HUAWEI_SIM_PLANTS),
    "--accounts", str(HUAWEI_SIM_ACCOUNTS),
    "--unenrolled", "20",
    "--speed", str(HUAWEI_SIM_SPEED),
    "--seed", "7",
)  # fmt: skip
API_PATH = "/rest/openapi/pvms/v1"


@dataclass
class HuaweiSimProcess:
    proc: Popen[str]
    base_url: str
    control: HuaweiSimControl


@dataclass
class HuaweiSimHandle:
    """What a test needs to talk to the simulator as a northbound client and to steer it from the side."""

    base_url: str
    control: HuaweiSimControl
    accounts: list[tuple[str, str]]
    speed: float

    @property
    def api_url(self) -> str:
        return self.base_url + API_PATH

    def client(self) -> httpx.Client:
        """A plain client on the NBI base path (not logged in); the caller closes it.

        Plain HTTP on loopback: ``verify=False`` skips loading the CA bundle, which costs more than the call.
        """
        return httpx.Client(base_url=self.api_url, timeout=httpx.Timeout(10.0, connect=5.0), verify=False)

    def login(self, account: int = 0) -> httpx.Client:
        """A new client logged in as ``accounts[account]``, XSRF-TOKEN header set (# NBI V7 9.1.1).

        The login goes through a throw-away client so the returned one is unopened: ``with`` works.
        """
        username, password = self.accounts[account]
        with self.client() as login_client:
            response = login_client.post("/login", json={"username": username, "password": password})
        body = response.json()
        if body.get("failCode") != 0:
            raise AssertionError(f"login of {username} failed: {body}")
        client = self.client()
        client.headers["XSRF-TOKEN"] = response.headers["xsrf-token"]
        return client


@pytest.fixture(scope="session")
def huawei_sim_process() -> Iterator[HuaweiSimProcess]:
    proc, base_url = start_simulator("vendors.huawei.simulator", *HUAWEI_SIM_ARGS)
    control = HuaweiSimControl(base_url)
    try:
        yield HuaweiSimProcess(proc, base_url, control)
    finally:
        control.close()
        stop_simulator(proc)


@pytest.fixture
def huawei_sim(huawei_sim_process: HuaweiSimProcess) -> HuaweiSimHandle:
    control = huawei_sim_process.control
    control.reset()
    return HuaweiSimHandle(
        base_url=huawei_sim_process.base_url,
        control=control,
        accounts=control.accounts(),
        speed=HUAWEI_SIM_SPEED,
    )
