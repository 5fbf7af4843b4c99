"""Worker processes for the multi-process tests (a plain module, so ``spawn`` children can import it)."""

import bisect
import time
from collections.abc import Sequence

from vendors.ratelimit import RateLimitTimeout, RateRule, limiter_from_url


def max_in_any_window(times: Sequence[float], window_s: float) -> int:
    """The most grants in any half-open interval ``[t, t + window_s)``; the busiest one starts at a grant."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + window_s) - i for i, t in enumerate(ordered)),
        default=0,
    )


def hammer(
    url: str,
    prefix: str,
    key: str,
    rules: list[tuple[int, float]],
    mode: str,
    duration_s: float,
    barrier,
    results,
) -> None:
    """Take slots on ``key`` as fast as the limiter allows for ``duration_s``; report each grant's time.

    ``mode`` "acquire" books the earliest slot and sleeps; "reserve" polls, sleeping the returned wait.
    The wall-clock time is taken right after each grant, as a client would then call the vendor.
    """
    limiter = limiter_from_url(url, prefix=prefix)
    rate_rules = [RateRule(limit, window_s) for limit, window_s in rules]
    granted: list[float] = []
    barrier.wait(timeout=60)
    stop_at = time.time() + duration_s
    try:
        while (remaining := stop_at - time.time()) > 0:
            if mode == "acquire":
                try:
                    limiter.acquire(key, rate_rules, timeout_s=remaining)
                except RateLimitTimeout:
                    break
            else:
                wait_s = limiter.reserve(key, rate_rules)
                if wait_s > 0:
                    time.sleep(min(wait_s, remaining))
                    continue
            granted.append(time.time())
    finally:
        results.put(granted)
        limiter.close()
