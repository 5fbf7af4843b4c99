"""Query filters of the dispatch list endpoints (django-filter)."""

from __future__ import annotations

import django_filters

from dispatch.models import DispatchJob, DispatchTask
from vendors.base import CommandKind


class DispatchJobFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=DispatchJob.State.choices, help_text="Repeat for several"
    )
    command = django_filters.MultipleChoiceFilter(
        field_name="command_kind", choices=[(k.value, k.value) for k in CommandKind]
    )
    fleet = django_filters.NumberFilter(field_name="fleet_id")
    created = django_filters.IsoDateTimeFromToRangeFilter(
        field_name="created_at", help_text="created_after / created_before (ISO 8601)"
    )
    created_by = django_filters.CharFilter(field_name="created_by__username", help_text="Username")

    class Meta:
        model = DispatchJob
        fields = ["state", "command", "fleet", "created", "created_by"]


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
