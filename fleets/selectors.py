"""Functions that read plants, fleets, enrolments and telemetry (Django-Styleguide selectors).

Every query here is scoped by the caller: API views pass the caller's organisation, tasks pass an account.
List selectors annotate what their serializers show so a page costs the same few queries at any size.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, GreaterThanOrEqual, IsNull, LessThanOrEqual

from fleets.models import (
    Device,
    Enrolment,
    EnrolmentItem,
    Fleet,
    Organization,
    Plant,
    PlantTelemetry,
    VendorAccount,
)

# --- plants --------------------------------------------------------------------------------------------


def _device_count() -> Coalesce:
    counts = (
        Device.objects.filter(plant=OuterRef("pk"))
        .order_by()
        .values("plant")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def plant_list(*, organization: Organization) -> QuerySet[Plant]:
    """The organisation's plants with what the list shows: account, vendor, device count."""
    return (
        Plant.objects.filter(organization=organization)
        .select_related("vendor_account")
        .annotate(device_count=_device_count())
        .order_by("name", "pk")
    )


def plant_detail_queryset(*, organization: Organization) -> QuerySet[Plant]:
    return plant_list(organization=organization).prefetch_related(
        Prefetch("devices", queryset=Device.objects.order_by("device_type", "dn"))
    )


def plant_fleets(*, plant: Plant) -> list[Fleet]:
    """The fleets a plant belongs to right now (by hand or by filter), in name order; one query."""
    member = _plants_of_outer_fleet(include_inactive=True).filter(pk=plant.pk)
    fleets = Fleet.objects.filter(organization_id=plant.organization_id).filter(Exists(member))
    return list(fleets.order_by("name", "pk"))


def plant_telemetry(*, plant: Plant, since: datetime, until: datetime) -> QuerySet[PlantTelemetry]:
    return PlantTelemetry.objects.filter(plant=plant, measured_at__gte=since, measured_at__lt=until).order_by(
        "measured_at"
    )


# --- fleets --------------------------------------------------------------------------------------------


def fleet_filter_q(fleet: Fleet) -> Q:
    """The saved filter as a condition on Plant; every set criterion must hold (an empty filter: all)."""
    q = Q(pk__isnull=False)  # not Q(): "manual | Q()" would collapse to "manual" alone
    if fleet.filter_vendor:
        q &= Q(vendor_account__vendor=fleet.filter_vendor)
    if fleet.filter_vendor_account_id is not None:
        q &= Q(vendor_account_id=fleet.filter_vendor_account_id)
    if fleet.filter_region:
        q &= Q(region__iexact=fleet.filter_region)
    if fleet.filter_timezone:
        q &= Q(timezone=fleet.filter_timezone)
    if fleet.filter_battery_usable_kwh_min is not None:
        q &= Q(battery_usable_kwh__gte=fleet.filter_battery_usable_kwh_min)
    if fleet.filter_battery_usable_kwh_max is not None:
        q &= Q(battery_usable_kwh__lte=fleet.filter_battery_usable_kwh_max)
    return q


def fleet_plants(fleet: Fleet, *, include_inactive: bool = False) -> QuerySet[Plant]:
    """The plants of a fleet: picked by hand, plus those matching its filter if enabled, minus exclusions.

    One lazy query (membership as subqueries), so callers can chain .filter(), .values_list(), iterate in
    chunks, or use it as a subquery. Only active plants unless `include_inactive`: a disabled or removed
    plant must not be dispatched.
    """
    manual = Fleet.plants.through.objects.filter(fleet_id=fleet.pk).values("plant_id")
    membership = Q(pk__in=manual)
    if fleet.filter_enabled:
        membership |= fleet_filter_q(fleet)
    excluded = Fleet.excluded_plants.through.objects.filter(fleet_id=fleet.pk).values("plant_id")
    plants = Plant.objects.filter(organization_id=fleet.organization_id).filter(membership)
    plants = plants.exclude(pk__in=excluded)
    if not include_inactive:
        plants = plants.filter(state=Plant.State.ACTIVE)
    return plants


def _plants_of_outer_fleet(*, include_inactive: bool = False) -> QuerySet[Plant]:
    """The plants of the fleet of the enclosing query (OuterRef), by the same rule as fleet_plants: one
    correlated subquery, so a page of fleets (or a plant's fleets) costs one query whatever its size."""
    outer = OuterRef
    manual = Fleet.plants.through.objects.filter(fleet_id=outer(outer("pk")), plant_id=outer("pk"))
    excluded = Fleet.excluded_plants.through.objects.filter(fleet_id=outer(outer("pk")), plant_id=outer("pk"))

    def unset_or(criterion_field: str, empty, condition: Q) -> Q:
        criterion = outer(criterion_field)
        unset = IsNull(criterion, True) if empty is None else Exact(criterion, empty)
        return Q(unset) | condition

    by_filter = (
        Q(Exact(outer("filter_enabled"), True))
        & unset_or("filter_vendor", "", Q(vendor_account__vendor=outer("filter_vendor")))
        & unset_or("filter_vendor_account", None, Q(vendor_account_id=outer("filter_vendor_account")))
        & unset_or("filter_region", "", Q(region__iexact=outer("filter_region")))
        & unset_or("filter_timezone", "", Q(timezone=outer("filter_timezone")))
        & unset_or(
            "filter_battery_usable_kwh_min",
            None,
            Q(GreaterThanOrEqual(F("battery_usable_kwh"), outer("filter_battery_usable_kwh_min"))),
        )
        & unset_or(
            "filter_battery_usable_kwh_max",
            None,
            Q(LessThanOrEqual(F("battery_usable_kwh"), outer("filter_battery_usable_kwh_max"))),
        )
    )
    plants = Plant.objects.filter(organization_id=outer("organization_id"))
    if not include_inactive:
        plants = plants.filter(state=Plant.State.ACTIVE)
    return plants.filter(Q(Exists(manual)) | by_filter).exclude(Exists(excluded))


def _fleet_plant_count() -> Coalesce:
    """Active plants per fleet, for a whole page of fleets in one query."""
    counts = (
        _plants_of_outer_fleet()
        .order_by()
        .annotate(one=Value(1))
        .values("one")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def fleet_list(*, organization: Organization) -> QuerySet[Fleet]:
    manual_counts = (
        Fleet.plants.through.objects.filter(fleet_id=OuterRef("pk"))
        .order_by()
        .values("fleet_id")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        Fleet.objects.filter(organization=organization)
        .select_related("filter_vendor_account")
        .annotate(
            plant_count=_fleet_plant_count(),
            manual_plant_count=Coalesce(Subquery(manual_counts, output_field=IntegerField()), Value(0)),
        )
        .order_by("name", "pk")
    )


# --- enrolments ----------------------------------------------------------------------------------------


def enrolment_list(*, organization: Organization) -> QuerySet[Enrolment]:
    items = EnrolmentItem.State
    return (
        Enrolment.objects.filter(organization=organization)
        .select_related("vendor_account", "requested_by")
        .annotate(
            item_count=Count("items"),
            succeeded_count=Count("items", filter=Q(items__state=items.SUCCEEDED)),
            failed_count=Count("items", filter=Q(items__state=items.FAILED)),
            pending_count=Count("items", filter=Q(items__state=items.PENDING)),
        )
        .order_by("-created_at", "-pk")
    )


def enrolment_detail_queryset(*, organization: Organization) -> QuerySet[Enrolment]:
    return enrolment_list(organization=organization).prefetch_related(
        Prefetch("items", queryset=EnrolmentItem.objects.order_by("position").select_related("plant"))
    )


def enrolments_due(
    *, now: datetime, created_before: datetime | None = None, limit: int = 100
) -> QuerySet[Enrolment]:
    """Enrolments nobody is working on that should run now: new, rate limited and due, or orphaned by a
    worker that died (its lease ran out). `created_before` leaves the newest to their own message."""
    queryset = (
        Enrolment.objects.filter(state__in=[Enrolment.State.PENDING, Enrolment.State.RUNNING])
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )
    if created_before is not None:
        queryset = queryset.filter(created_at__lt=created_before)
    return queryset.order_by("created_at")[:limit]


# --- vendor accounts -----------------------------------------------------------------------------------


def vendor_account_list(*, organization: Organization) -> QuerySet[VendorAccount]:
    plant_counts = (
        Plant.objects.filter(vendor_account=OuterRef("pk"), state=Plant.State.ACTIVE)
        .order_by()
        .values("vendor_account")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        VendorAccount.objects.filter(organization=organization)
        .annotate(plant_count=Coalesce(Subquery(plant_counts, output_field=IntegerField()), Value(0)))
        .order_by("name", "pk")
    )


# --- telemetry -----------------------------------------------------------------------------------------


def telemetry_due_plants(
    *, account: VendorAccount, due_before: datetime, started_at: datetime, limit: int
) -> list[str]:
    """Plant codes of the account whose realtime KPIs were asked for longest ago (never asked first).

    `due_before`: only plants last asked before then (one vendor window ago). `started_at`: never a plant
    already asked during this run, so one run serves each plant at most once even at simulator speeds.
    """
    cutoff = min(due_before, started_at)
    return list(
        Plant.objects.filter(vendor_account=account, state=Plant.State.ACTIVE)
        .filter(Q(telemetry_polled_at__isnull=True) | Q(telemetry_polled_at__lt=cutoff))
        .order_by(F("telemetry_polled_at").asc(nulls_first=True), "pk")
        .values_list("plant_code", flat=True)[:limit]
    )


# --- vendor account health (vendors.health, in the shared vendor state store) ---------------------------


def vendor_account_health(*, account: VendorAccount):
    """What the adapters last learned about the account: ok, credentials refused, locked, rate limited..."""
    from fleets.adapters import account_key, shared_state_store
    from vendors.health import health_read

    return health_read(shared_state_store(), account_key(account))
