"""Injected misbehaviour: slow answers, HTTP 503, and connections closed without an answer.

Why: a dispatch service earns its keep when the vendor cloud misbehaves. The interesting case is a
command the vendor ACCEPTED whose answer never arrived (``drop_after_rate``): the client must retry with
the same identity and the vendor must recognise the duplicate. A seeded ``random.Random`` keeps a
faulty run reproducible; ``max_faults`` makes "fail exactly the next call" possible in tests.
Control-plane paths (``/_sim/...``) are never faulted, so a test can always repair the simulator.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class FaultConfig:
    """What to inject. Rates are probabilities in 0..1 drawn once per request, in this order:
    drop before handling, 503 before handling, drop after handling (the handler's effects stay)."""

    latency_ms: float = 0.0
    error_5xx_rate: float = 0.0
    drop_rate: float = 0.0
    drop_after_rate: float = 0.0
    paths: list[str] = field(default_factory=list)
    """Path substrings the rates apply to; empty means every non-control path. Latency applies too."""
    max_faults: int | None = None
    """Stop injecting 503s and drops after this many; None means no cap."""
    hold: bool = False
    """Hold matching requests before they are handled until the faults are set again without ``hold``: a
    command in flight for exactly as long as a test needs, however slow the machine (a latency races it)."""

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> FaultConfig:
        """Validate a ``POST /_sim/faults`` body; ``{}`` means no faults. Raises ValueError."""
        known = {f.name for f in fields(cls)}
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        config = cls(**body)
        config.validate()
        return config

    def validate(self) -> None:
        for name in ("error_5xx_rate", "drop_rate", "drop_after_rate"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a number in 0..1")
        if not isinstance(self.latency_ms, int | float) or self.latency_ms < 0:
            raise ValueError("latency_ms must be >= 0")
        if not isinstance(self.paths, list) or not all(isinstance(p, str) for p in self.paths):
            raise ValueError("paths must be a list of strings")
        if self.max_faults is not None and (not isinstance(self.max_faults, int) or self.max_faults < 0):
            raise ValueError("max_faults must be a non-negative integer or null")
        if not isinstance(self.hold, bool):
            raise ValueError("hold must be true or false")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """Holds the live ``FaultConfig`` and decides, per request, what happens to it."""

    BEFORE_DROP = "drop"
    BEFORE_503 = "503"
    AFTER_DROP = "drop_after"

    def __init__(self, config: FaultConfig | None = None, seed: int = 0) -> None:
        self.seed = seed
        self.released = asyncio.Event()  # set while nothing is held (``hold``)
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        """Replace the config and restart the random sequence, so a test's faults are reproducible. A
        config without ``hold`` releases every request held so far."""
        config.validate()
        self.config = config
        self.rng = random.Random(self.seed)
        self.injected = 0
        if config.hold:
            self.released.clear()
        else:
            self.released.set()

    def applies_to(self, path: str) -> bool:
        if path.startswith("/_sim/"):
            return False
        return not self.config.paths or any(p in path for p in self.config.paths)

    def _budget_left(self) -> bool:
        return self.config.max_faults is None or self.injected < self.config.max_faults

    def decide(self, path: str) -> tuple[str | None, str | None]:
        """``(before, after)``: what to do before the handler runs and after it answered."""
        if not self.applies_to(path):
            return None, None
        c = self.config
        # Always draw three numbers so one rate does not shift the sequence of another.
        r_drop, r_503, r_after = self.rng.random(), self.rng.random(), self.rng.random()
        before = after = None
        if self._budget_left() and r_drop < c.drop_rate:
            before = self.BEFORE_DROP
        elif self._budget_left() and r_503 < c.error_5xx_rate:
            before = self.BEFORE_503
        elif self._budget_left() and r_after < c.drop_after_rate:
            after = self.AFTER_DROP
        if before or after:
            self.injected += 1
        return before, after
