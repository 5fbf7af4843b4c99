"""Call shortcuts for the Growatt simulator's tests: unwrap the envelope, move the clock to local times."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

BLANK = " "  # Growatt 4.3.12: unused param2..4 are passed as a blank string


def ok(response: httpx.Response) -> Any:
    """The ``data`` of a successful answer; fails the test with the vendor's message otherwise."""
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "error_code", "error_msg"}
    assert body["error_code"] == 0, body
    return body["data"]


def code(response: httpx.Response) -> int:
    """The ``error_code`` of an answer, which Growatt always sends with HTTP 200."""
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data", "error_code", "error_msg"}
    return body["error_code"]


def advance_to_local(growatt_sim: Any, timezone: str, target: datetime) -> None:
    """Move the simulated clock to a local wall time (never backwards)."""
    seconds = (target - growatt_sim.local_now(timezone)).total_seconds()
    assert seconds >= 0, f"{target} is already past"
    growatt_sim.control.advance(seconds)


def morning_if_late(growatt_sim: Any, timezone: str, latest_hour: int) -> datetime:
    """The plant's local now, after jumping to 01:00 the next local day when it is ``latest_hour`` or
    later, so a window that follows fits in the same local day (windows never cross midnight, 10013)."""
    local = growatt_sim.local_now(timezone)
    if local.hour >= latest_hour:
        next_morning = (local + timedelta(days=1)).replace(hour=1, minute=0, second=0, microsecond=0)
        advance_to_local(growatt_sim, timezone, next_morning)
        local = growatt_sim.local_now(timezone)
    return local


def window_params(start: datetime, end: datetime) -> tuple[str, str, str, str]:
    """storageSet window values: start hour, start minute, end hour, end minute (# Growatt 4.3.12)."""
    return str(start.hour), str(start.minute), str(end.hour), str(end.minute)
