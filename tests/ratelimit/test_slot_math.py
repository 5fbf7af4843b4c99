"""The sliding-window slot maths (``earliest_slot_us``), driven with generated arrival times.

Both backends compute the same thing (SQLite calls this function; the Redis Lua script mirrors it), so
here time is driven exactly, without clocks.
"""

from hypothesis import given
from hypothesis import strategies as st

from tests.ratelimit.hammer import max_in_any_window
from vendors.ratelimit.rules import earliest_slot_us

rules_st = st.lists(
    st.tuples(st.integers(min_value=1, max_value=5), st.integers(min_value=1, max_value=1000)),
    min_size=1,
    max_size=3,
)
gaps_st = st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=60)


def fits(log, t, rules):
    return all(max_in_any_window([*log, t], window) <= limit for limit, window in rules)


@given(rules=rules_st, gaps=gaps_st)
def test_reserve_now_grants_exactly_when_one_more_call_keeps_every_rule(rules, gaps):
    log, now = [], 0
    for gap in gaps:
        now += gap
        slot = earliest_slot_us(now, log[::-1], rules)
        assert slot >= now
        assert (slot == now) == fits(log, now, rules)  # refused only when it must be
        if slot == now:
            log.append(now)
    for limit, window in rules:
        assert max_in_any_window(log, window) <= limit


@given(rules=rules_st, gaps=gaps_st)
def test_booked_slots_keep_every_rule_and_are_the_earliest_possible(rules, gaps):
    log, now = [], 0
    for gap in gaps:
        now += gap
        slot = earliest_slot_us(now, log[::-1], rules)
        floor = max([now, *log[-1:]])
        assert slot >= floor
        assert fits(log, slot, rules)
        if slot > floor:
            assert not fits(log, slot - 1, rules)  # one microsecond earlier would break a rule
        log.append(slot)
    for limit, window in rules:
        assert max_in_any_window(log, window) <= limit
