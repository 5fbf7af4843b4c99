"""Fixtures for the Huawei simulator's own tests: paused clock, logged-in callers, plants to act on.

The clock is paused (speed 0) in every test here, so rate-limit windows, the 3-minute status refresh and
the 30-minute token idle time are crossed only by ``control.advance()``: exact edges, no flakiness.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.simulators.huawei.helpers import Nbi


@pytest.fixture
def sim(huawei_sim):
    """The document's answers: these tests check the simulator against NBI V7. The field profile (the
    default) is checked in test_field.py."""
    huawei_sim.control.set_speed(0)
    huawei_sim.control.set_field(profile="document")
    return huawei_sim


@pytest.fixture
def nbi(sim) -> Iterator[Nbi]:
    """Logged in as nbi_user_1."""
    with sim.login(0) as client:
        yield Nbi(client)


@pytest.fixture
def nbi_other(sim) -> Iterator[Nbi]:
    """Logged in as nbi_user_2, who holds the other half of the plants."""
    with sim.login(1) as client:
        yield Nbi(client)


@pytest.fixture
def plants(sim) -> list[dict[str, Any]]:
    """True state of nbi_user_1's enrolled plants (120 with the fixture's world)."""
    return sim.control.plants(account=sim.accounts[0][0], limit=1000)


@pytest.fixture
def other_plants(sim) -> list[dict[str, Any]]:
    return sim.control.plants(account=sim.accounts[1][0], limit=1000)


@pytest.fixture
def dongle_plant(plants) -> dict[str, Any]:
    """A battery plant connected through an SDongle (DRM works, EMS does not)."""
    return next(p for p in plants if not p["hasSmartLogger"])


@pytest.fixture
def logger_plant(plants) -> dict[str, Any]:
    """A plant with a SmartLogger (EMS works, DRM does not)."""
    return next(p for p in plants if p["hasSmartLogger"])
