"""Celery entry points of power targets: a beat tick that stores each settled interval of every window
(delivery.power_target_record, an upsert: safe to repeat and to run twice at once) and re-allocates the
shortfalls of running windows."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from dispatch.powertargets.delivery import power_target_record, power_targets_to_record
from dispatch.powertargets.models import PowerTarget
from dispatch.powertargets.reallocate import power_target_reallocate, power_targets_due


@shared_task(name="powertargets.reallocate_tick", ignore_result=True, acks_late=True)
def reallocate_tick() -> None:
    """Every target's settled intervals get stored; every running one gets its last interval judged (each
    round is claimed: safe to repeat)."""
    now = timezone.now()
    for target in PowerTarget.objects.filter(pk__in=power_targets_to_record(now=now)):
        power_target_record(target=target, now=now)
    for target_id in power_targets_due(now=now):
        power_target_reallocate(target_id=target_id, now=now)
