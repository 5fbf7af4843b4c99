"""Query filters of the dispatch list endpoints (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from dispatch.commands import POWER_TARGET
from dispatch.models import DispatchJob, DispatchTask
from vendors.base import CommandKind


class DispatchJobFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=DispatchJob.State.choices, help_text="Repeat for several"
    )
    command = django_filters.MultipleChoiceFilter(
        choices=[(k, k) for k in (*CommandKind, POWER_TARGET)],
        method="filter_command",
        help_text="The command as asked: power_target jobs are not listed as charge_discharge",
    )
    fleet = django_filters.NumberFilter(field_name="fleet_id")
    created = django_filters.IsoDateTimeFromToRangeFilter(
        field_name="created_at", help_text="created_after / created_before (ISO 8601)"
    )
    created_by = django_filters.CharFilter(field_name="created_by__username", help_text="Username")

    class Meta:
        model = DispatchJob
        fields = ["state", "command", "fleet", "created", "created_by"]

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
    plant = django_filters.NumberFilter(field_name="plant_id")
    plant_code = django_filters.CharFilter(field_name="plant__plant_code")
    vendor = django_filters.CharFilter(field_name="vendor_account__vendor")

    class Meta:
        model = DispatchTask
        fields = ["state", "plant", "plant_code", "vendor"]
