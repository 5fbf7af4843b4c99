"""Query-string filters (django-filter). Choices that name objects are limited to the caller's organisation,
so another organisation's id is refused like one that does not exist."""

from __future__ import annotations

import django_filters

from fleets.models import Enrolment, Fleet, Plant, Vendor, VendorAccount
from fleets.selectors import fleet_plants
from vpp.api_fields import BooleanFilter, ObjectIdFilter
from vpp.permissions import organization_of


def _accounts(request):
    return VendorAccount.objects.filter(organization=organization_of(request.user)) if request else None


def _fleets(request):
    return Fleet.objects.filter(organization=organization_of(request.user)) if request else None


class PlantFilter(django_filters.FilterSet):
    vendor = django_filters.ChoiceFilter(field_name="vendor_account__vendor", choices=Vendor.choices)
    vendor_account = ObjectIdFilter(queryset=_accounts)
    state = django_filters.ChoiceFilter(choices=Plant.State.choices)
    enrolment_method = django_filters.ChoiceFilter(choices=Plant.EnrolmentMethod.choices)
    region = django_filters.CharFilter(lookup_expr="iexact")
    timezone = django_filters.CharFilter()
    battery_usable_kwh_min = django_filters.NumberFilter(field_name="battery_usable_kwh", lookup_expr="gte")
    battery_usable_kwh_max = django_filters.NumberFilter(field_name="battery_usable_kwh", lookup_expr="lte")
    fleet = ObjectIdFilter(
        queryset=_fleets, method="filter_fleet", help_text="Plants in this fleet now (by hand or by filter)"
    )

    class Meta:
        model = Plant
        fields = []

    def filter_fleet(self, queryset, name, fleet):
        return queryset.filter(pk__in=fleet_plants(fleet, include_inactive=True).values("pk"))


class EnrolmentFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=Enrolment.State.choices)
    method = django_filters.ChoiceFilter(choices=Enrolment.Method.choices)
    vendor_account = ObjectIdFilter(queryset=_accounts)

    class Meta:
        model = Enrolment
        fields = []


class VendorAccountFilter(django_filters.FilterSet):
    vendor = django_filters.ChoiceFilter(choices=Vendor.choices)
    enabled = BooleanFilter()

    class Meta:
        model = VendorAccount
        fields = []
