"""``take``: a call counts from when its answer came back, so a stalled process or a slow request can never
squeeze the next call into the vendor's window of this one (issue 13: a 407 from the simulator at speed 600,
where the machine stalling for 100 ms is a vendor minute).

Each assertion is an order of events on the one clock the limiter and the test share (the machine's): a
later call is released no earlier than one window after the earlier call's answer. A loaded machine only
makes things happen later, so none of them depends on how fast the machine is.
"""

import threading
import time

import pytest

from vendors.ratelimit import RateLimitTimeout, RateRule

ONCE = [RateRule(1, 0.2)]


def test_the_next_call_counts_from_the_answer_not_from_the_slot(limiter):
    first = limiter.take("k", ONCE, max_wait_s=5, flight_s=10)
    time.sleep(0.5)  # the request takes longer than a whole window: the vendor may read its clock any time
    answered_at = time.time()
    first.done()

    limiter.take("k", ONCE, max_wait_s=5, flight_s=10).done()

    assert time.time() >= answered_at + 0.2


def test_a_call_booked_while_another_is_open_waits_for_that_answer(limiter):
    first = limiter.take("k", ONCE, max_wait_s=5, flight_s=10)
    released: list[float] = []
    started = threading.Event()

    def second():
        started.set()
        with limiter.take("k", ONCE, max_wait_s=5, flight_s=10):
            released.append(time.time())

    thread = threading.Thread(target=second)
    thread.start()
    started.wait()
    time.sleep(0.6)  # three windows after the first slot, and still no answer
    assert released == []  # the second call is held while the first is open
    answered_at = time.time()
    first.done()
    thread.join(10)

    assert len(released) == 1
    assert released[0] >= answered_at + 0.2


def test_calls_are_released_in_the_order_they_were_booked(limiter):
    order: list[int] = []
    lock = threading.Lock()
    booked = [threading.Event() for _ in range(4)]

    def call(n: int):
        if n:
            booked[n - 1].wait()
        slot = limiter.take("k", [RateRule(1, 0.05)], max_wait_s=10, flight_s=10)
        booked[n].set()  # the next thread books only once this one holds a booking
        with slot, lock:
            order.append(n)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert order == [0, 1, 2, 3]


def test_a_process_that_dies_mid_call_holds_the_key_back_only_for_its_flight_allowance(limiter):
    booked_at = time.time()  # the slot is no earlier than this
    limiter.take("k", ONCE, max_wait_s=5, flight_s=0.3)  # never done: its process died

    limiter.take("k", ONCE, max_wait_s=5, flight_s=10).done()

    assert time.time() >= booked_at + 0.3 + 0.2


def test_no_slot_within_the_wait_books_nothing(limiter):
    first = limiter.take("k", ONCE, max_wait_s=5, flight_s=10)
    with pytest.raises(RateLimitTimeout) as refused:
        limiter.take("k", ONCE, max_wait_s=0.05, flight_s=10)  # the slot is a window away: refused at once
    assert refused.value.retry_after_s > 0.05
    assert limiter.stats("k").refused == 1
    first.done()


def test_a_booking_given_up_while_waiting_for_an_open_call_is_given_back(limiter):
    first = limiter.take("k", ONCE, max_wait_s=5, flight_s=10)
    # Booked one window after the first slot, within its 0.5 s; the first call is still open when it
    # wakes, so its slot moves on past the 0.5 s and it gives the booking back.
    with pytest.raises(RateLimitTimeout):
        limiter.take("k", ONCE, max_wait_s=0.5, flight_s=10)
    first.done()
    time.sleep(0.25)  # the first call's window, counted from its answer, is over

    assert limiter.reserve("k", ONCE) == 0.0  # nothing of the given-up booking is left to wait for
    assert limiter.stats("k").granted == 3


def test_every_rule_counts_answers_and_a_limit_above_one_lets_that_many_through(limiter):
    rules = [RateRule(3, 0.3)]
    slots = [limiter.take("k", rules, max_wait_s=5, flight_s=10) for _ in range(3)]  # none waits
    answered_at = time.time()  # every answer is counted from this moment or later
    for slot in slots:
        slot.done()

    limiter.take("k", rules, max_wait_s=5, flight_s=10).done()

    assert time.time() >= answered_at + 0.3


def test_plain_reserves_and_taken_calls_share_one_log(limiter):
    slot = limiter.take("k", ONCE, max_wait_s=5, flight_s=10)
    assert limiter.reserve("k", ONCE) > 0  # an open call holds the key for every caller
    answered_at = time.time()
    slot.done()
    limiter.acquire("k", ONCE, timeout_s=5)
    assert time.time() >= answered_at + 0.2


def test_no_rules_means_no_booking(limiter):
    for _ in range(20):
        limiter.take("free", [], max_wait_s=0, flight_s=1).done()
    assert limiter.stats("free").granted == 0
