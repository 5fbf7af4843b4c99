"""The acceptance run of issue 6 at its full size: a charge job to a mixed fleet of 500 plants.

Marked `slow` (deselect with `-m "not slow"`); `make test` runs it: about two minutes, most of it the
simulated batteries charging. The same scenario as test_mixed_fleet at 200 plants, on simulators of its
own so the size does not grow every other test's world: 400 Huawei plants over 3 northbound accounts
(two 100-plant requests an account and a remainder, NBI V7 9.3.4) and 100 Growatt plants over 3 tokens.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dispatch.engine.test_mixed_fleet import charge_a_mixed_fleet
from tests.plugins.growatt_sim import GrowattSim
from tests.plugins.huawei_sim import HuaweiSimHandle
from vendors.growatt.simulator.control import GrowattSimControl
from vendors.huawei.simulator.control import HuaweiSimControl
from vendors.simkit.launcher import start_simulator, stop_simulator

SPEED = 600.0


@pytest.fixture
def big_huawei_sim() -> Iterator[HuaweiSimHandle]:
    args = ("--plants", "400", "--accounts", "3", "--unenrolled", "0", "--speed", str(SPEED), "--seed", "5")
    proc, base_url = start_simulator("vendors.huawei.simulator", *args)
    control = HuaweiSimControl(base_url)
    try:
        yield HuaweiSimHandle(base_url=base_url, control=control, accounts=control.accounts(), speed=SPEED)
    finally:
        control.close()
        stop_simulator(proc)


@pytest.fixture
def big_growatt_sim() -> Iterator[GrowattSim]:
    args = ("--plants", "100", "--accounts", "3", "--unenrolled", "0", "--speed", str(SPEED), "--seed", "11")
    proc, base_url = start_simulator("vendors.growatt.simulator", *args)
    control = GrowattSimControl(base_url)
    try:
        tokens = control.tokens()
        yield GrowattSim(
            base_url=base_url,
            control=control,
            tokens=[tokens[f"account-{k}"] for k in range(1, len(tokens) + 1)],
            speed=SPEED,
        )
    finally:
        control.close()
        stop_simulator(proc)


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_charge_to_a_mixed_fleet_of_500_plants(start_engine, world, big_huawei_sim, big_growatt_sim):
    charge_a_mixed_fleet(
        start_engine, world, big_huawei_sim, big_growatt_sim, huawei_plants=400, growatt_plants=100
    )
