"""A charge command to 1,000 Growatt plants through the adapter, against the simulator at speed 600.

``.venv/bin/python -m bench.bench_growatt_dispatch`` (well under two minutes; REDIS_URL picks the Redis
database, default redis://127.0.0.1:6379/0; keys under a fresh prefix, deleted afterwards).

The bound. Growatt limits identical requests only (``GROWATT_LIMITS``: one identical request per 5 minutes,
divided by the simulator's speed), so for 1,000 DIFFERENT plants the limiter's bound is no waiting at all:
the best possible time is the HTTP work itself. That is measured in the same run as the baseline: the very
same calls (one storage_last_data and three storageSet per plant) made directly with httpx by the same
number of threads, with no limiter, state or plan, to another 1,000 plants of the same simulator. Baseline
and adapter alternate in chunks of ``CHUNK`` plants, so a busy machine slows both alike. Printed:

- ``adapter/baseline``: the adapter's time over the baseline's (its overhead: limiter, shared state,
  plans), and plants per second for both;
- ``refusals``: the simulator's rate-limit refusals (10012 repeats) to our 1,000 plants (goal 0), 5xx and
  drops (0: no faults are injected here), and that each setting was logged exactly once;
- a second, limiter-bound scenario: the SAME setting sent ``ROUNDS`` times to each of ``REPEAT_PLANTS``
  plants. Identical requests must be a vendor window apart, so the bound is (ROUNDS - 1) windows of the
  limiter (the vendor's 5 minutes / speed plus our margin); printed as time / bound (goal close to 1) with
  the refusals (goal 0).
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import redis

from vendors.base import AccountConfig, ChargeDischarge, Outcome, PlantTarget, StorageSet, VendorName
from vendors.growatt.simulator.control import GrowattSimControl
from vendors.ratelimit import limiter_from_url
from vendors.registry import build_adapter
from vendors.simkit.launcher import start_simulator, stop_simulator

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
PLANTS = 1000
THREADS = 8
SPEED = 600.0
CHUNK = 100
REPEAT_PLANTS = 50
ROUNDS = 4
TOKEN = "growatt-token-1"


def targets_of(control: GrowattSimControl, count: int) -> list[PlantTarget]:
    return [
        PlantTarget(
            plant_code=str(p["plant_id"]),
            timezone=p["timezone"],
            storage_sns=(p["storage_sn"],),
            inverter_sns=(p["inverter_sn"],),
            battery_rated_kwh=p["units"][0]["capacity_wh"] / 1000,
        )
        for p in control.plants(enrolled=True, limit=count)
    ]


def baseline_chunk(pool: ThreadPoolExecutor, client: httpx.Client, targets: list[PlantTarget]) -> float:
    """The adapter's HTTP calls for these plants, straight from httpx: the best the network allows."""

    def one(target: PlantTarget) -> None:
        sn = target.storage_sns[0]
        client.post("/v1/device/storage/storage_last_data", data={"storage_sn": sn}).raise_for_status()
        for type_id, values in (
            ("storage_ac_charge_soc_limit", ("75", " ", " ", " ")),
            ("storage_ac_charge_hour_start", ("1", "0", "3", "0")),
            ("storage_ac_charge_enable_disable", ("1", " ", " ", " ")),
        ):
            body = {"storage_sn": sn, "type": type_id, **{f"param{i}": v for i, v in enumerate(values, 1)}}
            answer = client.post("/v1/storageSet", data=body).json()
            assert answer["error_code"] == 0, answer

    started = time.perf_counter()
    list(pool.map(one, targets))
    return time.perf_counter() - started


def main() -> None:
    run_id = uuid.uuid4().hex[:10]
    prefix = f"bench:growatt:{run_id}:"
    args = ("--plants", str(2 * PLANTS), "--accounts", "1", "--unenrolled", "0", "--speed", str(SPEED))
    proc, base_url = start_simulator("vendors.growatt.simulator", *args, "--seed", "3")
    control = GrowattSimControl(base_url)
    limiter = limiter_from_url(REDIS_URL, prefix=prefix)
    account = AccountConfig(
        key=f"bench-{run_id}",
        vendor=VendorName.GROWATT,
        base_url=base_url,
        username="vpp-user-1",
        secret=TOKEN,
        clock_speed=SPEED,
        timeout_s=30.0,
    )
    adapter = build_adapter(account, limiter=limiter, state_url=REDIS_URL, max_wait_s=30.0)
    raw = httpx.Client(base_url=base_url, headers={"token": TOKEN}, timeout=httpx.Timeout(30.0, connect=5.0))
    try:
        everything = targets_of(control, 2 * PLANTS)
        targets, others = everything[:PLANTS], everything[PLANTS:]
        command = ChargeDischarge("charge", "soc", target_soc_pct=75, duration_min=120)

        def send(target: PlantTarget) -> Outcome:
            (result,) = adapter.send(command, [target], request_id=f"bench-{target.plant_code}").results
            return result.outcome

        t_base = t_adapter = 0.0
        outcomes: list[Outcome] = []
        with ThreadPoolExecutor(THREADS) as pool:
            for start in range(0, PLANTS, CHUNK):
                t_base += baseline_chunk(pool, raw, others[start : start + CHUNK])
                started = time.perf_counter()
                outcomes.extend(pool.map(send, targets[start : start + CHUNK]))
                t_adapter += time.perf_counter() - started
        ours = {t.storage_sns[0] for t in targets}
        commands = [c for c in control.commands() if c["targets"][0] in ours]
        per_setting = {(tuple(c["targets"]), tuple(sorted(c["params"].items()))) for c in commands}
        stats = control.stats()
        refused = sum(
            counters["rate_limited"]
            for counters in stats["accounts"].get("account-1", {}).values()
        )  # fmt: skip
        accepted = sum(1 for o in outcomes if o == Outcome.ACCEPTED)
        totals = stats["totals"]

        print(f"Growatt charge to {PLANTS} plants, {THREADS} threads, simulator speed {SPEED:g}")
        print("  limiter bound: no waiting at all (every request distinct; Growatt refuses only an identical")
        print("  request within 300 s / speed), so the bound is the same HTTP calls without the adapter:")
        print(f"  baseline (raw httpx, same calls):  {t_base:6.2f} s  {PLANTS / t_base:7.1f} plants/s")
        print(f"  adapter:                           {t_adapter:6.2f} s  {PLANTS / t_adapter:7.1f} plants/s")
        print(f"  adapter/baseline:                  {t_adapter / t_base:6.2f}")
        print(
            f"  accepted {accepted}/{PLANTS}; storageSet logged for our plants {len(commands)} "
            f"(distinct {len(per_setting)}, expected {3 * accepted})"
        )
        print(
            f"  refusals (10012 repeats): {refused}; 5xx: {totals['errors_5xx']}; drops: {totals['drops']}; "
            f"requests (both runs): {totals['requests']}"
        )

        # Limiter-bound: the same setting again and again to the same plants.
        control.reset()
        repeat_targets = targets[:REPEAT_PLANTS]
        setting = StorageSet("storage_cmd_mode", ("0", "", "", ""))

        def repeat(target: PlantTarget, n: int) -> None:
            (result,) = adapter.send(setting, [target], request_id=f"rep-{target.plant_code}-{n}").results
            assert result.outcome == Outcome.ACCEPTED, result

        window_s = adapter.calls.repeat_window_s
        started = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            for n in range(ROUNDS):  # each round repeats the previous one's requests exactly
                list(pool.map(repeat, repeat_targets, [n] * len(repeat_targets)))
        t_repeat = time.perf_counter() - started
        bound = (ROUNDS - 1) * window_s
        totals = control.stats()["totals"]
        print(
            f"Same setting {ROUNDS}x to {REPEAT_PLANTS} plants: {t_repeat:.2f} s; bound (ROUNDS-1) x "
            f"{window_s:.3f} s window = {bound:.2f} s; time/bound {t_repeat / bound:.2f}; "
            f"logged {len(control.commands())}/{ROUNDS * REPEAT_PLANTS}; refusals {totals['rate_limited']}"
        )
    finally:
        raw.close()
        adapter.close()
        limiter.close()
        control.close()
        stop_simulator(proc)
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
        for pattern in (f"{prefix}*", f"growatt-adapter:{account.key}*"):
            for name in client.scan_iter(match=pattern, count=1000):
                client.delete(name)
        client.close()


if __name__ == "__main__":
    main()
