"""THE test: three OS processes share one Huawei account. Bursts of commands provoke no 407, reach the
vendor exactly once each, and the processes never knock each other's session out (one login, shared)."""

from __future__ import annotations

import multiprocessing
from collections import Counter

from tests.adapters.huawei.helpers import commands_per_request, logins, plant_states, rate_limited
from tests.adapters.huawei.workers import charge_burst

PROCESSES = 3
COMMANDS_PER_PROCESS = 4
PLANTS_PER_COMMAND = 5


def test_three_processes_share_one_account_without_407_duplicates_or_lost_sessions(sim, harness):
    codes = [s["plantCode"] for s in plant_states(sim)]
    assert len(codes) >= PROCESSES * COMMANDS_PER_PROCESS * PLANTS_PER_COMMAND
    plans = [
        [
            (
                str(10_000 + p * 100 + c),
                codes[(p * COMMANDS_PER_PROCESS + c) * PLANTS_PER_COMMAND :][:PLANTS_PER_COMMAND],
            )
            for c in range(COMMANDS_PER_PROCESS)
        ]
        for p in range(PROCESSES)
    ]
    account = harness.account(0)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    workers = [
        ctx.Process(
            target=charge_burst,
            kwargs={
                "base_url": harness.base_url,
                "speed": harness.speed,
                "account_key": account.key,
                "username": account.username,
                "password": account.secret,
                "limiter_url": harness.limiter_url,
                "limiter_prefix": harness.limiter_prefix,
                "state_url": harness.state_url,
                "rate_limit_overrides": account.rate_limit_overrides,  # the tests' headroom (conftest)
                "batches": plan,
                "barrier": barrier,
                "results": results,
            },
        )
        for plan in plans
    ]
    for worker in workers:
        worker.start()
    try:
        reports = [results.get(timeout=120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()

    assert [r["error"] for r in reports] == [""] * PROCESSES
    assert len({r["pid"] for r in reports}) == PROCESSES
    total = PROCESSES * COMMANDS_PER_PROCESS * PLANTS_PER_COMMAND
    assert Counter(o for r in reports for o in r["outcomes"]) == {"accepted": total}
    states = Counter(s for r in reports for s in r["states"])
    assert set(states) <= {"in_progress", "completed"} and states.total() == total
    assert rate_limited(sim) == 0  # not a single 407
    assert commands_per_request(sim) == {rid: 1 for plan in plans for rid, _ in plan}
    logged = [c for c in sim.commands() if c["endpoint"].endswith("/chargeAndDischarge")]
    assert sorted(t for c in logged for t in c["targets"]) == sorted(codes[:total])
    assert logins(sim) == 1  # one session for all three processes ...
    assert "305" not in {code for r in reports for code in r["vendor_codes"]}  # ... that nobody lost
