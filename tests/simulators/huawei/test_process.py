"""The simulator as a process: announces its port, serves, and stops cleanly on SIGTERM."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from vendors.simkit.launcher import SimulatorStartError, start_simulator, stop_simulator


def test_starts_on_an_ephemeral_port_and_stops_on_sigterm():
    proc, base_url = start_simulator(
        "vendors.huawei.simulator", "--plants", "5", "--accounts", "1", "--seed", "3"
    )
    try:
        url = urlsplit(base_url)
        assert url.hostname == "127.0.0.1" and url.port and url.port > 0
        state = httpx.get(base_url + "/_sim/plants", params={"enrolled": "1"}).json()
        assert state["total"] == 5 and {p["account"] for p in state["plants"]} == {"nbi_user_1"}
        assert len(httpx.get(base_url + "/_sim/plants", params={"enrolled": "0"}).json()["plants"]) == 10
    finally:
        assert stop_simulator(proc) == 0


def test_same_seed_same_world():
    worlds = []
    for _ in range(2):
        proc, base_url = start_simulator("vendors.huawei.simulator", "--plants", "3", "--seed", "42")
        try:
            worlds.append(httpx.get(base_url + "/_sim/plants").json())
        finally:
            stop_simulator(proc)
    assert worlds[0] == worlds[1]


def test_bad_arguments_fail_fast():
    with pytest.raises(SimulatorStartError):
        start_simulator("vendors.huawei.simulator", "--accounts", "0", timeout=20)
