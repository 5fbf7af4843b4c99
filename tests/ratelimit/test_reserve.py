"""reserve / reserve_earliest / acquire on both backends, in one process.

Windows are a fraction of a second to keep the suite fast; assertions are on counts and order, with
generous tolerances on durations (a loaded CI machine sleeps late, never early).
"""

import time

import pytest

from vendors.ratelimit import RateLimitTimeout, RateRule


def test_a_burst_gets_exactly_the_limit_then_the_remaining_window(limiter):
    rules = [RateRule(3, 0.4)]
    started = time.monotonic()
    waits = [limiter.reserve("huawei:a1:login", rules) for _ in range(6)]
    elapsed = time.monotonic() - started

    assert waits[:3] == [0.0, 0.0, 0.0]
    assert all(0.0 < wait <= 0.4 for wait in waits[3:])
    assert waits[3] >= 0.4 - elapsed - 0.05  # about what is left of the window of the first grant


def test_a_full_burst_is_granted_again_once_the_window_has_passed(limiter):
    rules = [RateRule(3, 0.3)]
    assert [limiter.reserve("k", rules) for _ in range(4)].count(0.0) == 3

    time.sleep(0.35)

    waits = [limiter.reserve("k", rules) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0


def test_refused_reserves_record_nothing(limiter):
    rules = [RateRule(1, 0.3)]
    assert limiter.reserve("k", rules) == 0.0
    for _ in range(10):  # hammering while refused must not push the window out
        assert limiter.reserve("k", rules) > 0

    time.sleep(0.33)

    assert limiter.reserve("k", rules) == 0.0
    assert limiter.stats("k").granted == 2
    assert limiter.stats("k").refused == 10


def test_every_rule_of_a_limit_holds(limiter):
    # 4 per 0.3 s AND 6 per 1.2 s, a scaled-down "10 per minute and 1000 per day".
    rules = [RateRule(4, 0.3), RateRule(6, 1.2)]
    first = [limiter.reserve("drm", rules) for _ in range(5)]
    assert first[:4] == [0.0] * 4
    assert 0.0 < first[4] <= 0.3  # the short window binds first

    time.sleep(first[4] + 0.02)

    second = [limiter.reserve("drm", rules) for _ in range(3)]
    assert second[:2] == [0.0, 0.0]  # six in the long window now
    assert second[2] > 0.5  # and it is the long window that binds: ~0.9 s left of 1.2 s


def test_accounts_and_endpoints_are_limited_independently(limiter):
    rules = [RateRule(1, 5.0)]
    assert limiter.reserve("huawei:a1:chargeAndDischarge", rules) == 0.0
    assert limiter.reserve("huawei:a1:chargeAndDischarge", rules) > 0

    assert limiter.reserve("huawei:a2:chargeAndDischarge", rules) == 0.0
    assert limiter.reserve("huawei:a1:dod", rules) == 0.0


def test_reserve_earliest_books_slots_in_order_one_window_apart(limiter):
    rules = [RateRule(2, 0.3)]
    delays, bounds = [], []  # bounds: the booked slot lies between call start and return, plus the delay
    for _ in range(6):
        before = time.time()
        delays.append(limiter.reserve_earliest("k", rules))
        bounds.append((before + delays[-1], time.time() + delays[-1]))

    assert delays[:2] == [0.0, 0.0]
    assert all(delay > 0 for delay in delays[2:])
    for (earliest, latest), (later_earliest, later_latest) in zip(bounds, bounds[2:], strict=False):
        assert later_earliest - latest - 0.002 <= 0.3 <= later_latest - earliest + 0.002
    # A plain reserve cannot jump the queue of booked slots.
    wait = limiter.reserve("k", rules)
    assert time.time() + wait >= bounds[-1][0] - 0.002


def test_acquire_waits_for_each_slot(limiter):
    rules = [RateRule(1, 0.2)]
    started = time.monotonic()
    for _ in range(3):
        limiter.acquire("k", rules, timeout_s=5)
    elapsed = time.monotonic() - started

    assert 0.38 <= elapsed < 2.0
    assert limiter.stats("k").granted == 3
    assert 0.25 < limiter.stats("k").waited_s <= 0.41  # booked delays: less if a call came late


def test_acquire_raises_at_once_when_the_next_slot_is_past_the_timeout(limiter):
    rules = [RateRule(1, 5.0)]
    limiter.acquire("k", rules, timeout_s=1)

    started = time.monotonic()
    with pytest.raises(RateLimitTimeout) as raised:
        limiter.acquire("k", rules, timeout_s=0.1)

    assert time.monotonic() - started < 1.0
    assert raised.value.key == "k"
    assert 4.0 < raised.value.retry_after_s <= 5.0
    assert limiter.stats("k").granted == 1  # the timed-out call booked nothing


def test_no_rules_means_no_limit_and_no_bookkeeping(limiter):
    assert [limiter.reserve("free", []) for _ in range(50)] == [0.0] * 50
    limiter.acquire("free", [], timeout_s=0)
    assert limiter.stats("free").granted == 0


def test_stats_of_an_unused_key_are_zero(limiter):
    stats = limiter.stats("never-used")
    assert (stats.granted, stats.refused, stats.waited_s) == (0, 0, 0.0)
