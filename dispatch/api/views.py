"""Dispatch jobs over REST: create (idempotent), list, detail with counts, tasks per plant, cancel.

Thin: bodies are validated by the serializers (dispatch.commands for params), writes go through
dispatch.services, reads are scoped to the caller's organisation (another organisation's job is a 404).

Idempotency (`Idempotency-Key` header, optional, 1-255 printable ASCII characters, scoped to the
organisation): the request's fingerprint is the SHA-256 of its JSON body in canonical form (keys sorted,
no insignificant whitespace), so key order and spacing do not matter but every value does.
- same key, same body: the job made by the first request, 200 (not 201), header `Idempotent-Replayed: true`;
  answered before validation, so a replay is the same answer even if, say, a plant has since been removed;
- same key, another body: 422 `idempotency_key_reused`, naming the `Idempotency-Key` field; nothing written
  (422 as the IETF draft "The Idempotency-Key HTTP Header Field" advises, and as dispatch.services answers
  when two such requests race; 409 is kept for conflicts with running tasks).
"""

from __future__ import annotations

import hashlib
import json

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from dispatch import commands, selectors, services
from dispatch.api.filters import DispatchJobFilter, DispatchTaskFilter
from dispatch.api.serializers import (
    DispatchCreateSerializer,
    DispatchJobSerializer,
    DispatchTaskSerializer,
    ErrorSerializer,
)
from dispatch.engine.codec import is_stop
from dispatch.models import DispatchJob, DispatchTask
from dispatch.powertargets.delivery import power_target_delivery
from dispatch.powertargets.models import PowerTarget
from dispatch.powertargets.services import (
    command_dry_run,
    dry_run_conflicts,
    plan_to_json,
    power_target_create,
    power_target_plan,
)
from vendors.base import CommandKind
from vpp.errors import DomainError
from vpp.parsers import JSONParser
from vpp.permissions import CanOperate, organization_of

IDEMPOTENCY_HEADER = "Idempotency-Key"

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Optional. Retrying with the same key and body returns the same job (200); the same key "
    "with another body is a 422. 1-255 printable ASCII characters.",
)
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input: `fields` names each field and rule"),
    404: OpenApiResponse(ErrorSerializer, description="No such job in your organisation"),
}


DELIVERY_SCHEMA = inline_serializer(
    "PowerTargetDelivery",
    {
        "job": serializers.IntegerField(),
        "direction": serializers.CharField(),
        "window_start": serializers.DateTimeField(),
        "window_end": serializers.DateTimeField(),
        "intervals": inline_serializer(
            "DeliveryInterval",
            {
                "start": serializers.DateTimeField(),
                "end": serializers.DateTimeField(),
                "complete": serializers.BooleanField(),
                "recorded": serializers.BooleanField(help_text="Read from the stored interval row"),
                "target_kw": serializers.FloatField(),
                "planned_kw": serializers.FloatField(allow_null=True),
                "measured_kw": serializers.FloatField(),
                "baseline_kw": serializers.FloatField(),
                "plants_reporting": serializers.IntegerField(),
            },
            many=True,
        ),
        "summary": serializers.DictField(
            help_text="delivered_kwh, target_kwh, delivery_ratio, ramp_minutes, plants_accepted, "
            "plants_finished, plants_confirmed, ..."
        ),
        "outcome": serializers.DictField(
            help_text="state: delivering | delivered | partially_delivered (shortfall_kw, behind) | failed"
        ),
        "plants": serializers.ListField(child=serializers.DictField()),
    },
)


def request_fingerprint(body) -> str:
    """Never raises for a parsed JSON body: a lone surrogate (vpp.parsers refuses it as a 400 before this
    runs) would still encode with surrogatepass, and every valid body keeps the fingerprint it always had."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _idempotency_key(request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    # Printable ASCII, as an RFC 8941 sf-string (the IETF Idempotency-Key draft's type); 255 as the column.
    if not key.strip() or len(key) > 255 or not all(32 <= ord(c) < 127 for c in key):
        raise ValidationError(
            {IDEMPOTENCY_HEADER: ["Must be 1-255 printable ASCII characters, not all spaces."]},
            code="invalid",
        )
    return key


def _replay(job: DispatchJob, fingerprint: str) -> None:
    if job.request_fingerprint != fingerprint:
        raise DomainError(
            "idempotency_key_reused",
            f"This {IDEMPOTENCY_HEADER} was used for another request (job {job.pk}) with a different body; "
            "use a new key for a new request.",
            field=IDEMPOTENCY_HEADER,
            http_status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )


@extend_schema_view(
    list=extend_schema(
        summary="List dispatch jobs", responses={200: DispatchJobSerializer(many=True), **ERRORS}
    ),
    retrieve=extend_schema(
        summary="A dispatch job with its task counts per state and energy totals",
        responses={200: DispatchJobSerializer, **ERRORS},
    ),
)
class DispatchJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [CanOperate]  # viewers read; operators and admins dispatch and cancel
    serializer_class = DispatchJobSerializer
    filterset_class = DispatchJobFilter
    parser_classes = [JSONParser]
    ordering_fields = ["created_at", "id", "state"]
    ordering = ["-created_at", "-id"]

    def _jobs(self):
        return selectors.dispatch_job_list(organization=organization_of(self.request.user))

    def get_queryset(self):
        if self.action == "tasks":  # what the tasks action lists, filters and documents
            return DispatchTask.objects.filter(job__organization=organization_of(self.request.user))
        return self._jobs()

    def get_object(self) -> DispatchJob:
        # Not filter_queryset(): the list filters (and the tasks action's) must not hide the job itself.
        job = get_object_or_404(self._jobs(), pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, job)  # the role check of detail writes (cancel)
        return job

    def _serialize(self, jobs: list[DispatchJob]) -> list[dict]:
        summaries = selectors.dispatch_job_summaries(job_ids=[job.pk for job in jobs])
        return DispatchJobSerializer(jobs, many=True, context={"summaries": summaries}).data

    def _job_response(self, job: DispatchJob, **kwargs) -> Response:
        return Response(self._serialize([job])[0], **kwargs)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._serialize(page))

    def retrieve(self, request, *args, **kwargs):
        return self._job_response(self.get_object())

    @extend_schema(
        summary="Dispatch a command to a fleet or a list of plants",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=DispatchCreateSerializer,
        responses={
            201: OpenApiResponse(DispatchJobSerializer, description="The job was created; tasks are sent"),
            200: OpenApiResponse(
                DispatchJobSerializer, description="Replay: the job of this Idempotency-Key"
            ),
            400: ERRORS[400],
            409: OpenApiResponse(
                ErrorSerializer,
                description="A plant has a conflicting task in progress and on_conflict is reject",
            ),
            422: OpenApiResponse(ErrorSerializer, description="Idempotency-Key reused with another body"),
        },
    )
    def create(self, request, *args, **kwargs):
        organization = organization_of(request.user)
        key = _idempotency_key(request)
        fingerprint = request_fingerprint(request.data)
        dry_run = isinstance(request.data, dict) and request.data.get("dry_run") is True
        if key is not None and not dry_run:  # a dry run writes nothing, so it replays nothing either
            earlier = self._jobs().filter(idempotency_key=key).first()
            if earlier is not None:
                _replay(earlier, fingerprint)
                return self._job_response(earlier, headers={"Idempotent-Replayed": "true"})

        body = DispatchCreateSerializer(data=request.data, context={"organization": organization})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        fleet = data.get("fleet")
        power_target = data["command"] == commands.POWER_TARGET
        if data["dry_run"]:
            return Response(self._dry_run(organization, data, power_target=power_target))
        create = power_target_create if power_target else services.dispatch_job_create
        extra = {} if power_target else {"command_kind": data["command"]}
        job, created = create(
            organization=organization,
            created_by=request.user,
            params=data["params"],
            command=data["command_obj"],
            fleet=fleet,
            plant_ids=data.get("plants"),
            start_at=data.get("start_at"),
            deadline=data.get("deadline"),
            idempotency_key=key,
            request_fingerprint=fingerprint,
            on_conflict=data["on_conflict"],
            **extra,
        )
        if not created:  # a concurrent request with the same key won the race
            _replay(job, fingerprint)
            return self._job_response(job, headers={"Idempotent-Replayed": "true"})
        job = self._jobs().get(pk=job.pk)
        location = f"{request.build_absolute_uri().rstrip('/')}/{job.pk}"
        return self._job_response(job, status=status.HTTP_201_CREATED, headers={"Location": location})

    def _dry_run(self, organization, data, *, power_target: bool) -> dict:
        where = {
            "fleet": data.get("fleet"),
            "plant_ids": data.get("plants"),
            "start_at": data.get("start_at"),
        }
        on_conflict = data["on_conflict"]
        if power_target:
            plan = power_target_plan(organization=organization, params=data["params"], **where)
            answer = plan_to_json(plan)
            # The real dispatch checks the plants it commands: the allocated ones.
            conflicts = dry_run_conflicts(
                plant_ids=[a.plant_id for a in plan.allocations],
                command_kind=CommandKind.CHARGE_DISCHARGE,
                on_conflict=on_conflict,
            )
            if conflicts["effect"]:
                answer["warnings"].append(
                    {"code": "conflict", "message": conflicts["message"], "plants": conflicts["plants"]}
                )
            return {"dry_run": True, "command": commands.POWER_TARGET, **answer, "conflicts": conflicts}
        answer = command_dry_run(organization=organization, command_kind=data["command"], **where)
        conflicts = dry_run_conflicts(
            plant_ids=[row["plant"] for row in (*answer["eta"], *answer["unsupported"])],
            command_kind=data["command"],
            on_conflict=on_conflict,
            stop=is_stop(data["command_obj"]),
        )
        return {"dry_run": True, "command": data["command"], **answer, "conflicts": conflicts}

    @extend_schema(
        summary="Delivery of a power target: target, plan, measured and baseline power per 5-minute interval",
        responses={200: DELIVERY_SCHEMA, **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def delivery(self, request, pk=None):
        job = self.get_object()
        target = PowerTarget.objects.filter(job=job).first()
        if target is None:
            raise DomainError("not_a_power_target", "This job is not a power target.", http_status=404)
        return Response(power_target_delivery(target=target))

    @extend_schema(
        summary="The job's per-plant tasks",
        responses={200: DispatchTaskSerializer(many=True), **ERRORS},
        filters=True,
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=DispatchTaskFilter,
        serializer_class=DispatchTaskSerializer,
        ordering_fields=["id", "state", "finished_at", "plant__plant_code"],
        ordering=["id"],
    )
    def tasks(self, request, pk=None):
        job = self.get_object()
        tasks = selectors.dispatch_task_list(job=job)
        page = self.paginate_queryset(self.filter_queryset(tasks))
        return self.get_paginated_response(DispatchTaskSerializer(page, many=True).data)

    @extend_schema(
        summary="Cancel a job: stop what can be stopped, mark the rest cancelled",
        request=None,
        responses={
            202: OpenApiResponse(DispatchJobSerializer, description="Cancelling: stops are being sent"),
            409: OpenApiResponse(ErrorSerializer, description="The job has already finished"),
            404: ERRORS[404],
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = self.get_object()
        services.dispatch_job_cancel(job=job, by=request.user)
        return self._job_response(self.get_object(), status=status.HTTP_202_ACCEPTED)
