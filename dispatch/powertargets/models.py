"""A power target beside its dispatch job, and each participating plant's part of the plan.

PowerTarget       what was asked (direction, kW, window, floor/ceiling) and the plan as planned
PowerTargetPlant  one plant's allocation: power, duration, when its command goes and acts, its task
"""

from __future__ import annotations

from django.db import models

from dispatch.models import DispatchJob, DispatchTask
from fleets.models import Plant


class PowerTarget(models.Model):
    class Direction(models.TextChoices):
        CHARGE = "charge", "Charge"
        DISCHARGE = "discharge", "Discharge"

    job = models.OneToOneField(DispatchJob, on_delete=models.CASCADE, related_name="power_target")
    direction = models.CharField(max_length=9, choices=Direction.choices)
    power_kw = models.FloatField()
    duration_min = models.PositiveIntegerField()
    soc_floor_pct = models.FloatField(default=0.0)
    soc_ceiling_pct = models.FloatField(default=100.0)
    window_start = models.DateTimeField(help_text="start_at as asked: the target holds from here")
    window_end = models.DateTimeField()
    clock_speed = models.FloatField(default=1.0, help_text="The vendors' clock the plan ran on (simulators)")
    plan = models.JSONField(
        default=dict, help_text="The plan as planned: summary, intervals, warnings, plants left out"
    )
    reallocations = models.PositiveSmallIntegerField(default=0, help_text="Rounds of shortfall re-allocation")
    reallocated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.direction} {self.power_kw:g} kW for {self.duration_min} min (job {self.job_id})"


class PowerTargetPlant(models.Model):
    target = models.ForeignKey(PowerTarget, on_delete=models.CASCADE, related_name="plants")
    plant = models.ForeignKey(Plant, on_delete=models.CASCADE, related_name="+")
    task = models.OneToOneField(
        DispatchTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="power_target_plant"
    )
    allocated_kw = models.FloatField(help_text="The power the plan expects of this plant")
    command_power_w = models.IntegerField(
        null=True, blank=True, help_text="Sent; null: the vendor's own rate"
    )
    duration_min = models.PositiveIntegerField()
    send_at = models.DateTimeField()
    eta = models.DateTimeField(help_text="When its command is expected to act")
    energy_headroom_kwh = models.FloatField()
    round = models.PositiveSmallIntegerField(default=0, help_text="0: the plan; n: added by re-allocation n")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target", "plant"], name="power_target_plant_unique"),
        ]

    def __str__(self) -> str:
        return f"plant {self.plant_id}: {self.allocated_kw:g} kW"


class PowerTargetInterval(models.Model):
    """One closed 5-minute interval of a power target's window, as the power-target tick measured it.

    Written once per interval when it has settled (every reading that can change it is in), by an upsert
    on (target, start): a re-run tick or two workers at once write the same row, never a second one. The
    delivery endpoint reads these and computes only the intervals not recorded yet."""

    target = models.ForeignKey(PowerTarget, on_delete=models.CASCADE, related_name="intervals")
    start = models.DateTimeField()
    end = models.DateTimeField()
    target_kw = models.FloatField()
    planned_kw = models.FloatField(null=True, blank=True, help_text="The plan's power for it; null: none")
    measured_kw = models.FloatField(help_text="Mean measured battery power, in the target's direction")
    baseline_kw = models.FloatField(help_text="The participants' baseline: mean power the hour before")
    plants_reporting = models.PositiveIntegerField(help_text="Participants with a reading inside it")
    plant_kw = models.JSONField(
        default=dict, help_text="Each participant's mean power over it (plant id -> kW), for the plants list"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target", "start"], name="power_target_interval_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}: {self.measured_kw:.1f} of {self.target_kw:g} kW, target {self.target_id}"
