"""Thin API views: scope to the caller's organisation, validate with a serializer, call a service or a
selector, answer. Every queryset starts from the caller's organisation, so another organisation's object
is simply not found (404)."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fleets import selectors, services
from fleets.api import serializers as s
from fleets.api.filters import EnrolmentFilter, PlantFilter, VendorAccountFilter
from vpp.errors import DomainError
from vpp.filters import pagination_parameters, refuse_unknown_query_parameters
from vpp.permissions import CanAdminister, CanOperate, organization_of

ERROR = OpenApiResponse(description="Error: {error, detail, fields: {field: [{code, message}]}}")
NOT_FOUND = OpenApiResponse(description="Not found (or another organization's)")


@contextmanager
def _plants_named_as_sent(request):
    """A service error on `plants` names the field as the client spelt it (`plant_ids`, the old name, too)."""
    try:
        yield
    except DomainError as exc:
        if exc.field == "plants" and isinstance(request.data, dict) and "plant_ids" in request.data:
            exc.field = "plant_ids"
        raise


class _OrganizationScoped:
    @property
    def organization(self):
        return organization_of(self.request.user)


@extend_schema_view(
    list=extend_schema(
        summary="List plants",
        description="Filter, search (name, plant code, device SN), "
        "order and paginate the organization's plants.",
    ),
    retrieve=extend_schema(
        summary="A plant with its devices and fleets",
        responses={200: s.PlantDetailSerializer, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Change a plant's region or take it out of service",
        request=s.PlantUpdateSerializer,
        responses={200: s.PlantDetailSerializer, 400: ERROR, 404: NOT_FOUND},
    ),
)
class PlantViewSet(
    _OrganizationScoped,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [CanOperate]
    serializer_class = s.PlantSerializer
    filterset_class = PlantFilter
    search_fields = ["name", "plant_code", "devices__sn"]
    ordering_fields = [
        "name",
        "plant_code",
        "battery_usable_kwh",
        "soc_pct",
        "telemetry_at",
        "enrolled_at",
        "pv_capacity_kwp",
    ]
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        if self.action in {"retrieve", "partial_update"}:
            return selectors.plant_detail_queryset(organization=self.organization)
        return selectors.plant_list(organization=self.organization)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    def _detail(self, plant):
        fleets = selectors.plant_fleets(plant=plant)
        return Response(
            s.PlantDetailSerializer(plant, context={"request": self.request, "fleets": fleets}).data
        )

    def partial_update(self, request, *args, **kwargs):
        plant = self.get_object()
        serializer = s.PlantUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.plant_update(plant=plant, **serializer.validated_data)
        return self._detail(self.get_queryset().get(pk=plant.pk))

    @extend_schema(
        summary="A plant's telemetry time series",
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATETIME, description="Start (ISO 8601); default: 24 h before 'to'"
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATETIME, description="End, exclusive (ISO 8601); default: now"
            ),
        ],
        responses={200: s.TelemetrySerializer, 400: ERROR, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def telemetry(self, request, pk=None):
        plant = self.get_object()
        query = s.TelemetryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since, until = query.validated_data["from_"], query.validated_data["to"]
        points = selectors.plant_telemetry(plant=plant, since=since, until=until)
        return Response(
            s.TelemetrySerializer({"plant": plant.pk, "from_": since, "to": until, "points": points}).data
        )


@extend_schema_view(
    list=extend_schema(summary="List fleets"),
    retrieve=extend_schema(summary="A fleet", responses={200: s.FleetSerializer, 404: NOT_FOUND}),
    create=extend_schema(summary="Create a fleet", responses={201: s.FleetSerializer, 400: ERROR}),
    update=extend_schema(
        summary="Replace a fleet", responses={200: s.FleetSerializer, 400: ERROR, 404: NOT_FOUND}
    ),
    partial_update=extend_schema(
        summary="Change a fleet", responses={200: s.FleetSerializer, 400: ERROR, 404: NOT_FOUND}
    ),
    destroy=extend_schema(summary="Delete a fleet", responses={204: None, 404: NOT_FOUND, 409: ERROR}),
)
class FleetViewSet(_OrganizationScoped, viewsets.ModelViewSet):
    permission_classes = [CanOperate]
    serializer_class = s.FleetSerializer
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at"]
    filterset_fields: list[str] = []

    def get_queryset(self):
        return selectors.fleet_list(organization=self.organization)

    def _answer(self, fleet, code=status.HTTP_200_OK):
        fleet = self.get_queryset().get(pk=fleet.pk)
        return Response(s.FleetSerializer(fleet, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with _plants_named_as_sent(request):
            fleet = services.fleet_create(
                organization=self.organization,
                name=data["name"],
                description=data.get("description", ""),
                criteria=data.get("filter_criteria"),
                plant_ids=data.get("plants", []),
            )
        return self._answer(fleet, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        fleet = self.get_object()
        serializer = self.get_serializer(fleet, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        changes = {key: data[key] for key in ("name", "description") if key in data}
        if "plants" in data:
            changes["plant_ids"] = data["plants"]
        if "filter_criteria" in data:
            changes["criteria"] = data["filter_criteria"]
        elif not partial:
            changes["criteria"] = None  # PUT replaces the whole fleet: no filter given, no filter
        if not partial:
            changes.setdefault("description", "")
            changes.setdefault("plant_ids", [])
        with _plants_named_as_sent(request):
            services.fleet_update(fleet=fleet, **changes)
        return self._answer(fleet)

    def perform_destroy(self, instance):
        services.fleet_delete(fleet=instance)

    @extend_schema(
        summary="Add plants to a fleet by hand",
        request=s.FleetPlantsSerializer,
        responses={200: s.FleetSerializer, 400: ERROR, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="add-plants")
    def add_plants(self, request, pk=None):
        fleet = self.get_object()
        serializer = s.FleetPlantsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with _plants_named_as_sent(request):
            services.fleet_plants_add(fleet=fleet, plant_ids=serializer.validated_data["plants"])
        return self._answer(fleet)

    @extend_schema(
        summary="Remove plants from a fleet (also ones its filter matches)",
        request=s.FleetPlantsSerializer,
        responses={200: s.FleetSerializer, 400: ERROR, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="remove-plants")
    def remove_plants(self, request, pk=None):
        fleet = self.get_object()
        serializer = s.FleetPlantsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with _plants_named_as_sent(request):
            services.fleet_plants_remove(fleet=fleet, plant_ids=serializer.validated_data["plants"])
        return self._answer(fleet)

    @extend_schema(
        summary="The fleet's plants now (active ones, by hand or by filter)",
        responses={200: s.PlantSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], filter_backends=[], serializer_class=s.PlantSerializer)
    def plants(self, request, pk=None):
        refuse_unknown_query_parameters(request, pagination_parameters(self))
        fleet = self.get_object()
        plants = selectors.plant_list(organization=self.organization).filter(
            pk__in=selectors.fleet_plants(fleet).values("pk")
        )
        page = self.paginate_queryset(plants)
        return self.get_paginated_response(s.PlantSerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="List enrolments", description="Newest first, with item counts per state."),
    retrieve=extend_schema(
        summary="An enrolment with each item's result",
        responses={200: s.EnrolmentDetailSerializer, 404: NOT_FOUND},
    ),
)
class EnrolmentViewSet(
    _OrganizationScoped,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [CanOperate]
    serializer_class = s.EnrolmentSerializer
    filterset_class = EnrolmentFilter
    search_fields = ["items__sn", "items__authorization_code"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.enrolment_detail_queryset(organization=self.organization)
        return selectors.enrolment_list(organization=self.organization)

    def get_serializer_class(self):
        return s.EnrolmentDetailSerializer if self.action == "retrieve" else s.EnrolmentSerializer

    @extend_schema(
        summary="Enrol plants by device SN or authorisation code",
        description="Answers 202 at once; a worker asks the vendor and fills in each item's result. Up to "
        "1,000 items (NBI V7 9.6.1.1 / 9.6.1.2). An account id that is not your organization's is refused as "
        "unknown (400 on vendor_account).",
        request=s.EnrolmentCreateSerializer,
        responses={202: s.EnrolmentDetailSerializer, 400: ERROR},
    )
    def create(self, request, *args, **kwargs):
        serializer = s.EnrolmentCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return _enrol(request, self.organization, data["vendor_account"], data)


def _enrol(request, organization, account, data):
    with transaction.atomic():
        enrolment = services.enrolment_create(
            organization=organization,
            vendor_account=account,
            method=data["method"],
            items=data["items"],
            requested_by=request.user.pk,
        )
    enrolment = selectors.enrolment_detail_queryset(organization=organization).get(pk=enrolment.pk)
    return Response(s.EnrolmentDetailSerializer(enrolment).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(
        summary="List vendor accounts", description="Every member may list them; the secret is never shown."
    ),
    retrieve=extend_schema(
        summary="A vendor account", responses={200: s.VendorAccountSerializer, 404: NOT_FOUND}
    ),
    create=extend_schema(
        summary="Add a vendor account (admins)", responses={201: s.VendorAccountSerializer, 400: ERROR}
    ),
    update=extend_schema(
        summary="Replace a vendor account (admins)",
        responses={200: s.VendorAccountSerializer, 400: ERROR, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Change a vendor account (admins)",
        responses={200: s.VendorAccountSerializer, 400: ERROR, 404: NOT_FOUND},
    ),
    destroy=extend_schema(
        summary="Delete a vendor account with no plants (admins)",
        responses={204: None, 404: NOT_FOUND, 409: ERROR},
    ),
)
class VendorAccountViewSet(_OrganizationScoped, viewsets.ModelViewSet):
    permission_classes = [CanAdminister]
    serializer_class = s.VendorAccountSerializer
    filterset_class = VendorAccountFilter
    search_fields = ["name", "username", "base_url"]
    ordering_fields = ["name", "created_at"]

    def get_queryset(self):
        return selectors.vendor_account_list(organization=self.organization)

    def _answer(self, account, code=status.HTTP_200_OK):
        account = self.get_queryset().get(pk=account.pk)
        return Response(s.VendorAccountSerializer(account).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = services.vendor_account_create(organization=self.organization, **serializer.validated_data)
        return self._answer(account, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        account = self.get_object()
        serializer = self.get_serializer(account, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        services.vendor_account_update(account=account, **serializer.validated_data)
        return self._answer(account)

    def perform_destroy(self, instance):
        services.vendor_account_delete(account=instance)

    @extend_schema(
        summary="Discover the account's plants and devices now",
        description="Queues a sync (also run daily); plants already bound to the account appear "
        "with enrolment method 'bound'.",
        request=None,
        responses={202: s.SyncRequestedSerializer, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], permission_classes=[CanOperate])
    def sync(self, request, pk=None):
        account = self.get_object()
        with transaction.atomic():
            services.vendor_account_sync_request(account=account, requested_by=request.user.pk)
        return Response({"vendor_account": account.pk, "status": "queued"}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Reset the account's health (admins)",
        description="Forgets a credentials refusal, a lock or an error the adapters recorded, so the next "
        "call logs in again (once: a new refusal stops every worker again). Changing the secret does the "
        "same.",
        request=None,
        responses={200: s.VendorAccountSerializer, 403: ERROR, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], url_path="reset-health")
    def reset_health(self, request, pk=None):
        account = self.get_object()  # CanAdminister: operators and viewers get 403, others 404
        services.vendor_account_health_reset(account=account)
        return self._answer(account)

    @extend_schema(
        summary="Enrol plants into this account",
        description="As POST /enrolments, with the account in the URL (404 if not yours).",
        request=s.AccountEnrolmentCreateSerializer,
        responses={202: s.EnrolmentDetailSerializer, 400: ERROR, 404: NOT_FOUND},
    )
    @action(detail=True, methods=["post"], permission_classes=[CanOperate])
    def enrolments(self, request, pk=None):
        account = self.get_object()
        context = {**self.get_serializer_context(), "vendor_account": account}
        serializer = s.AccountEnrolmentCreateSerializer(data=request.data, context=context)
        serializer.is_valid(raise_exception=True)
        return _enrol(request, self.organization, account, serializer.validated_data)
