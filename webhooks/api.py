"""/api/v1/webhooks: subscriptions, their deliveries and attempts, replay.

Every member of the organisation reads. Only admins create, change, delete a subscription or rotate its
secret (a subscription holds a signing secret and makes our workers call out, as a vendor account does);
admins and operators replay a delivery (/webhooks/deliveries/{id}/replay). Another organisation's
subscription or delivery is not found (404). The secret is in the answer to the create (and
rotate-secret) call only, never again.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from vpp.errors import DomainError
from vpp.permissions import CanAdminister, CanOperate, organization_of
from webhooks import services
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from webhooks.targets import TargetRefused, TargetUnresolved, target_check

ERROR = OpenApiResponse(description="Error: {error, detail, fields: {field: [{code, message}]}}")
NOT_FOUND = OpenApiResponse(description="Not found (or another organization's)")


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(EVENT_TYPES)), allow_empty=False, max_length=20
    )

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "description", "active", "created_by", "created_at"]
        read_only_fields = ["created_by", "created_at"]

    def validate_url(self, value: str) -> str:
        try:
            target_check(value)
        except TargetRefused as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None
        except TargetUnresolved as exc:
            raise serializers.ValidationError(str(exc), code="unresolved") from None
        return value

    def validate_events(self, value: list[str]) -> list[str]:
        return sorted(set(value))


class WebhookCreatedSerializer(WebhookSubscriptionSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown once: keep it to verify signatures")

    class Meta(WebhookSubscriptionSerializer.Meta):
        fields = [*WebhookSubscriptionSerializer.Meta.fields, "secret"]


class WebhookSecretSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    secret = serializers.CharField()


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "started_at",
            "finished_at",
            "http_status",
            "error",
            "response_excerpt",
            "duration_ms",
        ]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="event.event_id", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempt_rows = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "event_id", "event_type", "state", "attempts", "next_attempt_at", "last_status",
            "last_error", "delivered_at", "created_at", "attempt_rows",
        ]  # fmt: skip


@extend_schema_view(
    list=extend_schema(summary="List the organization's webhook subscriptions"),
    retrieve=extend_schema(summary="A webhook subscription", responses={200: WebhookSubscriptionSerializer}),
    create=extend_schema(
        summary="Subscribe a URL to events (admins)",
        description="The answer carries the signing secret, once. Deliveries are POSTs signed with "
        "X-VPP-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, '<unix>.<body>')>.",
        responses={201: WebhookCreatedSerializer, 400: ERROR},
    ),
    update=extend_schema(
        summary="Change a subscription (admins)",
        responses={200: WebhookSubscriptionSerializer, 400: ERROR, 404: NOT_FOUND},
    ),
    partial_update=extend_schema(
        summary="Change a subscription (admins)",
        responses={200: WebhookSubscriptionSerializer, 400: ERROR, 404: NOT_FOUND},
    ),
    destroy=extend_schema(summary="Delete a subscription and its deliveries (admins)"),
)
class WebhookSubscriptionViewSet(viewsets.ModelViewSet):
    permission_classes = [CanAdminister]
    serializer_class = WebhookSubscriptionSerializer
    filter_backends: list = []

    def get_queryset(self):
        return WebhookSubscription.objects.filter(organization=organization_of(self.request.user)).order_by(
            "pk"
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription, secret = services.webhook_subscription_create(
            organization=organization_of(request.user), created_by=request.user, **serializer.validated_data
        )
        data = WebhookCreatedSerializer(subscription).data | {"secret": secret}
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace the signing secret (admins)", request=None,
        responses={200: WebhookSecretSerializer, 404: NOT_FOUND},
    )  # fmt: skip
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        subscription = self.get_object()
        secret = services.webhook_subscription_rotate_secret(subscription=subscription)
        return Response({"id": subscription.pk, "secret": secret})

    @extend_schema(
        summary="The subscription's deliveries, newest first, with every attempt",
        responses={200: WebhookDeliverySerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], permission_classes=[CanOperate])
    def deliveries(self, request, pk=None):
        subscription = self.get_object()
        qs = subscription.deliveries.select_related("event").prefetch_related("attempt_rows").order_by("-pk")
        wanted = request.query_params.get("state")
        if wanted is not None:
            if wanted not in WebhookDelivery.State.values:
                raise DomainError(
                    "invalid_choice", f"state must be one of {', '.join(WebhookDelivery.State.values)}.",
                    field="state",
                )  # fmt: skip
            qs = qs.filter(state=wanted)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


@extend_schema_view(
    retrieve=extend_schema(
        summary="A delivery with every attempt", responses={200: WebhookDeliverySerializer, 404: NOT_FOUND}
    ),
)
class WebhookDeliveryViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """/webhooks/deliveries/{id}: one delivery of the organisation's subscriptions, and its replay."""

    permission_classes = [CanOperate]
    serializer_class = WebhookDeliverySerializer
    filter_backends: list = []

    def get_queryset(self):
        return (
            WebhookDelivery.objects.filter(subscription__organization=organization_of(self.request.user))
            .select_related("event")
            .prefetch_related("attempt_rows")
        )

    @extend_schema(
        summary="Send a dead-lettered (or delivered) event again (admins and operators)", request=None,
        responses={200: WebhookDeliverySerializer, 404: NOT_FOUND, 409: ERROR},
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        delivery = self.get_object()
        with transaction.atomic():
            delivery = services.webhook_delivery_replay(delivery=delivery)
        return Response(WebhookDeliverySerializer(self.get_queryset().get(pk=delivery.pk)).data)
