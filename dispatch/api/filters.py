"""Query filters of the dispatch list endpoints (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from dispatch import kinds
from dispatch.commands import POWER_TARGET
from dispatch.models import DispatchJob, DispatchTask
from fleets.models import Fleet, Plant, Vendor
from vpp.api_fields import ObjectIdFilter, ZonedDateTimeFilter
from vpp.permissions import organization_of


def _fleets(request):
    return Fleet.objects.filter(organization=organization_of(request.user) if request else None)


def _plants(request):
    return Plant.objects.filter(organization=organization_of(request.user) if request else None)


class DispatchJobFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=DispatchJob.State.choices, help_text="Repeat for several"
    )
    command = django_filters.MultipleChoiceFilter(
        choices=[(k, k) for k in (*kinds.names(), POWER_TARGET)],
        method="filter_command",
        help_text="The command as asked: power_target jobs are not listed as charge_discharge",
    )
    fleet = ObjectIdFilter(queryset=_fleets, help_text="One of your fleets")
    created_after = ZonedDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="ISO 8601 with its zone"
    )
    created_before = ZonedDateTimeFilter(
        field_name="created_at", lookup_expr="lte", help_text="ISO 8601 with its zone"
    )
    created_by = django_filters.CharFilter(field_name="created_by__username", help_text="Username")

    class Meta:
        model = DispatchJob
        fields = ["state", "command", "fleet", "created_after", "created_before", "created_by"]

    def filter_command(self, queryset, name, values):
        if not values:
            return queryset
        plain = [v for v in values if v != POWER_TARGET]
        wanted = Q(command_kind__in=plain, power_target__isnull=True)
        if POWER_TARGET in values:
            wanted |= Q(power_target__isnull=False)
        return queryset.filter(wanted)


class DispatchTaskFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=DispatchTask.State.choices, help_text="Repeat for several"
    )
    plant = ObjectIdFilter(queryset=_plants, help_text="One of your plants")
    plant_code = django_filters.CharFilter(field_name="plant__plant_code")
    vendor = django_filters.ChoiceFilter(field_name="vendor_account__vendor", choices=Vendor.choices)

    class Meta:
        model = DispatchTask
        fields = ["state", "plant", "plant_code", "vendor"]
