"""Dispatch jobs, their per-plant tasks and the vendor requests that carry them (DESIGN.md "Task states").

The database is the source of truth; Celery only moves primary keys around. Every state change is a
conditional update from the expected state (`dispatch.transitions`), never a `save()` of a stale object.

    DispatchJob    what an operator asked for: one command to many plants, with its lifecycle
    DispatchTask   one plant's part of a job: pending -> sending -> accepted -> in_progress -> terminal
    VendorRequest  one vendor call carrying up to `max_targets_per_request` tasks, with OUR identity
                   (`request_id`) stored before it is sent so a re-send is a recognised duplicate
    DispatchLane   a lease per vendor account and kind of work (send, poll): one sender loop per account
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dispatch.kinds import command_kind_check
from fleets.models import Fleet, Organization, Plant, VendorAccount


class DispatchJob(models.Model):
    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"  # start_at is in the future
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        PARTIALLY_COMPLETED = "partially_completed", "Partially completed"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        TIMED_OUT = "timed_out", "Timed out"

    class OnConflict(models.TextChoices):
        REJECT = "reject", "Reject (409) when a plant has a conflicting task in progress"
        REPLACE = "replace", "Cancel the conflicting tasks (stopping them first) and proceed"

    OPEN_STATES = (State.SCHEDULED, State.RUNNING)

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="dispatch_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # No `choices=` (a new kind needs no migration): checked against the kinds' declarations instead.
    command_kind = models.CharField(max_length=32, validators=[command_kind_check])
    params = models.JSONField(default=dict, blank=True, help_text="The validated, normalised parameters")
    command = models.JSONField(
        default=dict, blank=True, help_text="The vendors.base command the engine sends (dispatch.codec)"
    )
    fleet = models.ForeignKey(Fleet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    start_at = models.DateTimeField(null=True, blank=True, help_text="Send not before this time")
    deadline = models.DateTimeField(null=True, blank=True, help_text="Tasks not completed by then time out")
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    on_conflict = models.CharField(max_length=8, choices=OnConflict.choices, default=OnConflict.REJECT)
    state = models.CharField(max_length=24, choices=State.choices, default=State.RUNNING)
    task_count = models.PositiveIntegerField(default=0)
    # Set when the job finishes (one aggregate over its tasks); while it runs, selectors compute them.
    charged_kwh = models.FloatField(null=True, blank=True)
    discharged_kwh = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="dispatch_job_unique_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["state", "start_at"]),
        ]

    def __str__(self) -> str:
        return f"job {self.pk} {self.command_kind} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class VendorRequest(models.Model):
    """One vendor call for up to `max_targets_per_request` plants of one account, with our own identity."""

    class Purpose(models.TextChoices):
        COMMAND = "command", "The job's command"
        STOP = "stop", "Stop (cancel or replace)"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"  # waiting for not_before, its account's lane and a rate-limit slot
        SENDING = "sending", "Sending"  # claimed by a worker until lease_until
        SENT = "sent", "Sent"  # the vendor answered; its tasks are polled until terminal
        FAILED = "failed", "Failed"  # refused as a whole, or out of attempts
        CANCELLED = "cancelled", "Cancelled"  # its job was cancelled before it was sent

    job = models.ForeignKey(DispatchJob, on_delete=models.CASCADE, related_name="vendor_requests")
    vendor_account = models.ForeignKey(VendorAccount, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=8, choices=Purpose.choices, default=Purpose.COMMAND)
    # OUR identity, generated and stored BEFORE the first send and never changed on retry: the vendor
    # answers a re-send as a duplicate (NBI V7 9.3.4 failCode 20048) instead of commanding twice.
    # Decimal, positive, < 2**63: NBI V7's requestID is a Long.
    request_id = models.CharField(max_length=32, unique=True)
    vendor_request_id = models.CharField(max_length=64, blank=True, help_text="Vendor-assigned id, if any")
    after = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Send only after this request was sent or failed (a replace's stop goes first)",
    )
    command = models.JSONField(
        null=True,
        blank=True,
        help_text="This request's own command (dispatch.codec), when its plants' differ from the job's: a "
        "power target gives each request its power and duration",
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    poll_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["vendor_account", "state", "not_before"]),
            models.Index(fields=["vendor_account", "state", "next_poll_at"]),
            models.Index(fields=["state", "lease_until"]),
            models.Index(fields=["job", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} request {self.request_id} ({self.state})"


class DispatchTask(models.Model):
    """One plant's part of a job."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        ACCEPTED = "accepted", "Accepted"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        TIMED_OUT = "timed_out", "Timed out"
        CANCELLED = "cancelled", "Cancelled"
        REJECTED = "rejected", "Rejected by the vendor"
        UNSUPPORTED = "unsupported", "Not supported by the plant's vendor"

    class EnergySource(models.TextChoices):
        UNKNOWN = "", "Not measured yet"
        VENDOR = "vendor", "Reported by the vendor"
        TELEMETRY = "telemetry", "Battery power telemetry, integrated"
        SOC_DELTA = "soc_delta", "State-of-charge change times capacity"
        NONE = "none", "Nothing to measure it from"

    OPEN_STATES = (State.PENDING, State.SENDING, State.ACCEPTED, State.IN_PROGRESS)
    RUNNING_STATES = (State.ACCEPTED, State.IN_PROGRESS)  # the vendor has it
    TERMINAL_STATES = (
        State.COMPLETED,
        State.FAILED,
        State.TIMED_OUT,
        State.CANCELLED,
        State.REJECTED,
        State.UNSUPPORTED,
    )

    job = models.ForeignKey(DispatchJob, on_delete=models.CASCADE, related_name="tasks")
    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="dispatch_tasks")
    vendor_account = models.ForeignKey(VendorAccount, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(
        VendorRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    stop_request = models.ForeignKey(
        VendorRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="stopped_tasks"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    remote_id = models.CharField(max_length=64, blank=True, help_text="Vendor sub-task id (remoteID)")
    vendor_code = models.CharField(max_length=32, blank=True)
    vendor_message = models.CharField(max_length=500, blank=True)
    charged_kwh = models.FloatField(null=True, blank=True)
    discharged_kwh = models.FloatField(null=True, blank=True)
    energy_source = models.CharField(
        max_length=10,
        choices=EnergySource.choices,
        default=EnergySource.UNKNOWN,
        blank=True,
        help_text="Where charged/discharged kWh came from (dispatch.engine.energy)",
    )
    exec_start = models.DateTimeField(null=True, blank=True)
    exec_end = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    expected_done_at = models.DateTimeField(null=True, blank=True)
    timeout_at = models.DateTimeField(
        null=True, blank=True, help_text="Job deadline, or the vendor's own task timeout, whichever is first"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "plant"], name="dispatch_task_unique_plant")]
        indexes = [
            models.Index(fields=["state", "next_poll_at"]),
            models.Index(fields=["job", "state"]),
            models.Index(fields=["plant", "state"]),
            models.Index(fields=["request", "state"]),
            models.Index(fields=["state", "timeout_at"]),
            models.Index(fields=["energy_source", "finished_at"]),
        ]

    def __str__(self) -> str:
        return f"task {self.pk} plant {self.plant_id} ({self.state})"


class DispatchLane(models.Model):
    """A lease on one vendor account's stream of work of one kind, so one worker at a time sends (or polls)
    for that account, in order, through the shared rate limiter, instead of many fighting for one slot."""

    class Kind(models.TextChoices):
        SEND = "send", "Send"
        POLL = "poll", "Poll"

    vendor_account = models.ForeignKey(VendorAccount, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    lease_until = models.DateTimeField(null=True, blank=True)
    holder = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vendor_account", "kind"], name="dispatch_lane_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} lane of account {self.vendor_account_id}"
