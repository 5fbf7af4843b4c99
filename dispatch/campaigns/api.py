"""REST API for campaigns: CRUD, pause/resume, run history and a preview of the next run times."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from dispatch.campaigns.models import Campaign, CampaignRun
from dispatch.campaigns.services import (
    campaign_check,
    campaign_create,
    campaign_set_enabled,
    campaign_update,
)
from fleets.models import Fleet
from vpp.permissions import CanOperate, organization_of


class CampaignSerializer(serializers.ModelSerializer):
    fleet = serializers.PrimaryKeyRelatedField(queryset=Fleet.objects.none())
    next_runs = serializers.SerializerMethodField(help_text="The next five run times (UTC)")

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "fleet",
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
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["enabled", "next_run_at", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        org = self.context.get("organization")
        # Another organisation's fleet is simply "not found": its existence is not leaked.
        self.fields["fleet"].queryset = Fleet.objects.filter(organization=org)

    def get_next_runs(self, campaign: Campaign) -> list[str]:
        from dispatch.campaigns.selectors import campaign_next_runs

        return [t.isoformat() for t in campaign_next_runs(campaign, count=5)]

    def validate(self, data):
        merged = {f: getattr(self.instance, f) for f in self.Meta.fields if hasattr(self.instance, f)}
        merged.update(data)
        params, errors = campaign_check(merged)
        if errors:
            raise ValidationError(errors)
        data["params"] = params
        return data


class CampaignRunSerializer(serializers.ModelSerializer):
    job_state = serializers.CharField(source="job.state", default=None, read_only=True)

    class Meta:
        model = CampaignRun
        fields = ["id", "scheduled_at", "state", "job", "job_state", "started_at", "reason"]


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
    filterset_fields = ["enabled", "fleet", "command_kind"]
    search_fields = ["name"]
    ordering_fields = ["name", "next_run_at", "created_at"]

    def get_queryset(self):
        return Campaign.objects.filter(organization=organization_of(self.request.user)).order_by("name")

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

        try:
            count = int(request.query_params.get("count", 5))
        except ValueError:
            raise ValidationError({"count": ["must be a whole number"]}) from None
        if not 1 <= count <= 50:
            raise ValidationError({"count": ["must be between 1 and 50"]})
        campaign = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(
            {"next_runs": [t.isoformat() for t in campaign_next_runs(campaign, count=count)]},
            status=status.HTTP_200_OK,
        )
