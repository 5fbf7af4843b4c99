"""Celery entry points of the dispatch engine: a few lines each, the logic is in dispatch.engine.

Messages carry account ids only. Every task is idempotent under redelivery (acks_late, settings): the
engine claims work with conditional updates, and a lane already held by another worker makes a duplicate
message return at once.
"""

from __future__ import annotations

from celery import shared_task

from dispatch.engine.kick import POLL_LANE, SEND_LANE, kick_poll, kick_send
from dispatch.engine.poll import poll_lane_run
from dispatch.engine.send import send_lane_run
from dispatch.engine.sweep import sweep_run

# A lane runs for DISPATCH_LANE_BUDGET_S plus at most one vendor call (wait for a slot + HTTP + retries).
LANE_LIMITS = {"soft_time_limit": 240, "time_limit": 300}


@shared_task(name=SEND_LANE, ignore_result=True, acks_late=True, **LANE_LIMITS)
def send_lane(account_id: int) -> None:
    again = send_lane_run(account_id=account_id)
    if again is not None:  # more is due soon: run again then (the sweep would too, a little later)
        kick_send([account_id], countdown=again)


@shared_task(name=POLL_LANE, ignore_result=True, acks_late=True, **LANE_LIMITS)
def poll_lane(account_id: int) -> None:
    again = poll_lane_run(account_id=account_id)
    if again is not None:
        kick_poll([account_id], countdown=again)


@shared_task(name="dispatch.sweep", ignore_result=True, acks_late=True, soft_time_limit=60, time_limit=90)
def sweep() -> None:
    sweep_run()
