"""``SimControl``: a small synchronous httpx client for the ``/_sim/`` routes (tests, bench, demo).

Vendor-specific control routes are reachable through ``get``/``post``; a simulator may subclass this
to give them names.
"""

from __future__ import annotations

from typing import Any

import httpx


class SimControl:
    """One client per simulator base URL; safe to keep for a whole test session."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(timeout, connect=5.0))

    def get(self, path: str, **params: Any) -> Any:
        response = self._http.get(path, params=params or None)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._http.post(path, json=body or {})
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        """World, clock, limits, logs and faults back to the start-up state."""
        self.post("/_sim/reset")

    def commands(self, since: int = 0) -> list[dict[str, Any]]:
        """Accepted commands with ``seq > since``: ``{seq, sim_time, account, endpoint, request_id,
        targets, params}``."""
        return self.get("/_sim/commands", since=since)["commands"]

    def stats(self) -> dict[str, Any]:
        return self.get("/_sim/stats")

    def set_faults(self, **config: Any) -> dict[str, Any]:
        """Fields of ``FaultConfig`` (latency_ms, error_5xx_rate, drop_rate, drop_after_rate, paths,
        max_faults, hold); anything not given is off (and requests held so far are released)."""
        return self.post("/_sim/faults", config)

    def clear_faults(self) -> None:
        self.post("/_sim/faults", {})

    def clock(self) -> dict[str, Any]:
        return self.get("/_sim/clock")

    def now(self) -> float:
        """Simulated time, Unix seconds."""
        return float(self.clock()["sim_time"])

    def advance(self, seconds: float) -> dict[str, Any]:
        return self.post("/_sim/clock/advance", {"seconds": seconds})

    def set_speed(self, speed: float) -> dict[str, Any]:
        """Simulated seconds per real second from now on; 0 pauses the clock (until the next reset)."""
        return self.post("/_sim/clock/speed", {"speed": speed})

    def set_rate_limits(self, enabled: bool) -> None:
        self.post("/_sim/rate-limits", {"enabled": enabled})

    def plants(
        self, *, enrolled: bool | None = None, account: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        """The simulator's true plant state from ``GET /_sim/plants`` (same query in every simulator):
        enrolled plants (``enrolled=True``) or those still waiting to be enrolled (``False``)."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if enrolled is not None:
            params["enrolled"] = "1" if enrolled else "0"
        if account is not None:
            params["account"] = account
        return self.get("/_sim/plants", **params)["plants"]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SimControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
