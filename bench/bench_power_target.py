"""Planning a power target for 10,000 plants (Huawei over 5 accounts plus Growatt): time and plan quality.

``.venv/bin/python -m bench.bench_power_target [--plants 10000] [--seed 1]`` (a few seconds; no servers).

The fleet: 8,000 Huawei plants round-robin over 5 northbound accounts and 2,000 Growatt plants, sizes and
SOCs drawn as the simulators draw them (5-20 kWh, 3-10 kW inverters, Growatt machines of 2 or 3 kW), asked
for half of what it could give for 60 minutes above a 20 % floor, starting 10 minutes from now. Printed:

- ``planning time``: one `plan_power_target` call over the whole fleet, best of 5, and per 1,000 plants
  (goal: well under a second for 10,000).
- ``planned ramp / quota bound``: the time from the first to the last planned ETA over the least the
  quota allows for the Huawei requests the plan needs (one a minute per account, NBI V7 9.3.4: the
  busiest account's requests minus one, in minutes). Goal: 1.00.
- ``planned intervals within 5 %``: the share of the window's 5-minute intervals whose planned fleet
  power is within 5 % of the target (the ramp through the start is what can miss).
- ``plants a Huawei request``: the mean request size (100 is the vendor's maximum).

Not measured here (left for a run through the engine and the simulators): the measured ramp, the
measured share of intervals within 5 %, and telemetry reads over the vendors' allowance.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from dispatch.planning import PlantState, Target, fleet_max_kw, plan_power_target
from dispatch.planning.model import GROWATT, HUAWEI

ACCOUNTS = 5
GROWATT_ACCOUNT = 100


def fleet(n: int, seed: int) -> list[PlantState]:
    rng = random.Random(seed)
    plants = []
    for pk in range(n):
        if pk % 5 == 4:  # one in five is Growatt
            kw = rng.choice((2.0, 3.0))
            plants.append(PlantState(pk, GROWATT_ACCOUNT, "growatt", 15.0, kw, kw, kw, rng.uniform(15, 100)))
        else:
            kwh, kw = rng.choice((5.0, 10.0, 15.0, 20.0)), rng.choice((3.0, 5.0, 6.0, 10.0))
            account = 1 + pk % ACCOUNTS
            plants.append(PlantState(pk, account, "huawei", kwh, kw, kw, kw, rng.uniform(15, 100), 0.0, 60.0))
    return plants


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    plants = fleet(args.plants, args.seed)
    profiles = {"huawei": HUAWEI, "growatt": GROWATT}
    now = datetime(2026, 12, 2, 16, 50, tzinfo=UTC)
    max_kw = fleet_max_kw(plants, "discharge", profiles)
    target = Target("discharge", round(max_kw / 2), 60, now + timedelta(minutes=10), now, soc_floor_pct=20)

    times = []
    for _ in range(5):
        started = time.perf_counter()
        plan = plan_power_target(target, plants, profiles)
        times.append(time.perf_counter() - started)
    best = min(times)

    huawei_requests = Counter(r.account_id for r in plan.requests if r.vendor == "huawei")
    bound_s = (max(huawei_requests.values()) - 1) * HUAWEI.request_interval_s if huawei_requests else 0.0
    etas = [a.eta for a in plan.allocations]
    ramp_s = (max(etas) - min(etas)).total_seconds() if etas else 0.0
    within = sum(abs(i.planned_kw - i.target_kw) <= 0.05 * i.target_kw for i in plan.intervals)
    sizes = [len(r.plant_ids) for r in plan.requests if r.vendor == "huawei"]

    print(f"fleet: {len(plants):,} plants, could give {max_kw:,.0f} kW; target {target.power_kw:,.0f} kW")
    left_out = dict(Counter(e.reason for e in plan.excluded))
    print(f"planned: {plan.planned_kw:,.1f} kW from {len(plan.allocations):,} plants in "
          f"{len(plan.requests):,} requests; left out {left_out}")  # fmt: skip
    print(f"planning time: {best:.3f} s ({best / len(plants) * 1000 * 1000:.1f} ms per 1,000 plants)")
    ratio = ramp_s / bound_s if bound_s else math.nan
    print(f"planned ramp / quota bound: {ramp_s:.0f} s / {bound_s:.0f} s = {ratio:.2f}")
    print(
        f"planned intervals within 5 %: {within}/{len(plan.intervals)} = {within / len(plan.intervals):.2f}"
    )
    print(f"plants a Huawei request: {sum(sizes) / max(len(sizes), 1):.1f} (vendor maximum 100)")
    print("warnings:", [w["code"] for w in plan.warnings])


if __name__ == "__main__":
    main()
