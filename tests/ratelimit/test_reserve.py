"""reserve / reserve_earliest / acquire on both backends, in one process.

Windows are a fraction of a second to keep the suite fast, so the assertions must hold however late a busy
machine runs each line: each call is timed (``Timed``: the slot lies between the call's start and return)
and the tests assert what the limiter promises for any timing, that no ``limit + 1`` grants ever fit in one
window and that a slot is given as soon as the rules allow, never what a quiet machine happens to do.
"""

import time
from dataclasses import dataclass

import pytest

from vendors.ratelimit import RateLimitTimeout, RateRule

EPS = 0.002  # the limiter's clock (Redis TIME or SQLite's) and ours are one clock, read microseconds apart


@dataclass
class Timed:
    wait: float
    before: float
    after: float


def timed_reserves(limiter, key, rules, n):
    calls = []
    for _ in range(n):
        before = time.time()
        wait = limiter.reserve(key, rules)
        calls.append(Timed(wait, before, time.time()))
    return calls


def assert_never_over(grants, rules):
    """No ``limit + 1`` of the granted calls fit inside one window (their slots lie within the bounds)."""
    for rule in rules:
        for first, last in zip(grants, grants[rule.limit :], strict=False):
            assert last.after - first.before >= rule.window_s - EPS, (rule, first, last)


def test_a_burst_gets_exactly_the_limit_then_the_remaining_window(limiter):
    rules = [RateRule(3, 60.0)]  # a minute: no stall of this machine lasts one
    calls = timed_reserves(limiter, "huawei:a1:login", rules, 6)

    assert [c.wait for c in calls[:3]] == [0.0, 0.0, 0.0]
    for call in calls[3:]:
        assert 0.0 < call.wait <= 60.0
        # what is left of the window of the first grant, as seen from this call
        assert calls[0].before + 60.0 - EPS <= call.after + call.wait
        assert call.before + call.wait <= calls[0].after + 60.0 + EPS


def test_a_full_burst_is_granted_again_once_the_window_has_passed(limiter):
    rules = [RateRule(3, 0.3)]
    first = timed_reserves(limiter, "k", rules, 4)
    assert [c.wait for c in first[:3]] == [0.0, 0.0, 0.0]
    assert_never_over([c for c in first if c.wait == 0.0], rules)

    time.sleep(0.35)  # every grant so far is older than the window

    second = timed_reserves(limiter, "k", rules, 4)
    assert [c.wait for c in second[:3]] == [0.0, 0.0, 0.0]
    assert_never_over([c for c in first + second if c.wait == 0.0], rules)


def test_refused_reserves_record_nothing(limiter):
    rules = [RateRule(1, 0.3)]
    assert limiter.reserve("k", rules) == 0.0
    hammering = timed_reserves(limiter, "k", rules, 10)  # refused, unless the machine stalled a window
    refused = sum(1 for c in hammering if c.wait > 0)

    time.sleep(0.33)  # the window of the last grant (the first call, or one of the hammering if late) is over

    # A refused call booking anything would have pushed the window out by a window per refusal.
    assert limiter.reserve("k", rules) == 0.0
    assert limiter.stats("k").granted == 12 - refused
    assert limiter.stats("k").refused == refused


def test_every_rule_of_a_limit_holds(limiter):
    # 4 per 0.3 s AND 6 per 3 s, a scaled-down "10 per minute and 1000 per day".
    rules = [RateRule(4, 0.3), RateRule(6, 3.0)]
    first = timed_reserves(limiter, "drm", rules, 5)
    assert [c.wait for c in first[:4]] == [0.0] * 4
    assert_never_over([c for c in first if c.wait == 0.0], rules)

    time.sleep(0.35)  # the short window is over; the long one is not

    second = timed_reserves(limiter, "drm", rules, 4)
    calls = first + second
    grants = [c for c in calls if c.wait == 0.0]
    assert len(grants) == 6  # then the long window binds: at most six in 3 s, and no machine stalls 3 s
    assert [c.wait > 0.0 for c in second].count(False) == 6 - sum(c.wait == 0.0 for c in first)
    assert_never_over(grants, rules)
    last = calls[-1]
    assert last.wait > 0.3  # the long window that binds: what is left of 3 s since the first grant
    assert last.after + last.wait >= grants[0].before + 3.0 - EPS


def test_accounts_and_endpoints_are_limited_independently(limiter):
    rules = [RateRule(1, 5.0)]
    assert limiter.reserve("huawei:a1:chargeAndDischarge", rules) == 0.0
    assert limiter.reserve("huawei:a1:chargeAndDischarge", rules) > 0

    assert limiter.reserve("huawei:a2:chargeAndDischarge", rules) == 0.0
    assert limiter.reserve("huawei:a1:dod", rules) == 0.0


def test_reserve_earliest_books_slots_in_order_one_window_apart(limiter):
    rules = [RateRule(2, 0.3)]
    slots = []  # each booked slot lies between the call's start and return, plus the delay
    for _ in range(6):
        before = time.time()
        delay = limiter.reserve_earliest("k", rules)
        slots.append((before + delay, time.time() + delay))

    for n, (earliest, latest) in enumerate(slots):
        if n < 2:
            continue
        # Two slots per window, and the earliest such: one window after the one two places before,
        # or now if the machine ran late enough for that to have passed.
        prev_earliest, prev_latest = slots[n - 2]
        assert latest >= prev_earliest + 0.3 - EPS
        assert earliest <= max(prev_latest + 0.3, latest) + EPS
    # A plain reserve cannot jump the queue of booked slots.
    wait = limiter.reserve("k", rules)
    assert time.time() + wait >= slots[-1][0] - EPS


def test_acquire_waits_for_each_slot(limiter):
    rules = [RateRule(1, 0.2)]
    started = time.monotonic()
    for _ in range(3):
        limiter.acquire("k", rules, timeout_s=5)
    elapsed = time.monotonic() - started

    assert elapsed >= 0.4 - EPS  # three calls, one window apart
    assert limiter.stats("k").granted == 3
    assert limiter.stats("k").waited_s <= 0.4 + EPS  # booked delays: less if a call came late


def test_acquire_raises_at_once_when_the_next_slot_is_past_the_timeout(limiter, monkeypatch):
    rules = [RateRule(1, 5.0)]
    asked_at = time.time()
    limiter.acquire("k", rules, timeout_s=1)
    slept = []
    monkeypatch.setattr("vendors.ratelimit.base.time.sleep", slept.append)

    with pytest.raises(RateLimitTimeout) as raised:
        limiter.acquire("k", rules, timeout_s=0.1)

    assert slept == []  # raised without waiting
    assert raised.value.key == "k"
    assert asked_at + 5.0 - EPS <= time.time() + raised.value.retry_after_s  # one window after the grant
    assert raised.value.retry_after_s <= 5.0
    assert limiter.stats("k").granted == 1  # the timed-out call booked nothing


def test_no_rules_means_no_limit_and_no_bookkeeping(limiter):
    assert [limiter.reserve("free", []) for _ in range(50)] == [0.0] * 50
    limiter.acquire("free", [], timeout_s=0)
    assert limiter.stats("free").granted == 0


def test_stats_of_an_unused_key_are_zero(limiter):
    stats = limiter.stats("never-used")
    assert (stats.granted, stats.refused, stats.waited_s) == (0, 0, 0.0)
