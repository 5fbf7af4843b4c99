"""Benchmark the Growatt simulator at fleet scale: startup and read throughput with 10,000 plants.

Why ratios: absolute figures depend on the machine, so each figure is printed next to a baseline measured
in the same run: startup against a one-plant simulator (interpreter and imports only), endpoint
throughput against ``GET /_sim/clock`` (the cheapest route through the same server and client),
measured in alternating slices with it. A ratio near 1 means the world model costs nothing next to HTTP
handling.

Run: ``.venv/bin/python -m bench.bench_growatt_simulator [--plants 10000] [--seconds 3]`` (under a minute).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import httpx

from vendors.growatt.simulator.control import GrowattSimControl
from vendors.simkit.launcher import start_simulator, stop_simulator


def timed_start(plants: int) -> tuple[object, str, float]:
    t0 = time.perf_counter()
    proc, url = start_simulator(
        "vendors.growatt.simulator", "--plants", str(plants), "--accounts", "3", "--seed", "1", timeout=120
    )
    return proc, url, time.perf_counter() - t0


def rate(seconds: float, call: Callable[[int], httpx.Response]) -> float:
    """Sequential requests on one keep-alive connection for ``seconds``; requests per second."""
    n = 0
    t0 = time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < seconds:
        response = call(n)
        assert response.status_code == 200, response.text
        n += 1
    return n / elapsed


def paired(
    seconds: float, call: Callable[[int], httpx.Response], baseline: Callable[[int], httpx.Response]
) -> tuple[float, float]:
    """``(rate, baseline rate)`` measured in alternating slices, so background load on a shared machine
    hits both alike and the ratio stays meaningful."""
    slices = 6
    ours = base = 0.0
    for _ in range(slices):
        base += rate(seconds / slices / 2, baseline)
        ours += rate(seconds / slices / 2, call)
    return ours / slices, base / slices


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plants", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measured endpoint")
    args = parser.parse_args()

    small, _, small_s = timed_start(1)
    stop_simulator(small)
    proc, url, start_s = timed_start(args.plants)
    try:
        control = GrowattSimControl(url)
        t0 = time.perf_counter()
        plants = control.plants(enrolled=True, limit=args.plants)
        truth_s = time.perf_counter() - t0
        tokens = control.tokens()
        rng = random.Random(1)
        picks = [rng.choice(plants) for _ in range(5000)]
        clients = {
            name: httpx.Client(base_url=url, headers={"token": token}, verify=False)
            for name, token in tokens.items()
        }
        per_account = len(plants) // len(tokens)

        def pick(i: int) -> tuple[httpx.Client, dict]:
            plant = picks[i % len(picks)]
            return clients[plant["account"]], plant

        def clock(i: int) -> httpx.Response:
            return clients["account-1"].get("/_sim/clock")

        def last_data(i: int) -> httpx.Response:
            client, plant = pick(i)
            return client.post(
                "/v1/device/storage/storage_last_data", data={"storage_sn": plant["storage_sn"]}
            )

        def plant_list(i: int) -> httpx.Response:
            page = 1 + i % max(1, per_account // 100)
            return clients["account-1"].get("/v1/plant/list", params={"page": page, "perpage": 100})

        def plant_list_20(i: int) -> httpx.Response:
            page = 1 + i % max(1, per_account // 20)
            return clients["account-1"].get("/v1/plant/list", params={"page": page})

        def device_list(i: int) -> httpx.Response:
            client, plant = pick(i)
            return client.get("/v1/device/list", params={"plant_id": plant["plant_id"]})

        figures = [
            ("storage_last_data", *paired(args.seconds, last_data, clock)),
            ("device/list", *paired(args.seconds, device_list, clock)),
            ("plant/list perpage=20", *paired(args.seconds, plant_list_20, clock)),
            ("plant/list perpage=100", *paired(args.seconds, plant_list, clock)),
        ]
        for client in clients.values():
            client.close()
        control.close()
    finally:
        stop_simulator(proc)

    print(f"Growatt simulator, {args.plants} plants ({len(plants)} enrolled, {len(tokens)} accounts)")
    print(
        f"  startup            {start_s:6.2f} s   = {start_s / small_s:5.2f} x a 1-plant start"
        f" ({small_s:.2f} s)"
    )
    print(f"  /_sim/plants (all) {truth_s:6.2f} s")
    print("  endpoint                     req/s   baseline GET /_sim/clock req/s   ratio")
    for name, value, base in figures:
        print(f"  {name:<26} {value:7.0f}   {base:7.0f}                          {value / base:4.2f}")


if __name__ == "__main__":
    main()
