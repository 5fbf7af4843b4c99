"""The toy cloud as a real process (session), reset before each test; the engine's fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.dispatch.engine.conftest import engine_settings, start_engine  # noqa: F401 (fixtures)
from vendors.simkit.control import SimControl
from vendors.simkit.launcher import running_simulator

TOY_SIM_SPEED = 600.0  # a vendor minute is 0.1 s: a 30-minute charge lasts 3 s
TOY_SIM_ARGS = ("--plants", "0", "--unenrolled", "3", "--speed", str(TOY_SIM_SPEED), "--seed", "13")


@dataclass
class ToySim:
    base_url: str
    control: SimControl
    api_key: str
    speed: float = TOY_SIM_SPEED

    def plants(self) -> dict[str, dict]:
        """The simulator's truth, by plant id."""
        return {p["plant_id"]: p for p in self.control.plants()}


@pytest.fixture(scope="session")
def toy_sim_process() -> Iterator[str]:
    with running_simulator("tests.toyvendor.simulator", *TOY_SIM_ARGS) as (_, base_url):
        yield base_url


@pytest.fixture
def toy_sim(toy_sim_process) -> Iterator[ToySim]:
    with SimControl(toy_sim_process) as control:
        control.reset()
        (api_key,) = control.get("/_sim/accounts")["accounts"]
        yield ToySim(toy_sim_process, control, api_key)
