"""How close the shared rate limiter comes to a vendor's limit without ever going over it.

``.venv/bin/python -m bench.bench_ratelimit`` (about half a minute). N processes hammer ONE key with
``acquire`` (book the earliest slot, sleep) or ``reserve`` (take a slot now or sleep the returned wait),
through the production margin (``effective_limits`` defaults), on Redis and on SQLite. For each run:

- ``grants/bound``: slots granted over the most a vendor would allow in the run's length, L x ceil(D/W)
  for "L per W". Close to 1.0 is good; above 1.0 would be a vendor refusal.
- ``rate``: steady throughput over the vendor's L/W (first to last grant); below 1 by the margin's cost.
- ``busiest/L``: most grants seen in any W-long window (wall clock, after each grant) over L; must be
  <= 1.0.
- ``per process`` grants (fairness), the limiter's own counters: seconds of wait booked by ``acquire``
  and ``reserve`` calls refused (the polling mode's extra round trips).

Scenarios: "10 per 0.5 s" (a scaled DRM limit) and "once a minute at simulator speed 600" (0.1 s), where
the fixed real-time margin costs the most.
"""

from __future__ import annotations

import bisect
import math
import multiprocessing
import os
import tempfile
import time
import uuid
from dataclasses import dataclass

import redis

from vendors.ratelimit import RateLimitTimeout, RateRule, effective_limits, limiter_from_url

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PROCESSES = 4


@dataclass(frozen=True)
class Scenario:
    name: str
    vendor_rule: RateRule
    speed: float
    duration_s: float


SCENARIOS = [
    Scenario("10 per 0.5 s", RateRule(10, 0.5), speed=1.0, duration_s=4.0),
    Scenario("1 per 60 s @x600", RateRule(1, 60.0), speed=600.0, duration_s=3.0),
]


def _worker(url, prefix, key, rule, mode, duration_s, barrier, results) -> None:
    limiter = limiter_from_url(url, prefix=prefix)
    rules = [RateRule(*rule)]
    granted: list[float] = []
    barrier.wait(timeout=60)
    stop_at = time.time() + duration_s
    while (remaining := stop_at - time.time()) > 0:
        if mode == "acquire":
            try:
                limiter.acquire(key, rules, timeout_s=remaining)
            except RateLimitTimeout:
                break
        elif (wait_s := limiter.reserve(key, rules)) > 0:
            time.sleep(min(wait_s, remaining))
            continue
        granted.append(time.time())
    results.put(granted)
    limiter.close()


def _busiest(times: list[float], window_s: float) -> int:
    return max((bisect.bisect_left(times, t + window_s) - i for i, t in enumerate(times)), default=0)


def run(url: str, scenario: Scenario, mode: str) -> str:
    vendor_rule = RateRule(scenario.vendor_rule.limit, scenario.vendor_rule.window_s / scenario.speed)
    (rule,) = effective_limits({"ep": (scenario.vendor_rule,)}, speed=scenario.speed)["ep"]
    prefix = f"bench:ratelimit:{uuid.uuid4().hex}:"
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    args = (url, prefix, "bench:acct:ep", (rule.limit, rule.window_s), mode, scenario.duration_s)
    workers = [ctx.Process(target=_worker, args=(*args, barrier, results)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    per_process = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    stats = limiter_from_url(url, prefix=prefix).stats("bench:acct:ep")
    if url.startswith("redis"):
        client = redis.Redis.from_url(url, socket_timeout=5)
        for name in client.scan_iter(match=prefix + "*"):
            client.delete(name)
        client.close()

    times = sorted(t for grants in per_process for t in grants)
    limit, window_s = vendor_rule.limit, vendor_rule.window_s
    bound = limit * math.ceil(scenario.duration_s / window_s)
    span_s = times[-1] - times[0] if len(times) > 1 else math.inf
    rate = ((len(times) - limit) / span_s) / (limit / window_s) if len(times) > limit else 0.0
    busiest = _busiest(times, window_s)
    return (
        f"{scenario.name:<17} {mode:<8} grants/bound {len(times):>3}/{bound:<3} = {len(times) / bound:4.2f}"
        f"   rate {rate:4.2f}   busiest/L {busiest}/{limit} = {busiest / limit:4.2f}"
        f"   per process {sorted(len(g) for g in per_process)}"
        f"   booked wait {stats.waited_s:5.2f} s   refused {stats.refused}"
    )


def main() -> None:
    print(f"{PROCESSES} processes on one key; margin: effective_limits defaults")
    with tempfile.TemporaryDirectory() as tmp:
        backends = {"redis": REDIS_URL, "sqlite": f"sqlite:///{tmp}/ratelimit.db"}
        for backend, url in backends.items():
            for scenario in SCENARIOS:
                modes = ("acquire", "reserve") if scenario is SCENARIOS[0] else ("acquire",)
                for mode in modes:
                    print(f"{backend:<7}", run(url, scenario, mode), flush=True)


if __name__ == "__main__":
    main()
