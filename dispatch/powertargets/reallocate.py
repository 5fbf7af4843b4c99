"""Re-allocate a power target's shortfall to its reserve while the window runs.

Plants fail, are rejected, go offline or give less than planned; the plan's reserve (the plants left out
as `not_needed`) is there for that. Once every participant's command has landed and one telemetry window
has shown it, each complete interval is judged: a fleet more than 5 % short of the target gets the
shortfall planned anew (dispatch.planning, the same policy) over the reserve for the rest of the window,
and those plants are added to the job as tasks of their own, sent through the engine like the first.

Bounded: a plant is commanded at most once per target (a vendor may refuse the same signal while a
task runs, NBI V7 9.3.4 NOTICE, so raising a running plant is not an option there), at most `MAX_ROUNDS`
rounds, and a round waits for the previous one to show in telemetry (two intervals) before the next
judgement. A round is claimed by a conditional update on the target, so two ticks never add plants twice.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from dispatch.engine.kick import kick_send
from dispatch.models import DispatchJob, DispatchTask
from dispatch.planning import Target, plan_power_target
from dispatch.planning.model import INTERVAL_S
from dispatch.powertargets.delivery import TOLERANCE, power_target_delivery
from dispatch.powertargets.models import PowerTarget, PowerTargetPlant
from dispatch.powertargets.selectors import plant_states, vendor_profiles
from dispatch.services import _conflicting_tasks
from fleets.models import Plant
from vendors.base import CommandKind

log = logging.getLogger(__name__)
T = DispatchTask.State
MAX_ROUNDS = 3


def power_targets_due(*, now: datetime) -> list[int]:
    """Open power targets whose window is running."""
    return list(
        PowerTarget.objects.filter(
            job__state__in=DispatchJob.OPEN_STATES,
            job__cancel_requested_at__isnull=True,
            window_start__lte=now,
            window_end__gt=now,
            reallocations__lt=MAX_ROUNDS,
        ).values_list("pk", flat=True)
    )


def power_target_reallocate(*, target_id: int, now: datetime | None = None) -> int:
    """Judge the last complete interval and, if the fleet is short, add reserve plants; returns how many."""
    from dispatch.powertargets.services import _plan_batches

    now = now or timezone.now()
    target = PowerTarget.objects.select_related("job").get(pk=target_id)
    speed = max(target.clock_speed, 1e-9)
    step = timedelta(seconds=INTERVAL_S / speed)
    if not target.window_start <= now < target.window_end or target.reallocations >= MAX_ROUNDS:
        return 0
    if target.reallocated_at is not None and now - target.reallocated_at < 2 * step:
        return 0  # the last round has not shown in telemetry yet
    tasks = DispatchTask.objects.filter(power_target_plant__target=target)
    if tasks.filter(state__in=(T.PENDING, T.SENDING)).exists():
        return 0  # still ramping: judge once every command is in
    landed = max(tasks.exclude(sent_at__isnull=True).values_list("sent_at", flat=True), default=None)
    # Read up to when: every participant's telemetry answer came back after this (a plant the vendor no
    # longer reports on is still asked, and its answer says so). An interval is judged only once every
    # participant was read after its end: a batch of readings still on its way (a loaded worker, the
    # account's quota busy with the fleet's sends) is not a shortfall, and re-allocating for it would
    # over-deliver once it arrives.
    parts = PowerTargetPlant.objects.filter(target=target).values("plant_id")
    polled = Plant.objects.filter(pk__in=parts).aggregate(
        oldest=Min("telemetry_polled_at"), unread=Count("pk", filter=Q(telemetry_polled_at__isnull=True))
    )
    if polled["unread"] or polled["oldest"] is None:
        return 0
    delivery = power_target_delivery(target=target, now=now)
    judged = [
        i
        for i in delivery["intervals"]
        if i["complete"]
        and datetime.fromisoformat(i["end"]) <= polled["oldest"]
        and (landed is None or datetime.fromisoformat(i["start"]) >= landed + step)
    ]
    if not judged:
        return 0
    shortfall_kw = target.power_kw - judged[-1]["measured_kw"]
    if shortfall_kw <= TOLERANCE * target.power_kw:
        return 0

    commanded = set(PowerTargetPlant.objects.filter(target=target).values_list("plant_id", flat=True))
    reserve = [e["plant"] for e in target.plan.get("excluded", []) if e["reason"] == "not_needed"]
    busy = set(_conflicting_tasks(reserve, CommandKind.CHARGE_DISCHARGE).values_list("plant_id", flat=True))
    candidates = [pk for pk in reserve if pk not in commanded and pk not in busy]
    remaining_min = math.floor((target.window_end - now).total_seconds() * speed / 60)
    if not candidates or remaining_min < 1:
        return _spend_round(target, now, added=0)
    states = plant_states(plant_ids=candidates, now=now)
    profiles = vendor_profiles(account_ids={s.account_id for s in states})
    sub = Target(
        direction=target.direction,
        power_kw=shortfall_kw,
        duration_min=remaining_min,
        start_at=now,
        now=now,
        soc_floor_pct=target.soc_floor_pct,
        soc_ceiling_pct=target.soc_ceiling_pct,
        clock_speed=target.clock_speed,
    )
    plan = plan_power_target(sub, states, profiles)
    if not plan.allocations:
        return _spend_round(target, now, added=0)
    with transaction.atomic():
        claimed = PowerTarget.objects.filter(pk=target.pk, reallocations=target.reallocations).update(
            reallocations=F("reallocations") + 1, reallocated_at=now
        )
        if claimed != 1:
            return 0  # another tick took this round
        job = DispatchJob.objects.select_for_update().get(pk=target.job_id)
        if job.state not in DispatchJob.OPEN_STATES or job.cancel_requested_at is not None:
            transaction.set_rollback(True)
            return 0
        requests, new_tasks = _plan_batches(plan)(job, [], now=now)
        from dispatch.models import VendorRequest

        VendorRequest.objects.bulk_create(requests)
        DispatchTask.objects.bulk_create(new_tasks)
        DispatchJob.objects.filter(pk=job.pk).update(task_count=F("task_count") + len(new_tasks))
        task_of = dict(
            DispatchTask.objects.filter(
                job=job, plant_id__in=[a.plant_id for a in plan.allocations]
            ).values_list("plant_id", "pk")
        )
        PowerTargetPlant.objects.bulk_create(
            [
                PowerTargetPlant(
                    target=target,
                    plant_id=a.plant_id,
                    task_id=task_of[a.plant_id],
                    allocated_kw=a.power_kw,
                    command_power_w=a.command_power_w,
                    duration_min=a.duration_min,
                    send_at=a.send_at,
                    eta=a.eta,
                    energy_headroom_kwh=a.energy_headroom_kwh,
                    round=target.reallocations + 1,
                )  # fmt: skip
                for a in plan.allocations
            ]
        )
        accounts = {r.vendor_account_id for r in requests}
        transaction.on_commit(lambda: kick_send(accounts))
    log.info(
        "power target %s: %.1f kW short, round %d adds %d plants (%.1f kW)",
        target.pk, shortfall_kw, target.reallocations + 1, len(plan.allocations), plan.planned_kw,
    )  # fmt: skip
    return len(plan.allocations)


def _spend_round(target: PowerTarget, now: datetime, *, added: int) -> int:
    """Nothing to add: the round is spent all the same (the reserve will not grow by waiting)."""
    PowerTarget.objects.filter(Q(pk=target.pk), Q(reallocations=target.reallocations)).update(
        reallocations=F("reallocations") + 1, reallocated_at=now
    )
    return added
