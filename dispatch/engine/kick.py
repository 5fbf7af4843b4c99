"""Enqueue lane work. A lost message costs latency, never correctness: the sweep finds due work in the
database and enqueues it again, so a broker that is down (Redis restarting) is logged, not raised."""

from __future__ import annotations

import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)


def kick_send(account_ids: Iterable[int], *, countdown: float | None = None) -> None:
    from dispatch.tasks import send_lane

    _enqueue(send_lane, account_ids, countdown)


def kick_poll(account_ids: Iterable[int], *, countdown: float | None = None) -> None:
    from dispatch.tasks import poll_lane

    _enqueue(poll_lane, account_ids, countdown)


def _enqueue(task, account_ids: Iterable[int], countdown: float | None) -> None:
    for account_id in sorted(set(account_ids)):
        try:
            task.apply_async((account_id,), countdown=countdown if countdown and countdown > 0 else None)
        except Exception:  # the broker is down: the sweep will enqueue it again
            log.warning("could not enqueue %s for account %s", task.name, account_id, exc_info=True)
