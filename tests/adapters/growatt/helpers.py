"""Small helpers shared by the Growatt adapter tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from vendors.base import ChargeDischarge, SentTask, TaskStatus


def minutes(moment: datetime) -> int:
    """Minute of the local day, as the simulator reports a window."""
    return moment.hour * 60 + moment.minute


def poll_once(
    adapter, command: ChargeDischarge, request_id: str, target, remote_id: str, sent_at=None
) -> TaskStatus:
    (status,) = adapter.poll(command, request_id, [SentTask(target, remote_id, sent_at or datetime.now(UTC))])
    return status


def wait_real(seconds: float) -> None:
    """Let our own clock pass (the limiter's windows are real seconds)."""
    time.sleep(seconds)
