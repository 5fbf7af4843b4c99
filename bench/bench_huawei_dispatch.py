"""How close sending a charge command to 10,000 Huawei plants comes to the bound the rate limits set.

``.venv/bin/python -m bench.bench_huawei_dispatch [--speed 600]`` (under a minute at speed 600, most of
it starting the simulator and reading its world). A simulator with 10,000 plants over 5 northbound
accounts at speed 600 (a vendor minute is 0.1 s real); one worker process per account, each with its own
HuaweiAdapter, all sharing the Redis limiter and session state, sends chargeAndDischarge to its 2,000
plants in batches of 100 (NBI V7 9.3.4). A batch refused with 407 is re-sent after the advised wait under
the same requestID, as a dispatch worker would (a 407 ran nothing), and counted.

The bound: chargeAndDischarge is once a minute per account, so an account with R requests needs at least
(R - 1) x 60 s / speed from its first to its last; accounts run in parallel, so the run's bound is the
largest per-account one: (2,000 / 100 - 1) x 60 s / 600 = 1.9 s. Printed:

- ``elapsed/bound``: wall time from the start (logins included) to the last accepted batch, over the
  bound. Goal: <= 1.05.
- ``elapsed/limiter bound``: over (R - 1) x the limiter's effective window instead (the vendor's window
  scaled by speed plus the limiter's safety margin, ``effective_limits`` defaults): the gap between the two
  ratios is what the margin costs; the rest is ours (logins, stagger, round trips).
- ``407s`` from the simulator's /_sim/stats (goal: 0); the command log (every plant exactly once); and the
  tightest gap between one account's requests as the vendor logged them, in simulated seconds.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
import uuid
from collections import Counter
from itertools import pairwise

import redis

from vendors.base import AccountConfig, ChargeDischarge, Outcome, PlantTarget, VendorName
from vendors.errors import RateLimited
from vendors.huawei.adapter import HuaweiAdapter
from vendors.huawei.simulator.control import HuaweiSimControl
from vendors.ratelimit import limiter_from_url
from vendors.simkit.launcher import start_simulator, stop_simulator

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
LOGIN_PATH = "/rest/openapi/pvms/v1/login"
PLANTS = 10_000
ACCOUNTS = 5
DEFAULT_SPEED = 600.0
BATCH = 100
COMMAND = ChargeDischarge("charge", "soc", target_soc_pct=90, power_w=3000)
STAGGER_S = 0.008  # accounts start this far apart, so their requests do not queue behind each other
MAX_TRIES = 5


def plants_by_account(control: HuaweiSimControl, usernames: list[str]) -> dict[str, list[str]]:
    result = {}
    for username in usernames:
        codes: list[str] = []
        while True:
            page = control.plants(account=username, limit=1000, offset=len(codes))
            codes += [p["plantCode"] for p in page]
            if len(page) < 1000:
                break
        result[username] = codes
    return result


def run_account(
    config: AccountConfig, prefix: str, codes: list[str], first_id: int, offset_s: float, barrier, results
) -> None:
    """One account's worker process: its own adapter, sharing the Redis limiter and session state."""
    limiter = limiter_from_url(REDIS_URL, prefix=prefix)
    adapter = HuaweiAdapter(config, limiter=limiter, state_url=REDIS_URL, max_wait_s=60.0)
    batches = [codes[i : i + BATCH] for i in range(0, len(codes), BATCH)]
    outcomes: Counter = Counter()
    report: dict = {"requests": len(batches), "error": "", "refused": 0}
    barrier.wait(timeout=120)
    report["began"] = time.time()
    time.sleep(offset_s)
    try:
        for n, batch in enumerate(batches):
            targets = [PlantTarget(c) for c in batch]
            for _ in range(MAX_TRIES):
                try:
                    result = adapter.send(COMMAND, targets, request_id=str(first_id + n))
                    break
                except RateLimited as exc:
                    report["refused"] += 1
                    time.sleep(exc.retry_after_s)
            else:
                raise RuntimeError(f"batch {n} still refused after {MAX_TRIES} tries")
            outcomes.update(r.outcome.value for r in result.results)
    except Exception as exc:  # reported, not hidden: a bench that fails half way must say so
        report["error"] = f"{type(exc).__name__}: {exc}"
    report["ended"] = time.time()
    report["outcomes"] = dict(outcomes)
    report["window_s"] = adapter.calls.window_s("chargeAndDischarge")
    adapter.close()
    limiter.close()
    results.put(report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=DEFAULT_SPEED, help="simulator speed (default 600)")
    speed = parser.parse_args().speed
    run_id = f"bench-hw-{uuid.uuid4().hex[:10]}"
    prefix = f"{os.environ.get('VENDOR_KEY_PREFIX') or 'bench'}:ratelimit:{run_id}:"
    print(f"starting the simulator: {PLANTS} plants, {ACCOUNTS} accounts, speed {speed:g} ...", flush=True)
    proc, base_url = start_simulator(
        "vendors.huawei.simulator",
        *("--plants", str(PLANTS), "--accounts", str(ACCOUNTS), "--unenrolled", "10"),
        *("--speed", str(speed), "--seed", "11"),
        timeout=120,
    )
    control = HuaweiSimControl(base_url)
    try:
        accounts = control.accounts()
        codes = plants_by_account(control, [u for u, _ in accounts])
        configs = [
            AccountConfig(
                key=f"{run_id}-{n}",
                vendor=VendorName.HUAWEI,
                base_url=base_url,
                username=username,
                secret=password,
                clock_speed=speed,
                timeout_s=30.0,
            )
            for n, (username, password) in enumerate(accounts)
        ]
        control.reset()  # a clean clock, limits and logs for the measured part

        ctx = multiprocessing.get_context("spawn")
        barrier, results = ctx.Barrier(len(configs)), ctx.Queue()
        workers = [
            ctx.Process(
                target=run_account,
                args=(
                    config,
                    prefix,
                    codes[config.username],
                    10_000_000 * (n + 1),
                    n * STAGGER_S,
                    barrier,
                    results,
                ),
            )
            for n, config in enumerate(configs)
        ]
        for worker in workers:
            worker.start()
        reports = [results.get(timeout=300) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        report(control, codes, reports, speed)
    finally:
        control.close()
        stop_simulator(proc)
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
        for pattern in (f"{prefix}*", f"vpp:vendor-state:huawei:{run_id}*"):
            for name in client.scan_iter(match=pattern):
                client.delete(name)
        client.close()


def report(control: HuaweiSimControl, codes: dict[str, list[str]], reports: list[dict], speed: float) -> None:
    elapsed = max(r["ended"] for r in reports) - min(r["began"] for r in reports)
    stats = control.stats()
    log = [c for c in control.commands() if c["endpoint"].endswith("/chargeAndDischarge")]
    per_request = Counter(c["request_id"] for c in log)
    per_plant = Counter(t for c in log for t in c["targets"])
    requests = max(r["requests"] for r in reports)
    bound = (requests - 1) * 60.0 / speed
    window_s = reports[0]["window_s"]
    accepted = sum(r["outcomes"].get(Outcome.ACCEPTED.value, 0) for r in reports)
    per_account = [r["ended"] - r["began"] for r in reports]
    logins = sum(v.get(LOGIN_PATH, {}).get("requests", 0) for v in stats["accounts"].values())
    gaps = [
        later["sim_time"] - earlier["sim_time"]
        for account in {c["account"] for c in log}
        for earlier, later in pairwise([c for c in log if c["account"] == account])
    ]
    total_plants = sum(len(c) for c in codes.values())
    print(f"plants {total_plants}, accounts {len(reports)} (a process each), requests per account {requests}")
    print(f"bound: ({requests} - 1) x 60 s / {speed:g} = {bound:.3f} s (chargeAndDischarge once a minute)")
    print(f"limiter window {window_s * 1000:.1f} ms = vendor {60_000 / speed:.1f} ms + safety margin")
    print(f"elapsed {elapsed:.3f} s (per account median {statistics.median(per_account):.3f} s)")
    print(f"elapsed/bound          {elapsed / bound:.3f}   (goal <= 1.05)")
    print(f"elapsed/limiter bound  {elapsed / ((requests - 1) * window_s):.3f}")
    print(f"407s                   {stats['totals']['rate_limited']}   (goal 0); batches re-sent after one: "
          f"{sum(r['refused'] for r in reports)}")  # fmt: skip
    print(f"accepted plants        {accepted} / {total_plants}")
    most_per_request, most_per_plant = (
        max(per_request.values(), default=0),
        max(per_plant.values(), default=0),
    )
    print(f"command log            {len(log)} requests, {len(per_plant)} plants; most per request "
          f"{most_per_request}, most per plant {most_per_plant}")  # fmt: skip
    print(f"logins                 {logins}")
    if gaps:  # how much of the margin the jitter between a grant and its arrival used
        print(f"gaps at the vendor     min {min(gaps):.1f} s, median {statistics.median(gaps):.1f} s "
              f"simulated (>= 60 s needed; ~{window_s * speed:.0f} s booked)")  # fmt: skip
    for n, r in enumerate(reports):
        if r["error"]:
            print(f"account {n}: ERROR {r['error']}")


if __name__ == "__main__":
    main()
