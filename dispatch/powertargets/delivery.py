"""How much a power target delivered: measured battery power per plant and per fleet per 5-minute interval.

Readings come from the telemetry time series (fleets.telemetry reads every active plant at the vendor's
maximum rate: e.g. each plant once per 5 minutes, 100 a call, NBI V7 9.3.2). The power-target tick
stores each interval (PowerTargetInterval) once it has settled: `settle_s` after its end, when no reading
still to come can change it. The endpoint reads those rows and measures only the intervals not stored yet
(the open one, and the last closed ones while they settle), from the plan and the readings, the same way;
so the answer is the same whenever it is asked once the window is over, and follows the window live before.
A stored interval counts the plants that took part when it was recorded (a re-allocation round's plants
count from the interval they joined in).

- A reading is an instantaneous sample, one per plant per 5 minutes at best: a plant's power is a step
  function that holds each reading until the next (for at most two telemetry windows; after that the
  plant counts as giving nothing: offline), and its mean over an interval is that function integrated.
  The moment the vendor took the plant's command splits it: no reading from before the command stands
  for after it; the first reading after the command stands for the time back to it.
- Powers are in the target's direction: a discharge target counts discharge as positive.
- Baseline: the plant's mean battery power over the hour before the window (what it did unasked), 0 for
  a plant without readings then. `baseline_kw` of an interval is the participants' sum.
- Energy is in the vendors' time (a simulator's clock speed multiplies our seconds), as the vendors and
  their simulators count it.
- Confirmation, per task: `accepted` the vendor took the command; `finished` the vendor says it is done;
  `confirmed` one of the first `CONFIRM_READINGS` readings after its command landed (15 vendor minutes
  at the vendors' read rate) shows the plant moving, above its baseline, at least `CONFIRM_SHARE` of its
  allocation in the target's direction. Counted in readings, not minutes: a read of ours that came late
  (the account's quota busy with the fleet's sends, a loaded worker) is not the plant's delay.
- Outcome once the window is over: `delivered` when every interval after the ramp is within 5 % of the
  target; `failed` when at most 5 % of the target's energy came; else `partially_delivered`, with the
  shortfall and the plants behind it (measured below 90 % of their allocation).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Count
from django.utils import timezone

from dispatch.models import DispatchTask
from dispatch.planning.model import INTERVAL_S
from dispatch.powertargets.models import PowerTarget, PowerTargetInterval, PowerTargetPlant
from fleets.models import PlantTelemetry

T = DispatchTask.State
TOLERANCE = 0.05  # "within 5 % of the target"
BASELINE_S = 3600.0  # vendor seconds before the window: the baseline hour
HOLD_S = 2 * 300.0 * 1.03  # vendor seconds a reading stands for the plant after it (two KPI windows)
CONFIRM_READINGS = 3  # readings after its command landed: three KPI windows at one read per 5 minutes
CONFIRM_SHARE = 0.5
BEHIND_SHARE = 0.9
FAILED_RATIO = 0.05
ACCEPTED_STATES = {T.ACCEPTED, T.IN_PROGRESS, T.COMPLETED}
MAX_LISTED = 50


def _series(plant_ids: list[int], start: datetime, end: datetime, sign: float) -> dict[int, list]:
    rows = (
        PlantTelemetry.objects.filter(
            plant_id__in=plant_ids, measured_at__gte=start, measured_at__lt=end, battery_power_w__isnull=False
        )
        .order_by("plant_id", "measured_at")
        .values_list("plant_id", "measured_at", "battery_power_w")
    )
    out: dict[int, list] = defaultdict(list)
    for pk, at, power_w in rows:
        out[pk].append((at, sign * power_w / 1000.0))
    return out


def _power_at(
    readings: list, times: list, t: datetime, changed_at: datetime | None, hold: timedelta
) -> float:
    """The plant's power at `t` from sparse instantaneous readings, as a step function.

    A reading holds until the next one (for at most `hold`: after that the plant counts as giving
    nothing). Across `changed_at`, the moment the vendor took the command, no reading from before it
    stands for after it: until the first reading after the command arrives, that reading is used back
    to the command (the vendor said the battery changed then; the sample only shows how much)."""
    i = bisect_right(times, t) - 1  # the latest reading at or before t
    if changed_at is not None and t >= changed_at:
        if i >= 0 and times[i] >= changed_at:
            return readings[i][1] if t - times[i] < hold else 0.0
        j = bisect_left(times, changed_at)  # the first reading after the command
        if j < len(times) and times[j] - changed_at <= hold:
            return readings[j][1]
        return 0.0
    return readings[i][1] if i >= 0 and t - times[i] < hold else 0.0


def _plant_kw(readings: list, start: datetime, end: datetime, changed_at, hold: timedelta) -> float:
    """The plant's mean power over [start, end): the step function above, integrated exactly."""
    if end <= start:
        return 0.0
    times = [at for at, _ in readings]
    cuts = {start, end, *(at for at in times if start < at < end)}
    cuts |= {at + hold for at in times if start < at + hold < end}  # where a reading stops standing
    if changed_at is not None and start < changed_at < end:
        cuts.add(changed_at)
    points = sorted(cuts)
    total = sum(
        _power_at(readings, times, a, changed_at, hold) * (b - a).total_seconds()
        for a, b in zip(points, points[1:], strict=False)
    )
    return total / (end - start).total_seconds()


class _Measure:
    """What measuring a target's intervals needs, read once: its participants, their readings from the
    baseline hour to the window's end, where each one's power changed, baselines and the plan."""

    def __init__(self, target: PowerTarget) -> None:
        self.target = target
        self.speed = max(target.clock_speed, 1e-9)
        sign = -1.0 if target.direction == PowerTarget.Direction.DISCHARGE else 1.0
        self.parts = list(
            PowerTargetPlant.objects.filter(target=target)
            .select_related("task")
            .order_by("plant_id")
            .only("plant_id", "allocated_kw", "eta", "task__state", "task__sent_at", "task__remote_id")
        )
        baseline_start = target.window_start - timedelta(seconds=BASELINE_S / self.speed)
        self.readings = _series([p.plant_id for p in self.parts], baseline_start, target.window_end, sign)
        self.hold = timedelta(seconds=HOLD_S / self.speed)
        self.step = timedelta(seconds=INTERVAL_S / self.speed)
        # Where each plant's power changed: when the vendor took its command, or the start of the window
        # it armed ahead (its ETA), whichever is later.
        self.changed_at = {
            p.plant_id: (max(p.task.sent_at, p.eta) if p.task and p.task.sent_at else None)
            for p in self.parts
        }
        self.baseline: dict[int, float] = {}
        for p in self.parts:
            before = [kw for at, kw in self.readings.get(p.plant_id, ()) if at < target.window_start]
            self.baseline[p.plant_id] = sum(before) / len(before) if before else 0.0
        self.planned = {i["start"]: i["planned_kw"] for i in target.plan.get("intervals", [])}

    def interval(self, start: datetime, end: datetime, now: datetime) -> dict:
        """One interval measured up to `now`: fleet power (unrounded), each plant's, and who reported."""
        plant_kw: dict[int, float] = {}
        reporting = 0
        for p in self.parts:
            readings = self.readings.get(p.plant_id, [])
            plant_kw[p.plant_id] = _plant_kw(
                readings, start, min(end, now), self.changed_at[p.plant_id], self.hold
            )
            reporting += any(start <= at < end for at, _ in readings)
        return {
            "start": start,
            "end": end,
            "target_kw": self.target.power_kw,
            "planned_kw": self.planned.get(start.isoformat()),
            "measured_kw": sum(plant_kw.values()),
            "baseline_kw": sum(self.baseline.values()),
            "plants_reporting": reporting,
            "plant_kw": plant_kw,
        }


_RECORDED = ("end", "target_kw", "planned_kw", "measured_kw", "baseline_kw", "plants_reporting", "plant_kw")


def settle_s(target: PowerTarget) -> float:
    """Our seconds after an interval's end until no reading can change it: a reading holds for HOLD_S
    (the first one after a command also stands back to it), and the telemetry sync may store a reading
    up to one KPI window after the vendor took it."""
    return (HOLD_S + INTERVAL_S) / max(target.clock_speed, 1e-9)


def power_target_record(*, target: PowerTarget, now: datetime | None = None) -> int:
    """Store every settled interval of the window not stored yet; returns how many were written.

    Idempotent: an upsert on (target, start) (a unique constraint), so a re-run tick or two workers at
    once write each interval once, with the same figures (a settled interval no longer changes)."""
    now = now or timezone.now()
    settled_before = now - timedelta(seconds=settle_s(target))
    done = set(PowerTargetInterval.objects.filter(target=target).values_list("start", flat=True))
    measure = None
    rows = []
    for start, end in _bounds(target):
        if end > settled_before:
            break
        if start in done:
            continue
        measure = measure or _Measure(target)
        figures = measure.interval(start, end, now)
        figures["plant_kw"] = {str(pk): kw for pk, kw in figures["plant_kw"].items()}
        rows.append(PowerTargetInterval(target=target, **figures))
    if rows:
        PowerTargetInterval.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["target", "start"],
            update_fields=[*_RECORDED, "recorded_at"],
        )
    return len(rows)


def power_targets_to_record(*, now: datetime) -> list[int]:
    """Targets whose window has begun and that may still have an interval to store (a day's grace after
    the window, for the last intervals to settle however slow the vendors' clock)."""
    candidates = PowerTarget.objects.filter(
        window_start__lte=now, window_end__gt=now - timedelta(days=1)
    ).annotate(stored=Count("intervals"))
    out = []
    for target in candidates.only("pk", "window_start", "window_end", "clock_speed"):
        if target.stored < sum(1 for _ in _bounds(target)):
            out.append(target.pk)
    return out


def _bounds(target: PowerTarget):
    """The window's 5-minute intervals as (start, end), the last one cut at the window's end."""
    start = target.window_start
    step = timedelta(seconds=INTERVAL_S / max(target.clock_speed, 1e-9))
    while start < target.window_end:
        end = min(start + step, target.window_end)
        yield start, end
        start = end


def power_target_delivery(*, target: PowerTarget, now: datetime | None = None) -> dict:
    """The delivery answer: stored rows for the intervals the tick recorded, the rest measured now."""
    now = now or timezone.now()
    measure = _Measure(target)
    speed, parts, baseline = measure.speed, measure.parts, measure.baseline
    readings, changed_at = measure.readings, measure.changed_at
    stored = {
        row.start: row
        for row in PowerTargetInterval.objects.filter(target=target, end__lte=now).order_by("start")
    }

    intervals = []
    per_plant_sum: dict[int, float] = defaultdict(float)
    measured_count = 0
    for start, end in _bounds(target):
        if start >= now:
            break
        over = end <= now
        row = stored.get(start)
        if row is not None:
            figures = {
                "measured_kw": row.measured_kw,
                "planned_kw": row.planned_kw,
                "baseline_kw": row.baseline_kw,
                "target_kw": row.target_kw,
                "plants_reporting": row.plants_reporting,
                "plant_kw": {int(pk): kw for pk, kw in row.plant_kw.items()},
            }
        else:
            figures = measure.interval(start, end, now)
        if over:
            measured_count += 1
            for pk, kw in figures["plant_kw"].items():
                per_plant_sum[pk] += kw
        intervals.append({
            "start": start.isoformat(),
            "end": end.isoformat(),
            "complete": over,
            "recorded": row is not None,
            "target_kw": figures["target_kw"],
            "planned_kw": figures["planned_kw"],
            "measured_kw": round(figures["measured_kw"], 3),
            "baseline_kw": round(figures["baseline_kw"], 3),
            "plants_reporting": figures["plants_reporting"],
        })  # fmt: skip

    vendor_h = lambda a, b: (b - a).total_seconds() * speed / 3600  # noqa: E731
    delivered_kwh = sum(
        i["measured_kw"] * vendor_h(datetime.fromisoformat(i["start"]), datetime.fromisoformat(i["end"]))
        for i in intervals
        if i["complete"]
    )
    target_kwh = target.power_kw * target.duration_min / 60

    # --- confirmation per task, rolled up --------------------------------------------------------------
    plants_out, accepted_n, finished_n, confirmed_n = [], 0, 0, 0
    for p in parts:
        task = p.task
        state = task.state if task else None
        accepted = (
            state in ACCEPTED_STATES
            or bool(task and task.remote_id)
            or bool(task and task.sent_at and state in (T.TIMED_OUT, T.CANCELLED))
        )
        finished = state == T.COMPLETED
        landed = max(p.eta, changed_at[p.plant_id] or p.eta)
        after = [kw for at, kw in readings.get(p.plant_id, ()) if at >= landed][:CONFIRM_READINGS]
        confirmed = any(kw - baseline[p.plant_id] >= CONFIRM_SHARE * p.allocated_kw for kw in after)
        accepted_n += accepted
        finished_n += finished
        confirmed_n += confirmed
        mean_kw = per_plant_sum[p.plant_id] / measured_count if measured_count else None
        plants_out.append({
            "plant": p.plant_id,
            "allocated_kw": round(p.allocated_kw, 3),
            "measured_kw": round(mean_kw, 3) if mean_kw is not None else None,
            "baseline_kw": round(baseline[p.plant_id], 3),
            "eta": p.eta.isoformat(),
            "task_state": state,
            "accepted": accepted,
            "finished": finished,
            "confirmed": confirmed,
        })  # fmt: skip

    # --- ramp and outcome ----------------------------------------------------------------------------------
    complete = [i for i in intervals if i["complete"]]
    within = [abs(i["measured_kw"] - i["target_kw"]) <= TOLERANCE * i["target_kw"] for i in complete]
    first_within = next((k for k, ok in enumerate(within) if ok), None)
    ramp_minutes = None
    if first_within is not None:
        ramp_start = datetime.fromisoformat(complete[first_within]["start"])
        ramp_minutes = round((ramp_start - target.window_start).total_seconds() * speed / 60, 3)
    summary = {
        "delivered_kwh": round(delivered_kwh, 3),
        "target_kwh": round(target_kwh, 3),
        "delivery_ratio": round(delivered_kwh / target_kwh, 4) if target_kwh else None,
        "ramp_minutes": ramp_minutes,
        "intervals_within_5pct": sum(within),
        "intervals_after_ramp": len(within) - (first_within or 0) if first_within is not None else 0,
        "plants": len(parts),
        "plants_accepted": accepted_n,
        "plants_finished": finished_n,
        "plants_confirmed": confirmed_n,
        "baseline": "each plant's mean battery power over the hour before the window",
    }
    outcome: dict = {"state": "delivering"}
    if now >= target.window_end and complete:
        after_ramp = complete[first_within:] if first_within is not None else []
        if after_ramp and all(within[first_within:]):
            outcome = {"state": "delivered"}
        elif target_kwh and delivered_kwh <= FAILED_RATIO * target_kwh:
            outcome = {"state": "failed"}
        else:
            judged = after_ramp or complete
            mean_kw = sum(i["measured_kw"] for i in judged) / len(judged)
            behind = [
                {
                    "plant": row["plant"],
                    "allocated_kw": row["allocated_kw"],
                    "measured_kw": row["measured_kw"],
                }
                for row in plants_out
                if row["measured_kw"] is None or row["measured_kw"] < BEHIND_SHARE * row["allocated_kw"]
            ]
            outcome = {
                "state": "partially_delivered",
                "shortfall_kw": round(max(target.power_kw - mean_kw, 0.0), 3),
                "plants_behind": len(behind),
                "behind": behind[:MAX_LISTED],
            }
    return {
        "job": target.job_id,
        "direction": target.direction,
        "window_start": target.window_start.isoformat(),
        "window_end": target.window_end.isoformat(),
        "intervals": intervals,
        "summary": summary,
        "outcome": outcome,
        "plants": plants_out,
    }
