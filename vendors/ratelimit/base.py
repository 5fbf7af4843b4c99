"""What every limiter backend offers, written once on top of one atomic primitive per backend."""

from __future__ import annotations

import abc
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .rules import RateRule, rules_us

STATS_TTL_S = 3600
"""Counters outlive a key's log by an hour after its last use: long enough to read a run's figures."""

_FOREVER_US = 10**15
"""~31 years: "no deadline" as a number both Lua and SQLite compare exactly."""


class RateLimitTimeout(Exception):
    """No slot for ``key`` within the caller's deadline; ``retry_after_s`` says when one would be."""

    def __init__(self, key: str, retry_after_s: float) -> None:
        super().__init__(f"no rate-limit slot for {key!r} within the timeout; next in {retry_after_s:.3f} s")
        self.key = key
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class RateStats:
    """Per-key counters for figures: slots granted, reserve calls refused, and seconds of booked wait."""

    granted: int = 0
    refused: int = 0
    waited_s: float = 0.0


class RateLimiter(abc.ABC):
    """A sliding-window log per key, shared by every process that points at the same store.

    Backends implement ``_book`` atomically; the log only grows at or after its newest slot, so
    ``reserve`` and ``reserve_earliest`` callers on one key queue in order and never overtake a booking.
    All callers of one key must pass the same rules (they come from one account's policy): the log is
    trimmed to the longest window of the call at hand.
    """

    @abc.abstractmethod
    def _book(
        self, key: str, rules: list[tuple[int, int]], max_wait_us: int, flight_us: int = 0
    ) -> tuple[bool, int, str]:
        """Atomically: the earliest slot's delay in us; record it only if it is at most ``max_wait_us``,
        and return the booking's id. ``flight_us`` > 0 books it open (see ``take``), else settled."""

    @abc.abstractmethod
    def _confirm(self, key: str, member: str, rules: list[tuple[int, int]]) -> int:
        """Atomically: move an open booking later if the bookings made before it (open ones counted as
        ending now, settled ones at their answer) say so; the us until it (<= 0: the call may go now)."""

    @abc.abstractmethod
    def _settle(self, key: str, member: str, rules: list[tuple[int, int]]) -> None:
        """The answer came back: the booking counts from now (or its slot, if later), no longer open."""

    @abc.abstractmethod
    def _cancel(self, key: str, member: str, rules: list[tuple[int, int]]) -> None:
        """Give an open booking back: nothing was sent for it."""

    @abc.abstractmethod
    def stats(self, key: str) -> RateStats:
        """Counters for ``key`` (zeros if it was never used or its counters expired)."""

    def close(self) -> None:  # noqa: B027 - optional hook, backends override when they hold resources
        """Release connections; the limiter is not used afterwards."""

    def reserve(self, key: str, rules: Sequence[RateRule]) -> float:
        """Take a slot now and return 0.0, or record nothing and return the seconds until one is free.

        For callers that would rather do other work than wait (a poll loop picking the next plant).
        No rules means nothing to enforce: 0.0 without touching the store.
        """
        if not rules:
            return 0.0
        granted, delay_us, _ = self._book(key, rules_us(rules), 0)
        return 0.0 if granted else max(delay_us, 1) / 1_000_000

    def reserve_earliest(self, key: str, rules: Sequence[RateRule], *, max_wait_s: float = math.inf) -> float:
        """Book the earliest free slot, now or later, and return the seconds until it (0.0 if now).

        The caller must wait that long before calling the vendor. One round trip, and waiting workers
        are served first come first served instead of all waking at once to race for the next slot.
        Raises ``RateLimitTimeout`` (booking nothing) if that slot is more than ``max_wait_s`` away.
        """
        if not rules:
            return 0.0
        max_wait_us = _FOREVER_US if max_wait_s >= _FOREVER_US / 1e6 else int(max(max_wait_s, 0.0) * 1e6)
        granted, delay_us, _ = self._book(key, rules_us(rules), max_wait_us)
        if not granted:
            raise RateLimitTimeout(key, delay_us / 1_000_000)
        return delay_us / 1_000_000

    def take(
        self,
        key: str,
        rules: Sequence[RateRule],
        *,
        max_wait_s: float,
        flight_s: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Slot:
        """Wait until the vendor may be called, and return the slot; call ``Slot.done()`` when the answer
        (or the failure) came back. ``RateLimitTimeout`` (nothing booked) if that is beyond ``max_wait_s``.

        Unlike ``acquire``, a call taken here counts from when its answer came back, not from its booked
        slot: the vendor read its clock somewhere between our send and its answer, so a later call sent one
        window after that answer can never land inside the vendor's window of this one, however late this
        process woke up or how long the request sat in a queue (a busy machine, a simulator at speed 600
        where 100 ms is a vendor minute). While a call is open (sent, no answer yet), the calls booked after
        it wait; ``flight_s`` bounds that (the request's timeout): a process that died mid-call holds the
        others back at most that long. Bookings stay first come, first served.
        """
        if not rules:
            return Slot(self, key, None, [])
        us_rules = rules_us(rules)
        deadline = time.monotonic() + max(max_wait_s, 0.0)
        max_wait_us = _FOREVER_US if max_wait_s >= _FOREVER_US / 1e6 else int(max(max_wait_s, 0.0) * 1e6)
        granted, delay_us, member = self._book(key, us_rules, max_wait_us, max(1, int(flight_s * 1e6)))
        if not granted:
            raise RateLimitTimeout(key, delay_us / 1_000_000)
        while True:
            if delay_us > 0:
                sleep(delay_us / 1_000_000)
            delay_us = self._confirm(key, member, us_rules)
            if delay_us <= 0:
                return Slot(self, key, member, us_rules)
            if time.monotonic() + delay_us / 1_000_000 > deadline:
                self._cancel(key, member, us_rules)
                raise RateLimitTimeout(key, delay_us / 1_000_000)

    def acquire(self, key: str, rules: Sequence[RateRule], *, timeout_s: float) -> None:
        """Wait for a slot and return when the vendor may be called; ``RateLimitTimeout`` past ``timeout_s``.

        Fails at once, without sleeping, when the earliest slot is already beyond the timeout: the
        caller (a Celery task) can reschedule itself instead of holding a worker.
        """
        delay_s = self.reserve_earliest(key, rules, max_wait_s=timeout_s)
        if delay_s > 0:
            time.sleep(delay_s)

    def __enter__(self) -> RateLimiter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Slot:
    """A slot from ``RateLimiter.take``: the vendor may be called now; ``done()`` once its answer is back.

    Also a context manager (``done`` on exit, however the call ended). ``done`` is idempotent.
    """

    __slots__ = ("_limiter", "_member", "_rules", "key")

    def __init__(self, limiter: RateLimiter, key: str, member: str | None, rules: list[tuple[int, int]]):
        self._limiter = limiter
        self.key = key
        self._member = member
        self._rules = rules

    def done(self) -> None:
        member, self._member = self._member, None
        if member is not None:
            self._limiter._settle(self.key, member, self._rules)

    def __enter__(self) -> Slot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.done()
