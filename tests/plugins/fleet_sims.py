"""Simulators sized for enrolment at the vendor's maximum: 1,000 items a request (NBI V7 9.6.1.1/9.6.1.2).

The shared fixtures (huawei_sim, growatt_sim) hold 20 and 10 plants awaiting enrolment; these hold
1,100 Huawei plants and 60 Growatt dataloggers waiting, plus a few bound plants, so one test can enrol
1,000 by SN and another 1,000 by authorisation code. Session scoped, reset before each test.

`vendor_account_on(sim, organization, ...)` makes a VendorAccount that talks to a simulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from vendors.growatt.simulator.control import GrowattSimControl
from vendors.huawei.simulator.control import HuaweiSimControl
from vendors.simkit.launcher import running_simulator

ENROL_SIM_SPEED = 600.0  # a vendor minute is 0.1 s: once-a-minute interfaces cost little real time


@dataclass
class EnrolSim:
    vendor: str
    base_url: str
    control: Any
    speed: float
    username: str
    secret: str

    def waiting(self, n: int) -> list[dict]:
        """The first n plants (Huawei) or dataloggers (Growatt) awaiting enrolment (simulator truth)."""
        out: list[dict] = []
        while len(out) < n:
            page = self.control.plants(enrolled=False, limit=min(500, n - len(out)), offset=len(out))
            if not page:
                break
            out.extend(page)
        return out


@pytest.fixture(scope="session")
def huawei_enrol_sim_process() -> Iterator[tuple[Any, str]]:
    args = ("--plants", "30", "--accounts", "1", "--unenrolled", "1100", "--speed", str(ENROL_SIM_SPEED))
    with running_simulator("vendors.huawei.simulator", *args, "--seed", "21") as process:
        yield process


@pytest.fixture
def huawei_enrol_sim(huawei_enrol_sim_process) -> Iterator[EnrolSim]:
    _, base_url = huawei_enrol_sim_process
    with HuaweiSimControl(base_url) as control:
        control.reset()
        username, password = control.accounts()[0]
        yield EnrolSim("huawei", base_url, control, ENROL_SIM_SPEED, username, password)


@pytest.fixture(scope="session")
def growatt_enrol_sim_process() -> Iterator[tuple[Any, str]]:
    args = ("--plants", "6", "--accounts", "1", "--unenrolled", "60", "--speed", str(ENROL_SIM_SPEED))
    with running_simulator("vendors.growatt.simulator", *args, "--seed", "23") as process:
        yield process


@pytest.fixture
def growatt_enrol_sim(growatt_enrol_sim_process) -> Iterator[EnrolSim]:
    _, base_url = growatt_enrol_sim_process
    with GrowattSimControl(base_url) as control:
        control.reset()
        account = control.accounts()[0]
        yield EnrolSim(
            "growatt", base_url, control, ENROL_SIM_SPEED, str(account["user_name"]), account["token"]
        )


def vendor_account_on(sim: EnrolSim, organization, **extra):
    """A vendor account of `organization` on the simulator, its rate limits on the simulator's clock."""
    from tests.factories import VendorAccountFactory

    fields = {
        "vendor": sim.vendor,
        "base_url": sim.base_url,
        "username": sim.username,
        "secret": sim.secret,
        "clock_speed": sim.speed,
        **extra,
    }
    return VendorAccountFactory(organization=organization, **fields)


TELEMETRY_SIM_SPEED = (
    60.0  # the realtime-KPI window (5 vendor minutes) is 5 s: long enough to serve 1,000 plants
)


@pytest.fixture(scope="session")
def huawei_telemetry_sim_process() -> Iterator[tuple[Any, str]]:
    args = ("--plants", "1000", "--accounts", "1", "--unenrolled", "0", "--speed", str(TELEMETRY_SIM_SPEED))
    with running_simulator("vendors.huawei.simulator", *args, "--seed", "29") as process:
        yield process


@pytest.fixture
def huawei_telemetry_sim(huawei_telemetry_sim_process) -> Iterator[EnrolSim]:
    """1,000 plants bound to nbi_user_1: the realtime-KPI limit is ceil(1000/100) = 10 calls per 5 minutes."""
    _, base_url = huawei_telemetry_sim_process
    with HuaweiSimControl(base_url) as control:
        control.reset()
        username, password = control.accounts()[0]
        yield EnrolSim("huawei", base_url, control, TELEMETRY_SIM_SPEED, username, password)


def plants_from_simulator(sim: EnrolSim, account) -> list:
    """Plant rows for the plants the simulator binds to the account (what discovery would find)."""
    from fleets.models import Plant
    from tests.factories import PlantFactory

    truth = []
    while True:
        page = sim.control.plants(enrolled=True, limit=500, offset=len(truth))
        if not page:
            break
        truth.extend(page)
    rows = [
        PlantFactory.build(
            vendor_account=account, plant_code=p["plantCode"], name=p["plantName"], timezone=p["timezone"]
        )
        for p in truth
    ]
    return Plant.objects.bulk_create(rows)
