"""Celery entry points of power targets: a beat tick that re-allocates shortfalls of running windows."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from dispatch.powertargets.reallocate import power_target_reallocate, power_targets_due


@shared_task(name="powertargets.reallocate_tick", ignore_result=True, acks_late=True)
def reallocate_tick() -> None:
    """Every running power target gets its last interval judged (each round is claimed: safe to repeat)."""
    now = timezone.now()
    for target_id in power_targets_due(now=now):
        power_target_reallocate(target_id=target_id, now=now)
