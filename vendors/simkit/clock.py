"""Simulated time shared by everything inside one simulator process.

Why: vendor rules are stated in wall-clock terms (once a minute, 24 h task timeout, 30 min token idle
expiry). A simulator that runs faster than real time and can jump forward lets tests and demos reach
those edges in seconds, as long as every rule reads this clock and never ``time.time()``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime


class SimClock:
    """``now() = start_epoch + real_elapsed * speed + offset``; ``advance()`` adds to the offset.

    Speed 0 pauses the clock: only ``advance()`` moves it, which makes window edges exact in tests.
    ``set_speed()`` changes the rate from now on without a jump. ``monotonic`` is injectable for tests.
    """

    def __init__(
        self,
        start_epoch: float | None = None,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._monotonic = monotonic
        self.start_epoch = float(start_epoch if start_epoch is not None else int(time.time() // 60 * 60))
        self.initial_speed = self.speed = float(speed)
        self._offset_s = 0.0
        self._base_sim = self.start_epoch  # simulated time at _base_real, before offsets
        self._base_real = monotonic()

    def now(self) -> float:
        """Simulated time as a Unix epoch in seconds (float)."""
        return self._base_sim + (self._monotonic() - self._base_real) * self.speed + self._offset_s

    def set_speed(self, speed: float) -> None:
        """Run at ``speed`` simulated seconds per real second from now on (0 pauses)."""
        if speed < 0:
            raise ValueError("speed must be >= 0")
        real = self._monotonic()
        self._base_sim += (real - self._base_real) * self.speed
        self._base_real = real
        self.speed = float(speed)

    def now_ms(self) -> int:
        """Simulated time as Unix epoch milliseconds, the unit most vendor APIs use."""
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> float:
        """Jump forward (never backward) and return the new simulated time."""
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        self._offset_s += float(seconds)
        return self.now()

    def reset(self) -> None:
        """Back to ``start_epoch``, start-up speed and no offset, as if the process had just started."""
        self._base_sim = self.start_epoch
        self._base_real = self._monotonic()
        self._offset_s = 0.0
        self.speed = self.initial_speed

    def snapshot(self) -> dict[str, object]:
        """The JSON shape of ``GET /_sim/clock``."""
        now = self.now()
        return {
            "sim_time": now,
            "sim_time_ms": int(now * 1000),
            "iso": datetime.fromtimestamp(now, tz=UTC).isoformat(),
            "speed": self.speed,
            "offset_s": self._offset_s,
            "start_epoch": self.start_epoch,
        }
