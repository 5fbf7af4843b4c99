"""Benchmark the Growatt simulator at fleet scale: startup and read throughput with 10,000 plants.

Why ratios: absolute figures depend on the machine, so each figure is printed next to a baseline measured
in the same run: startup against a one-plant simulator (interpreter and imports only), endpoint
throughput against ``GET /_sim/clock`` (the cheapest route through the same server and client),
measured in alternating slices with it. A ratio near 1 means the world model costs nothing next to HTTP
handling.

Field profile (the simulator's default, FIELD_NOTES.md rows 11 and 13): the same request within 5 simulated
minutes is answered 10012, and plant lists are limited to 10 a day per account. So every measured request
is one the cloud would serve: each asks for a plant (or page) not asked in the current window, and when a
window's supply runs out the simulated clock is advanced past it (``/_sim/advance``, 5 minutes; a day for
plant lists), the advance's time left out of the rate. Each answer is checked to be ``error_code`` 0, so a
refusal can never pass for a read.

Run: ``.venv/bin/python -m bench.bench_growatt_simulator [--plants 10000] [--seconds 3]`` (under a minute).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import httpx

from vendors.growatt.simulator.control import GrowattSimControl
from vendors.growatt.simulator.field import PLANT_LIST_PER_DAY as PLANT_LISTS_PER_DAY
from vendors.simkit.launcher import start_simulator, stop_simulator

REPEAT_WINDOW_S = 300  # FIELD_NOTES row 11: the same request within 5 minutes is refused (10012)
DAY_S = 86_400  # row 13: plant lists, 10 a day per account


def timed_start(plants: int) -> tuple[object, str, float]:
    t0 = time.perf_counter()
    proc, url = start_simulator(
        "vendors.growatt.simulator", "--plants", str(plants), "--accounts", "3", "--seed", "1", timeout=120
    )
    return proc, url, time.perf_counter() - t0


class Window:
    """Hands out request indexes that are distinct inside one vendor window: after ``size`` of them the
    simulated clock is moved past the window (``advance_s``), so no request repeats inside it."""

    def __init__(self, control: GrowattSimControl, size: int, advance_s: float) -> None:
        self.control, self.size, self.advance_s = control, size, advance_s
        self.used = 0
        self.turn = 0
        self.advancing_s = 0.0  # wall time spent moving the clock: not part of any rate

    def next(self) -> int:
        if self.used >= self.size:
            t0 = time.perf_counter()
            self.control.advance(self.advance_s)
            self.advancing_s += time.perf_counter() - t0
            self.used = 0
            self.turn += 1
        self.used += 1
        return self.used - 1


def served(response: httpx.Response) -> httpx.Response:
    """A 200 with error_code 0: an answer, not a refusal (Growatt refuses with HTTP 200)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("error_code", 0) == 0, body
    return response


def rate(seconds: float, call: Callable[[], httpx.Response], windows: tuple[Window, ...]) -> float:
    """Sequential requests on one keep-alive connection for ``seconds``; requests per second, the clock
    advances left out."""
    n = 0
    skipped0 = sum(w.advancing_s for w in windows)
    t0 = time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < seconds:
        served(call())
        n += 1
    return n / max(1e-9, elapsed - (sum(w.advancing_s for w in windows) - skipped0))


def paired(
    seconds: float,
    call: Callable[[], httpx.Response],
    baseline: Callable[[], httpx.Response],
    *windows: Window,
) -> tuple[float, float]:
    """``(rate, baseline rate)`` measured in alternating slices, so background load on a shared machine
    hits both alike and the ratio stays meaningful."""
    slices = 6
    ours = base = 0.0
    for _ in range(slices):
        base += rate(seconds / slices / 2, baseline, ())
        ours += rate(seconds / slices / 2, call, windows)
    return ours / slices, base / slices


def _swap(
    made: tuple[Callable[[], httpx.Response], Window], baseline: Callable[[], httpx.Response]
) -> tuple[Callable[[], httpx.Response], Callable[[], httpx.Response], Window]:
    call, window = made
    return call, baseline, window


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
        order = list(plants)
        rng.shuffle(order)  # plants in random order, each once per 5-minute window
        clients = {
            name: httpx.Client(base_url=url, headers={"token": token}, verify=False)
            for name, token in tokens.items()
        }
        names = sorted(tokens)
        per_account = len(plants) // len(tokens)
        five_minutes = Window(control, len(order), REPEAT_WINDOW_S + 1)

        def clock() -> httpx.Response:
            return clients[names[0]].get("/_sim/clock")

        def plant_of(i: int) -> tuple[httpx.Client, dict]:
            plant = order[i]
            return clients[plant["account"]], plant

        def last_data() -> httpx.Response:
            client, plant = plant_of(five_minutes.next())
            return client.post(
                "/v1/device/storage/storage_last_data", data={"storage_sn": plant["storage_sn"]}
            )

        def device_list() -> httpx.Response:
            client, plant = plant_of(five_minutes.next())
            return client.get("/v1/device/list", params={"plant_id": plant["plant_id"]})

        windows: list[Window] = [five_minutes]

        def plant_list(perpage: int) -> tuple[Callable[[], httpx.Response], Window]:
            """Plant lists: 10 a day per account, accounts in turn; pages distinct inside the day, so with
            fewer than 10 pages an account's day ends after its pages (a repeated page within 5 minutes is
            10012 in the field). Each perpage starts on a fresh simulated day (its own budget)."""
            pages = max(1, per_account // perpage)
            per_day = min(PLANT_LISTS_PER_DAY, pages)
            control.advance(DAY_S + 1)
            day = Window(control, per_day * len(names), DAY_S + 1)
            windows.append(day)

            def call() -> httpx.Response:
                i = day.next()
                account = names[i % len(names)]
                page = 1 + (day.turn * per_day + i // len(names)) % pages
                params = {"page": page} if perpage == 20 else {"page": page, "perpage": perpage}
                return clients[account].get("/v1/plant/list", params=params)

            return call, day

        figures = [
            ("storage_last_data", *paired(args.seconds, last_data, clock, five_minutes)),
            ("device/list", *paired(args.seconds, device_list, clock, five_minutes)),
            ("plant/list perpage=20", *paired(args.seconds, *_swap(plant_list(20), clock))),
            ("plant/list perpage=100", *paired(args.seconds, *_swap(plant_list(100), clock))),
        ]
        advances = sum(w.turn for w in windows)
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
    print(f"  field profile: every answer error_code 0; simulated clock advanced {advances} times")
    print("  endpoint                     req/s   baseline GET /_sim/clock req/s   ratio")
    for name, value, base in figures:
        print(f"  {name:<26} {value:7.0f}   {base:7.0f}                          {value / base:4.2f}")


if __name__ == "__main__":
    main()
