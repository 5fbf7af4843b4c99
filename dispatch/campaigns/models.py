"""Campaigns: a command to a fleet on a recurrence in a named timezone, and the record of every run."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from dispatch.campaigns.recurrence import Recurrence, RecurrenceKind
from dispatch.kinds import campaign_command_kind_check
from dispatch.models import DispatchJob
from fleets.models import Fleet, Organization


class Campaign(models.Model):
    class OnOverlap(models.TextChoices):
        SKIP = "skip", "Skip the new run while the previous one is still going"
        REPLACE = "replace", "Cancel the previous run (stopping its plants) and start the new one"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=200)
    fleet = models.ForeignKey(Fleet, on_delete=models.PROTECT, related_name="campaigns")
    # No `choices=` (a new kind needs no migration): a declared kind (dispatch.kinds) or a power target.
    command_kind = models.CharField(max_length=32, validators=[campaign_command_kind_check])
    params = models.JSONField(default=dict, blank=True, help_text="Validated like a dispatch's params")
    recurrence_kind = models.CharField(max_length=8, choices=[(k.value, k.value) for k in RecurrenceKind])
    recurrence = models.CharField(
        max_length=500, help_text='"0 17 * * 1-5" or "FREQ=DAILY;BYHOUR=1;BYMINUTE=0"'
    )
    timezone = models.CharField(max_length=64, help_text="IANA name; run times are wall-clock times there")
    start_date = models.DateField(help_text="First local day the campaign may run")
    end_date = models.DateField(null=True, blank=True, help_text="Last local day it may run (inclusive)")
    enabled = models.BooleanField(default=True)
    on_overlap = models.CharField(max_length=8, choices=OnOverlap.choices, default=OnOverlap.SKIP)
    missed_grace_min = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(0), MaxValueValidator(24 * 60)],
        help_text="A run missed while the service was down still runs (once) if it is at most this late; "
        "older missed runs are skipped and recorded",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The scheduler's cursor: every occurrence up to `scheduled_until` has been decided (run or skipped).
    scheduled_until = models.DateTimeField()
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="campaign_unique_name")]
        indexes = [models.Index(fields=["enabled", "next_run_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def schedule(self) -> Recurrence:
        return Recurrence(
            RecurrenceKind(self.recurrence_kind), self.recurrence, self.timezone, self.start_date
        )


class CampaignRun(models.Model):
    """One occurrence of a campaign, decided exactly once: started (with its job), skipped or failed."""

    class State(models.TextChoices):
        STARTED = "started", "Started: its dispatch job was created"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed to start"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="runs")
    scheduled_at = models.DateTimeField(help_text="The occurrence, in UTC")
    state = models.CharField(max_length=8, choices=State.choices)
    job = models.OneToOneField(
        DispatchJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaign_run"
    )
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the job was actually created")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Exactly once, whatever the number of schedulers: a second insert for the same occurrence fails.
            models.UniqueConstraint(fields=["campaign", "scheduled_at"], name="campaign_run_once"),
        ]
        ordering = ["-scheduled_at"]

    def __str__(self) -> str:
        return f"{self.campaign} at {self.scheduled_at:%Y-%m-%d %H:%M} UTC ({self.state})"
