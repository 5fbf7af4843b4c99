"""Celery entry points of webhook delivery, on their own "webhooks" queue: a slow receiver never holds up
a dispatch worker."""

from __future__ import annotations

from celery import shared_task

from webhooks.delivery import DELIVER_TASK, KICK_HORIZON_S, deliver_run, due_subscription_ids, kick_deliver
from webhooks.services import webhook_events_prune


@shared_task(name=DELIVER_TASK, ignore_result=True, acks_late=True, soft_time_limit=120, time_limit=150)
def deliver(subscription_id: int) -> None:
    again = deliver_run(subscription_id=subscription_id)
    if again is not None and again <= KICK_HORIZON_S:
        kick_deliver([subscription_id], countdown=again)


@shared_task(name="webhooks.prune", ignore_result=True, acks_late=True, soft_time_limit=240, time_limit=300)
def prune() -> None:
    webhook_events_prune()


@shared_task(name="webhooks.tick", ignore_result=True, acks_late=True, soft_time_limit=30, time_limit=60)
def tick() -> None:
    """The fallback: whatever is due and not being delivered (a lost message, a long backoff, a replay)."""
    kick_deliver(due_subscription_ids())
