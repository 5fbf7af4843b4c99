"""REST API for campaigns: CRUD, pause/resume, run history and a preview of the next run times.

Field names follow POST /dispatches: `command` (the model's command_kind; `command_kind` is still accepted
as its old name, and answered, deprecated), `params` checked by dispatch.commands field by field.
"""

from __future__ import annotations

import django_filters
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from dispatch import kinds
from dispatch.api.serializers import ParamsField
from dispatch.campaigns.models import Campaign, CampaignRun
from dispatch.campaigns.services import (
    campaign_check,
    campaign_create,
    campaign_set_enabled,
    campaign_update,
)
from dispatch.commands import POWER_TARGET
from fleets.models import Fleet
from vpp.api_fields import BooleanFilter, FieldAliasesMixin, ObjectIdFilter, StrictPrimaryKeyRelatedField
from vpp.filters import pagination_parameters, refuse_unknown_query_parameters
from vpp.permissions import CanOperate, organization_of

COMMANDS = [*kinds.names(), POWER_TARGET]  # as POST /dispatches takes them


@extend_schema_serializer(deprecate_fields=["command_kind"])
class CampaignSerializer(FieldAliasesMixin, serializers.ModelSerializer):
    """A campaign: `command` and `params` as on POST /dispatches (`command_kind` is command's old name)."""

    aliases = {"command_kind": "command"}
    required_aliased = ("command",)

    fleet = StrictPrimaryKeyRelatedField(queryset=Fleet.objects.none())
    command = serializers.ChoiceField(choices=COMMANDS, source="command_kind", required=False)
    command_kind = serializers.ChoiceField(
        choices=COMMANDS, required=False, help_text="Deprecated: the old name of command"
    )
    params = ParamsField(required=False, default=dict)
    # A method, not source="created_by.username": DRF skips a sourced default on partial updates (PATCH).
    created_by = serializers.SerializerMethodField(help_text="Username")
    next_runs = serializers.SerializerMethodField(help_text="The next five run times (UTC)")

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "fleet",
            "command",
            "command_kind",
            "params",
            "recurrence_kind",
            "recurrence",
            "timezone",
            "start_date",
            "end_date",
            "enabled",
            "on_overlap",
            "missed_grace_min",
            "next_run_at",
            "next_runs",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["enabled", "next_run_at", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        org = self.context.get("organization")
        # Another organisation's fleet is simply "not found": its existence is not leaked.
        self.fields["fleet"].queryset = Fleet.objects.filter(organization=org)

    def get_created_by(self, campaign: Campaign) -> str | None:
        return campaign.created_by.username if campaign.created_by else None

    def get_next_runs(self, campaign: Campaign) -> list[str]:
        from dispatch.campaigns.selectors import campaign_next_runs

        return [t.isoformat() for t in campaign_next_runs(campaign, count=5)]

    def validate(self, data):
        merged = {f: getattr(self.instance, f) for f in self.Meta.fields if hasattr(self.instance, f)}
        merged.update(data)
        params, errors = campaign_check(merged)
        if errors:
            # The API's name for the model's command_kind (the admin keeps the model's names).
            raise ValidationError({("command" if k == "command_kind" else k): v for k, v in errors.items()})
        data["params"] = params
        return data


class CampaignRunSerializer(serializers.ModelSerializer):
    job_state = serializers.CharField(source="job.state", default=None, read_only=True, allow_null=True)

    class Meta:
        model = CampaignRun
        fields = ["id", "scheduled_at", "state", "job", "job_state", "started_at", "reason"]


def _fleets(request):
    return Fleet.objects.filter(organization=organization_of(request.user) if request else None)


class CampaignFilter(django_filters.FilterSet):
    enabled = BooleanFilter()
    fleet = ObjectIdFilter(queryset=_fleets, help_text="One of your fleets")
    command = django_filters.MultipleChoiceFilter(
        field_name="command_kind", choices=[(c, c) for c in COMMANDS], help_text="Repeat for several"
    )
    command_kind = django_filters.MultipleChoiceFilter(
        choices=[(c, c) for c in COMMANDS], help_text="Deprecated: the old name of command"
    )

    class Meta:
        model = Campaign
        fields = ["enabled", "fleet", "command", "command_kind"]


class CampaignViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [CanOperate]  # viewers read; operators and admins create, change, pause, delete
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter
    search_fields = ["name"]
    ordering_fields = ["name", "next_run_at", "created_at"]

    def get_queryset(self):
        organization = organization_of(self.request.user)
        campaigns = Campaign.objects.filter(organization=organization).select_related("created_by")
        return campaigns.order_by("name")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "organization": organization_of(self.request.user)}

    @transaction.atomic
    def perform_create(self, serializer):
        serializer.instance = campaign_create(
            organization=organization_of(self.request.user),
            created_by=self.request.user,
            **serializer.validated_data,
        )

    @transaction.atomic
    def perform_update(self, serializer):
        serializer.instance = campaign_update(campaign=serializer.instance, **serializer.validated_data)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        campaign = campaign_set_enabled(campaign=self.get_object(), enabled=False)
        return Response(self.get_serializer(campaign).data)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        campaign = campaign_set_enabled(campaign=self.get_object(), enabled=True)
        return Response(self.get_serializer(campaign).data)

    @extend_schema(responses=CampaignRunSerializer(many=True))
    @action(detail=True, methods=["get"])
    def runs(self, request, pk=None):
        refuse_unknown_query_parameters(request, pagination_parameters(self))
        campaign = self.get_object()
        runs = CampaignRun.objects.filter(campaign=campaign).select_related("job").order_by("-scheduled_at")
        page = self.paginate_queryset(runs)
        return self.get_paginated_response(CampaignRunSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("count", int, description="How many run times (1-50, default 5)")],
        responses={
            200: {
                "type": "object",
                "properties": {"next_runs": {"type": "array", "items": {"type": "string"}}},
            }
        },
    )
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        from dispatch.campaigns.selectors import campaign_next_runs

        refuse_unknown_query_parameters(request, {"count"})
        text = request.query_params.get("count", "5")
        if not text.isascii() or not text.isdigit() or len(text) > 3:
            raise ValidationError({"count": ["must be a whole number"]})
        count = int(text)
        if not 1 <= count <= 50:
            raise ValidationError({"count": ["must be between 1 and 50"]})
        campaign = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(
            {"next_runs": [t.isoformat() for t in campaign_next_runs(campaign, count=count)]},
            status=status.HTTP_200_OK,
        )
