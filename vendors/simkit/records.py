"""What the simulator accepted and how it was called: the evidence tests and benchmarks read.

``CommandLog`` proves a command reached a device exactly once (the point of Huawei's requestID and of
the service's idempotent retries). ``Stats`` counts requests, 407/10012 refusals, 5xx and drops per
account and endpoint, so a benchmark can show it provoked no rate-limit refusals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .clock import SimClock

STAT_FIELDS = ("requests", "rate_limited", "errors_5xx", "drops")


class CommandLog:
    """Append-only list of accepted commands, each a JSON-ready dict with a 1-based ``seq``."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._entries: list[dict[str, Any]] = []

    def append(
        self,
        *,
        account: str,
        endpoint: str,
        request_id: str | None,
        targets: Iterable[str],
        params: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Record one accepted command; call it only after validation passed."""
        entry = {
            "seq": len(self._entries) + 1,
            "sim_time": self.clock.now(),
            "account": account,
            "endpoint": endpoint,
            "request_id": request_id,
            "targets": list(targets),
            "params": dict(params),
        }
        self._entries.append(entry)
        return entry

    def entries(self, since_seq: int = 0) -> list[dict[str, Any]]:
        """Entries with ``seq > since_seq``, oldest first."""
        return self._entries[since_seq:]

    def __len__(self) -> int:
        return len(self._entries)

    def reset(self) -> None:
        self._entries.clear()


class Stats:
    """``{account: {endpoint: {requests, rate_limited, errors_5xx, drops}}}``; unknown account is "-"."""

    def __init__(self) -> None:
        self._counts: dict[str, dict[str, dict[str, int]]] = {}

    def incr(self, account: str | None, endpoint: str, field: str, n: int = 1) -> None:
        if field not in STAT_FIELDS:
            raise ValueError(f"unknown stat {field!r}")
        per_endpoint = self._counts.setdefault(account or "-", {})
        counters = per_endpoint.setdefault(endpoint, dict.fromkeys(STAT_FIELDS, 0))
        counters[field] += n

    def rate_limited(self, account: str | None, endpoint: str) -> None:
        """Called by vendor handlers when they answer 407 (Huawei) or 10012 (Growatt)."""
        self.incr(account, endpoint, "rate_limited")

    def snapshot(self) -> dict[str, Any]:
        """The JSON shape of ``GET /_sim/stats``: per account and endpoint, plus totals."""
        totals = dict.fromkeys(STAT_FIELDS, 0)
        for per_endpoint in self._counts.values():
            for counters in per_endpoint.values():
                for field, value in counters.items():
                    totals[field] += value
        accounts = {
            account: {endpoint: dict(counters) for endpoint, counters in per_endpoint.items()}
            for account, per_endpoint in self._counts.items()
        }
        return {"accounts": accounts, "totals": totals}

    def reset(self) -> None:
        self._counts.clear()
