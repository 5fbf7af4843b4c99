"""Benchmark the Huawei SmartPVMS simulator at fleet scale: startup and real-time KPI throughput.

Why ratios: absolute figures depend on the machine, so each is printed next to a bound or a baseline
measured in the same run:

- startup of a 10,000-plant simulator (process start to LISTENING) against the 5 s bound the design sets,
  and against a 10-plant simulator (interpreter, imports and aiohttp only);
- 100-plant ``vpp/plantRealtimeKpi`` requests per second against ``GET /_sim/clock``, the cheapest
  request through the same server and client, measured in alternating slices so that load from other
  processes on a shared machine falls on both. A ratio near 1 means the world model costs little next
  to HTTP handling.

The simulator runs with ``--no-rate-limits``: NBI V7 9.3.2 allows Roundup(plants/100) KPI calls per
5 minutes, which would otherwise answer 407 after the first few calls. The output says so.

Run: ``.venv/bin/python -m bench.bench_huawei_simulator [--plants 10000] [--seconds 4]`` (under a minute).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from subprocess import Popen

import httpx

from vendors.huawei.simulator.control import HuaweiSimControl
from vendors.simkit.launcher import start_simulator, stop_simulator

API = "/rest/openapi/pvms/v1"
STARTUP_BOUND_S = 5.0
BATCH = 100


def timed_start(plants: int, *extra: str) -> tuple[Popen[str], str, float]:
    t0 = time.perf_counter()
    proc, url = start_simulator(
        "vendors.huawei.simulator",
        "--plants",
        str(plants),
        "--accounts",
        "5",
        "--seed",
        "1",
        *extra,
        timeout=120,
    )
    return proc, url, time.perf_counter() - t0


def measure(
    seconds: float, call: Callable[[int], httpx.Response], latencies: list[float]
) -> tuple[int, float]:
    """Sequential requests on one keep-alive connection for ``seconds``: (count, elapsed s)."""
    n = 0
    t0 = time.perf_counter()
    while (elapsed := time.perf_counter() - t0) < seconds:
        started = time.perf_counter()
        response = call(len(latencies))
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        n += 1
    return n, elapsed


def alternate(
    seconds: float,
    slices: int,
    baseline: Callable[[int], httpx.Response],
    subject: Callable[[int], httpx.Response],
) -> tuple[float, list[float], float, list[float]]:
    """Measure baseline and subject in alternating slices, so a load change on a shared machine hits both
    alike: (baseline req/s, baseline latencies, subject req/s, subject latencies)."""
    totals = {"b": [0, 0.0], "s": [0, 0.0]}
    lat_b: list[float] = []
    lat_s: list[float] = []
    for _ in range(slices):
        for key, call, lat in (("b", baseline, lat_b), ("s", subject, lat_s)):
            n, elapsed = measure(seconds / slices, call, lat)
            totals[key][0] += n
            totals[key][1] += elapsed
    return totals["b"][0] / totals["b"][1], lat_b, totals["s"][0] / totals["s"][1], lat_s


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plants", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=4.0, help="measuring time per figure")
    args = parser.parse_args()

    small, _, small_s = timed_start(10)
    stop_simulator(small)
    proc, base_url, big_s = timed_start(args.plants, "--no-rate-limits")
    try:
        control = HuaweiSimControl(base_url)
        username, password = control.accounts()[0]
        codes = [p["plantCode"] for p in control.plants(account=username, limit=1000)]
        batches = [",".join(codes[i : i + BATCH]) for i in range(0, len(codes) - BATCH + 1, BATCH)]
        with httpx.Client(base_url=base_url, timeout=30.0, verify=False) as client:
            login = client.post(API + "/login", json={"username": username, "password": password})
            client.headers["XSRF-TOKEN"] = login.headers["xsrf-token"]

            def kpi(n: int) -> httpx.Response:
                response = client.post(
                    API + "/vpp/plantRealtimeKpi", json={"plantCodes": batches[n % len(batches)]}
                )
                body = response.json()
                assert body["failCode"] == 0 and len(body["data"]) == BATCH, body.get("failCode")
                return response

            kpi(0)  # warm up (zoneinfo caches, connection)
            clock_rps, clock_lat, kpi_rps, kpi_lat = alternate(
                args.seconds, 8, lambda n: client.get("/_sim/clock"), kpi
            )
        totals = control.stats()["totals"]
        control.close()
    finally:
        stop_simulator(proc)

    print(f"Huawei simulator benchmark ({args.plants} plants, 5 accounts, {BATCH}-plant batches)")
    print(
        "NOTE: started with --no-rate-limits; NBI V7 9.3.2 would allow Roundup(plants/100) KPI calls / 5 min"
    )
    bound = f"{big_s / STARTUP_BOUND_S:.2f} x the {STARTUP_BOUND_S:.0f} s bound"
    print(f"startup {args.plants} plants : {big_s:6.2f} s  = {bound}")
    print(f"startup 10 plants      : {small_s:6.2f} s  -> world building costs {big_s - small_s:.2f} s")
    print(f"GET /_sim/clock        : {clock_rps:7.1f} req/s  p50 {statistics.median(clock_lat) * 1e3:.1f} ms")
    print(
        f"100-plant realtime KPI : {kpi_rps:7.1f} req/s  p50 {statistics.median(kpi_lat) * 1e3:.1f} ms"
        f"  p95 {p95(kpi_lat) * 1e3:.1f} ms  = {kpi_rps * BATCH:,.0f} plant rows/s"
    )
    print(f"KPI vs trivial request : {kpi_rps / clock_rps:.2f} x the /_sim/clock rate")
    print(f"simulator counted {totals['requests']} vendor requests, {totals['rate_limited']} rate-limited")


if __name__ == "__main__":
    main()
