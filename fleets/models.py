"""Organisations, their vendor accounts, the plants enrolled through them, devices and fleets."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from vendors import egress, registry
from vendors.errors import DestinationRefused
from vpp.fields import EncryptedTextField


class Organization(models.Model):
    """A grid operator or aggregator. Every plant, fleet, account and job belongs to exactly one."""

    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user belongs to one organisation, with a role. A user without one sees nothing in the API."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        OPERATOR = "operator", "Operator"
        VIEWER = "viewer", "Viewer"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.OPERATOR)

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


def vendor_base_url_check(url: str) -> None:
    """https to a host that resolves to public addresses only, unless VENDOR_URL_ALLOW_PRIVATE (the
    simulators): Django's ValidationError on `base_url`, its code naming the rule (vendors/egress.py)."""
    try:
        egress.check_url(url, allow_private=settings.VENDOR_URL_ALLOW_PRIVATE)
    except DestinationRefused as exc:
        raise ValidationError({"base_url": ValidationError(exc.message, code=exc.code)}) from None


# The vendors, from vendors.registry: `Vendor.<NAME>` is "<name>" and its label. The columns below carry no
# `choices=` (a new vendor needs no migration): they are checked against the registry instead.
Vendor = models.TextChoices("Vendor", [(name.upper(), (name, label)) for name, label in registry.choices()])


def vendor_name_check(value: str) -> None:
    """One of the vendors of vendors.registry (an empty value is the field's `blank` to allow)."""
    if value and not registry.is_vendor(value):
        raise ValidationError(
            "Value %(value)r is not a valid choice.", code="invalid_choice", params={"value": value}
        )


class VendorAccount(models.Model):
    """A northbound account in a vendor cloud. The secret (password or API token) is encrypted at rest."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="vendor_accounts")
    vendor = models.CharField(max_length=16, validators=[vendor_name_check])
    name = models.CharField(max_length=200)
    base_url = models.URLField(max_length=500)
    username = models.CharField(
        max_length=200, blank=True, help_text="The northbound user, for vendors that have one"
    )
    secret = EncryptedTextField(help_text="The vendor's password or API token; write-only")
    enabled = models.BooleanField(default=True)
    clock_speed = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0.001)],
        help_text="How much faster than real time the vendor's clock runs: 1 for a real cloud; a simulator's "
        "--speed. Rate-limit windows are divided by it.",
    )
    rate_limit_overrides = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per-endpoint limits replacing the documented ones, e.g. {"chargeAndDischarge": [[1, 60]]}',
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Discovery and telemetry bookkeeping (fleets.services / fleets.telemetry). The leases let one worker at a
    # time sync an account; a worker that dies leaves a lease that simply runs out (claimed by conditional
    # update, STYLE 13).
    synced_at = models.DateTimeField(null=True, blank=True, help_text="Last complete plant and device sync")
    sync_error = models.CharField(max_length=500, blank=True, help_text="Why the last sync failed, if it did")
    sync_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    telemetry_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    telemetry_next_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="No realtime KPI call before this (rate limited)"
    )
    # The last health status (vendors.health) announced as `vendor_account.health_changed`: a conditional
    # update of it decides which process announces a change, so each change is announced once.
    health_status = models.CharField(max_length=32, default="ok", editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="vendor_account_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor_label})"

    @property
    def vendor_label(self) -> str:
        """The vendor's name as people read it (vendors.registry), or the stored value if unknown."""
        spec = registry.find(self.vendor)
        return spec.label if spec else self.vendor

    def clean(self) -> None:
        super().clean()
        if self.base_url:
            vendor_base_url_check(self.base_url)


class Plant(models.Model):
    """A solar (and usually battery) plant enrolled through one vendor account."""

    class EnrolmentMethod(models.TextChoices):
        SN = "sn", "By device SN"
        AC = "ac", "By authorisation code"
        BOUND = "bound", "Already bound to the account"

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"
        REMOVED = "removed", "Removed from the vendor account"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="plants")
    vendor_account = models.ForeignKey(VendorAccount, on_delete=models.PROTECT, related_name="plants")
    plant_code = models.CharField(max_length=100, help_text="The vendor's plant identifier")
    name = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=500, blank=True)
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA name, e.g. Europe/Berlin")
    region = models.CharField(max_length=100, blank=True, db_index=True)
    pv_capacity_kwp = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    inverter_rated_power_w = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    battery_rated_kwh = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    battery_usable_kwh = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    battery_max_charge_w = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    battery_max_discharge_w = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    enrolment_method = models.CharField(max_length=8, choices=EnrolmentMethod.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE, db_index=True)
    enrolled_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Latest telemetry, refreshed by the realtime sync; the time series is kept in PlantTelemetry.
    soc_pct = models.FloatField(null=True, blank=True)
    battery_power_w = models.FloatField(null=True, blank=True, help_text="> 0 charging, < 0 discharging")
    pv_power_w = models.FloatField(null=True, blank=True)
    load_power_w = models.FloatField(null=True, blank=True)
    meter_power_w = models.FloatField(null=True, blank=True, help_text="> 0 export, < 0 import")
    health = models.CharField(max_length=32, blank=True)
    telemetry_at = models.DateTimeField(null=True, blank=True)
    # When we last ASKED the vendor (whether or not it answered for this plant): the realtime sync serves the
    # plants asked longest ago first, so a plant the vendor never answers for cannot hog the budget.
    telemetry_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    synced_at = models.DateTimeField(
        null=True, blank=True, help_text="Last time plant details and devices were read from the vendor"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vendor_account", "plant_code"], name="plant_unique_code_per_account"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "state"]),
            models.Index(
                fields=["vendor_account", "state", "telemetry_polled_at"], name="plant_telemetry_due"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.plant_code

    @property
    def vendor(self) -> str:
        return self.vendor_account.vendor


class Device(models.Model):
    """A device of a plant as the vendor knows it: a device DN or SN, whichever its vendor names it by."""

    class Type(models.TextChoices):
        INVERTER = "inverter", "Inverter"
        BATTERY = "battery", "Battery"
        LOGGER = "logger", "SmartLogger / datalogger"
        METER = "meter", "Meter"
        OTHER = "other", "Other"

    plant = models.ForeignKey(Plant, on_delete=models.CASCADE, related_name="devices")
    dn = models.CharField(max_length=100, help_text="Vendor device identifier (its DN or SN)")
    sn = models.CharField(max_length=100, blank=True, db_index=True)
    device_type = models.CharField(max_length=16, choices=Type.choices)
    model = models.CharField(max_length=100, blank=True)
    rated_power_w = models.FloatField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plant", "dn"], name="device_unique_dn_per_plant")]

    def __str__(self) -> str:
        return f"{self.get_device_type_display()} {self.sn or self.dn}"


class Fleet(models.Model):
    """A named group of plants within an organisation, picked by hand and/or by a saved filter.

    Membership (fleets.selectors.fleet_plants) is dynamic: the plants picked by hand, plus, when the filter
    is enabled, every plant of the organisation matching all its set criteria (an enabled filter with no
    criteria matches every plant), minus the plants removed by hand. A plant enrolled tomorrow that matches
    the filter is in the fleet tomorrow, which is what an operator who saved "all plants of one vendor with at
    least 10 kWh" expects.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="fleets")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    plants = models.ManyToManyField(Plant, related_name="fleets", blank=True, help_text="Picked by hand")
    excluded_plants = models.ManyToManyField(
        Plant, related_name="excluded_from_fleets", blank=True, help_text="Removed by hand despite the filter"
    )
    filter_enabled = models.BooleanField(default=False, help_text="Also include plants matching the filter")
    filter_vendor = models.CharField(max_length=16, blank=True, validators=[vendor_name_check])
    filter_vendor_account = models.ForeignKey(
        VendorAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    filter_region = models.CharField(max_length=100, blank=True)
    filter_timezone = models.CharField(max_length=64, blank=True)
    filter_battery_usable_kwh_min = models.FloatField(null=True, blank=True)
    filter_battery_usable_kwh_max = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="fleet_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def filter_criteria(self) -> dict | None:
        """The saved filter as the API shows it (None when membership is by hand only)."""
        if not self.filter_enabled:
            return None
        return {
            "vendor": self.filter_vendor or None,
            "vendor_account": self.filter_vendor_account_id,
            "region": self.filter_region or None,
            "timezone": self.filter_timezone or None,
            "battery_usable_kwh_min": self.filter_battery_usable_kwh_min,
            "battery_usable_kwh_max": self.filter_battery_usable_kwh_max,
        }


class VendorCall(models.Model):
    """One HTTP call to a vendor cloud: the audit trail and the debugger in one (STYLE 14).

    `requested_by` is who asked for the command (the job's creator), `context` links it to what caused it
    (a dispatch job, an enrolment, a sync). Read-only in the admin.
    """

    vendor_account = models.ForeignKey(VendorAccount, on_delete=models.CASCADE, related_name="calls")
    endpoint = models.CharField(max_length=100)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    targets = models.JSONField(default=list, blank=True)
    params = models.JSONField(default=dict, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    vendor_code = models.CharField(max_length=32, blank=True)
    duration_ms = models.FloatField()
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    context = models.JSONField(default=dict, blank=True, help_text='e.g. {"job": 12, "vendor_request": 40}')
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["vendor_account", "endpoint", "created_at"])]

    def __str__(self) -> str:
        return (
            f"{self.endpoint} {self.vendor_code or self.http_status} at {self.created_at:%Y-%m-%d %H:%M:%S}"
        )


class Enrolment(models.Model):
    """One request to enrol plants into a vendor account, by device SN or by authorisation code.

    Runs in Celery (fleets.tasks.enrolment_run). `state` moves pending -> running -> completed | failed;
    `failed` means the vendor refused the whole request (bad credentials, a request-level error code), and
    `error` says why. Per-plant outcomes are on the items.
    """

    class Method(models.TextChoices):
        SN = "sn", "By device SN"
        AC = "ac", "By authorisation code"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    MAX_ITEMS = 1000  # NBI V7 9.6.1.1 / 9.6.1.2: "A maximum of 1000 ... can be registered at a time"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="enrolments")
    vendor_account = models.ForeignKey(VendorAccount, on_delete=models.PROTECT, related_name="enrolments")
    method = models.CharField(max_length=8, choices=Method.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error_code = models.CharField(max_length=32, blank=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A worker holds it until then")
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="Rate limited: retry then")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "created_at"])]

    def __str__(self) -> str:
        return f"Enrolment {self.pk} ({self.get_method_display()}, {self.state})"


class EnrolmentItem(models.Model):
    """One SN (with the owner's identity, or a datalogger check code) or authorisation code."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    sn = models.CharField(max_length=64, blank=True)
    authorization_code = models.CharField(max_length=64, blank=True)
    owner_username = models.CharField(max_length=150, blank=True)
    owner_email = models.CharField(max_length=254, blank=True)
    owner_phone = models.CharField(max_length=32, blank=True)
    check_code = models.CharField(max_length=64, blank=True, help_text="Datalogger check code")
    plant_name = models.CharField(
        max_length=200, blank=True, help_text="The plant to join or create, for vendors that take one"
    )
    timezone = models.CharField(max_length=64, blank=True, help_text="Zone of a plant it creates")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    reason = models.CharField(max_length=500, blank=True, help_text="The vendor's reason for a failure")
    plant = models.ForeignKey(Plant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    already_enrolled = models.BooleanField(default=False, help_text="The plant was ours before this request")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["enrolment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "position"], name="enrolment_item_unique_position")
        ]
        indexes = [models.Index(fields=["enrolment", "state"])]

    def __str__(self) -> str:
        return f"{self.key} ({self.state})"

    @property
    def key(self) -> str:
        return self.sn or self.authorization_code


class PlantTelemetry(models.Model):
    """One realtime reading of a plant, kept for charts. Latest values are also copied onto the plant."""

    plant = models.ForeignKey(Plant, on_delete=models.CASCADE, related_name="telemetry")
    measured_at = models.DateTimeField()
    soc_pct = models.FloatField(null=True, blank=True)
    battery_power_w = models.FloatField(null=True, blank=True)
    pv_power_w = models.FloatField(null=True, blank=True)
    load_power_w = models.FloatField(null=True, blank=True)
    meter_power_w = models.FloatField(null=True, blank=True)
    health = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plant", "measured_at"], name="plant_telemetry_unique_time")
        ]
        indexes = [models.Index(fields=["measured_at"])]  # retention deletes by time

    def __str__(self) -> str:
        return f"{self.plant_id} at {self.measured_at:%Y-%m-%d %H:%M:%S}"
