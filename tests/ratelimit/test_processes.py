"""THE test: real OS processes share one key, and the merged grants never break the vendor's rule.

Each process records the wall-clock time of every slot it got. The limiter is given the effective
rule (vendor window plus safety margin); the merged times are checked against the vendor's own window,
which is what the vendor counts: the margin is what absorbs the jitter between a grant and the call.
The margin here is 50 ms, twice the default, because colleagues' suites load the same two cores; a
limiter that is not atomic overshoots by whole bursts (two processes granted in the same instant), far
beyond any margin.
"""

import multiprocessing
import queue
import time

import pytest

from tests.ratelimit.hammer import hammer, max_in_any_window
from vendors.ratelimit import RateRule, effective_limits

PROCESSES = 4
DURATION_S = 2.0


@pytest.mark.parametrize("mode", ["acquire", "reserve"])
@pytest.mark.parametrize("vendor_rule", [RateRule(5, 0.5), RateRule(1, 0.2)], ids=str)
def test_processes_sharing_a_key_never_exceed_the_limit_in_any_window(
    backend_url, key_prefix, vendor_rule, mode, monkeypatch, pytestconfig
):
    # Spawned children copy sys.path; with --import-mode=importlib nothing else puts the project there.
    monkeypatch.syspath_prepend(str(pytestconfig.rootpath))
    (rule,) = effective_limits({"ep": (vendor_rule,)}, margin_frac=0.02, margin_s=0.05)["ep"]
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=hammer,
            args=(
                backend_url,
                key_prefix,
                "huawei:acct:ep",
                [(rule.limit, rule.window_s)],
                mode,
                DURATION_S,
                barrier,
                results,
            ),
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        per_process = collect(results, workers, timeout_s=60)
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    grants = sorted(t for times in per_process for t in times)

    assert all(worker.exitcode == 0 for worker in workers)
    assert max_in_any_window(grants, vendor_rule.window_s) <= vendor_rule.limit
    # Liveness, loosely: most of the windows in the run were used.
    windows = DURATION_S / rule.window_s
    assert len(grants) >= vendor_rule.limit * int(windows * 0.6)


def collect(results, workers, *, timeout_s):
    """Each worker's list of grant times; fails fast, not after the timeout, if a worker died."""
    collected, deadline = [], time.monotonic() + timeout_s
    while len(collected) < len(workers):
        try:
            collected.append(results.get(timeout=0.5))
        except queue.Empty:
            crashed = [worker.exitcode for worker in workers if worker.exitcode not in (None, 0)]
            assert not crashed, f"worker processes died with exit codes {crashed}"
            assert time.monotonic() < deadline, "workers did not report in time"
    return collected
