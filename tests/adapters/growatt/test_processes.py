"""Three real worker processes share one Growatt account (and the Redis limiter and state): a burst of
commands provokes no refusal and the simulator's command log shows every command exactly once."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from dataclasses import asdict

from tests.adapters.growatt.conftest import REDIS_URL
from tests.adapters.growatt.workers import send_burst

PROCESSES = 3
PLANTS_EACH = 5


def test_three_processes_sharing_an_account_send_a_burst_with_no_refusal_and_no_duplicate(growatt):
    plants = growatt.plants()
    assert len(plants) > PROCESSES * PLANTS_EACH
    shared_plant = plants[-1]
    config = growatt.account()
    account = {k: v for k, v in asdict(config).items() if k != "vendor"}
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=send_burst,
            args=(
                account,
                REDIS_URL,
                growatt.limiter_prefix,
                [asdict(growatt.target(p)) for p in plants[n * PLANTS_EACH : (n + 1) * PLANTS_EACH]],
                asdict(growatt.target(shared_plant)),
                n,
                barrier,
                results,
            ),
        )
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        outcomes = [item for _ in workers for item in results.get(timeout=120)]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()

    assert all(w.exitcode == 0 for w in workers)
    assert [o for o in outcomes if o[1] != "accepted"] == []
    assert growatt.control.stats()["totals"]["rate_limited"] == 0  # no 10012 from our own repeats
    log = growatt.control.commands()
    charges = [c for c in log if c["params"]["type"] != "storage_cmd_mode"]
    assert len(charges) == PROCESSES * PLANTS_EACH * 3  # SOC limit, window, enable per plant
    per_setting = Counter((tuple(c["targets"]), tuple(sorted(c["params"].items()))) for c in charges)
    assert set(per_setting.values()) == {1}
    # The same setting from three processes: three commands, each once, spaced by the vendor's window.
    shared = sorted(c["sim_time"] for c in log if c["params"]["type"] == "storage_cmd_mode")
    assert len(shared) == PROCESSES
    assert all(later - earlier >= 300 for earlier, later in zip(shared, shared[1:], strict=False))
