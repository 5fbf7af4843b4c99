"""Sliding-window rate limiter counted in simulated time.

Why sliding windows: a vendor that says "once per minute" refuses a second call 59 s after the first,
whatever the calendar minute. Only allowed calls are recorded, so a client that keeps hammering after a
refusal does not push its own window further out (a refused call does not consume quota); ``record_all``
is for a vendor whose quota does count them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable

from .clock import SimClock

Rule = tuple[Hashable, int, float]
"""``(key, limit, window_s)``: at most ``limit`` allowed hits for ``key`` in any ``window_s`` seconds."""


class SlidingWindowLimiter:
    """Per-key hit history; ``enabled = False`` lets every call through (benchmarks)."""

    def __init__(self, clock: SimClock, enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        self._hits: dict[tuple[Hashable, float], deque[float]] = {}

    def _window(self, key: Hashable, window_s: float, now: float) -> deque[float]:
        hits = self._hits.setdefault((key, window_s), deque())
        while hits and hits[0] <= now - window_s:
            hits.popleft()
        return hits

    def check(self, key: Hashable, limit: int, window_s: float) -> bool:
        """True and record a hit if ``key`` is under ``limit`` in the last ``window_s``; else False."""
        return self.check_all([(key, limit, window_s)])

    def check_all(self, rules: Iterable[Rule]) -> bool:
        """Several windows on one call (e.g. 10/min AND 1000/day): record in all or in none."""
        if not self.enabled:
            return True
        now = self.clock.now()
        windows = []
        for key, limit, window_s in rules:
            hits = self._window(key, window_s, now)
            if len(hits) >= limit:
                return False
            windows.append(hits)
        for hits in windows:
            hits.append(now)
        return True

    def record_all(self, rules: Iterable[Rule]) -> None:
        """Count a call in every window whether or not it was allowed: for a vendor whose quota counts
        refused calls too (Huawei FIELD_NOTES H18), so hammering after a refusal keeps it refused."""
        if not self.enabled:
            return
        now = self.clock.now()
        for key, _limit, window_s in rules:
            self._window(key, window_s, now).append(now)

    def retry_after(self, key: Hashable, limit: int, window_s: float) -> float:
        """Simulated seconds until ``check`` would pass again (0 if it would pass now)."""
        now = self.clock.now()
        hits = self._window(key, window_s, now)
        if len(hits) < limit:
            return 0.0
        return max(0.0, hits[len(hits) - limit] + window_s - now)

    def reset(self) -> None:
        self._hits.clear()
