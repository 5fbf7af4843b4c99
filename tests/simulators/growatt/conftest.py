"""Fixtures for the Growatt simulator's own tests: an API client, plants to act on, call shortcuts.

Everything goes over HTTP to the real simulator process started by ``tests/plugins/growatt_sim.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.simulators.growatt.helpers import BLANK, ok


@pytest.fixture(autouse=True)
def document_profile(growatt_sim) -> None:
    """These tests pin the document's behaviour: the simulator answers as the document reads for them
    (``--profile document``); the field profile has its own tests (test_field_profile.py). The next
    test's reset puts the start-up (field) profile back."""
    growatt_sim.control.field(profile="document")


@pytest.fixture
def api(growatt_sim) -> Iterator[httpx.Client]:
    """A client authenticated as account-1."""
    with growatt_sim.client() as client:
        yield client


@pytest.fixture
def plants(growatt_sim) -> list[dict[str, Any]]:
    """The true state of account-1's enrolled plants."""
    return [p for p in growatt_sim.control.plants(enrolled=True, limit=1000) if p["account"] == "account-1"]


@pytest.fixture
def plant(plants) -> dict[str, Any]:
    return plants[0]


@pytest.fixture
def storage_set(api) -> Callable[..., httpx.Response]:
    def send(
        sn: str, type_id: str, p1: str, p2: str = BLANK, p3: str = BLANK, p4: str = BLANK
    ) -> httpx.Response:
        data = {"storage_sn": sn, "type": type_id, "param1": p1, "param2": p2, "param3": p3, "param4": p4}
        return api.post("/v1/storageSet", data=data)

    return send


@pytest.fixture
def storage_last(api) -> Callable[[str], dict[str, Any]]:
    def read(sn: str) -> dict[str, Any]:
        return ok(api.post("/v1/device/storage/storage_last_data", data={"storage_sn": sn}))

    return read
