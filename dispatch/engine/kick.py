"""Enqueue lane work. A lost message costs latency, never correctness: the sweep finds due work in the
database and enqueues it again, so a broker that is down (Redis restarting) is logged, not raised.

The tasks are named, not imported: ``dispatch.tasks`` calls the engine, which calls these, so an import of
the tasks here would close an import circle (issue 13). Celery routes and runs a task by its name alike."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import current_app

log = logging.getLogger(__name__)

SEND_LANE = "dispatch.send_lane"
POLL_LANE = "dispatch.poll_lane"


def kick_send(account_ids: Iterable[int], *, countdown: float | None = None) -> None:
    _enqueue(SEND_LANE, account_ids, countdown)


def kick_poll(account_ids: Iterable[int], *, countdown: float | None = None) -> None:
    _enqueue(POLL_LANE, account_ids, countdown)


def _enqueue(task: str, account_ids: Iterable[int], countdown: float | None) -> None:
    for account_id in sorted(set(account_ids)):
        try:
            current_app.signature(task, args=(account_id,)).apply_async(
                countdown=countdown if countdown and countdown > 0 else None
            )
        except Exception:  # the broker is down: the sweep will enqueue it again
            log.warning("could not enqueue %s for account %s", task, account_id, exc_info=True)
