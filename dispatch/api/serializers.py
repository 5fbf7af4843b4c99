"""Dispatch API bodies and answers.

The create body is validated here in full before anything is written: the command's params by
`dispatch.commands` (errors name `params.<field>`), the targets against the caller's organisation (a fleet or
plant of another organisation is answered exactly like one that does not exist: 400 naming `fleet` or
`plants`, which leaks nothing), and the time window: times carry their zone, `start_at` may be at most
START_AT_GRACE_S in the past (a clock a little behind, a request a little slow), `deadline` is in the future.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from dispatch import commands, kinds
from dispatch.models import DispatchJob, DispatchTask
from fleets.models import Fleet, Plant
from vpp.api_fields import IdField, IdListField, ZonedDateTimeField
from vpp.schema import ErrorSerializer  # noqa: F401 - the error shape, documented on every operation

MAX_PLANTS_PER_REQUEST = 10_000
START_AT_GRACE_S = 60  # how far in the past start_at may be (README, Dispatching)


def _variants_help(variants: dict) -> str:
    return "; ".join(f"{name}: {', '.join(cls().fields)}" for name, cls in variants.items())


def _selector_field(kind: str, selector: str, variants: dict) -> serializers.ChoiceField:
    word = selector.removeprefix("param_")
    return serializers.ChoiceField(
        choices=list(variants),
        required=False,
        help_text=f"{kind}. Keys per {word}: {_variants_help(variants)}",
    )


# The raw setters (dispatch.commands.RAW_SETTERS, from the vendors' rule tables): the other keys depend on
# the variant the selector names.
RawSetterParams = type(
    "RawSetterParams",
    (serializers.Serializer,),
    {
        "__doc__": "The raw setters: the other keys depend on the parameter named by the selector.",
        "__module__": __name__,
        **{
            selector: _selector_field(kind, selector, variants)
            for kind, (selector, _section, variants) in commands.RAW_SETTERS.items()
        },
    },
)


class StrictParamsSchema(OpenApiSerializerExtension):
    """Each command's params take only their own keys (dispatch.commands refuses unknown ones), so the schema
    says additionalProperties: false, and a body matches exactly one DispatchParams variant."""

    target_class = "dispatch.commands.ParamsSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        return {**auto_schema._map_basic_serializer(self.target, direction), "additionalProperties": False}


class RawSetterParamsSchema(OpenApiSerializerExtension):
    """A raw setter's params name their variant with one selector (param_type for storage_set, param_id
    for inverter_set)."""

    target_class = "dispatch.api.serializers.RawSetterParams"

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        selectors = [selector for selector, _, _ in commands.RAW_SETTERS.values()]
        return {**schema, "oneOf": [{"required": [selector]} for selector in selectors]}


PARAMS_SCHEMA = PolymorphicProxySerializer(
    component_name="DispatchParams",
    serializers=[*kinds.params_serializers(), commands.PowerTargetParams, RawSetterParams],
    resource_type_field_name=None,
)


@extend_schema_field(PARAMS_SCHEMA)
class ParamsField(serializers.JSONField):
    """The command's parameters; which keys depends on `command` (see dispatch.commands).

    Taken as parsed: dispatch.commands checks every value, so a bad one (1e400, which the JSON parser reads
    as infinity) is reported against `params.<field>`, not against `params` as a whole (DRF's JSONField
    would refuse the whole object as "not valid JSON")."""

    def to_internal_value(self, data):
        return data


class DispatchCreateSerializer(serializers.Serializer):
    command = serializers.ChoiceField(choices=[*kinds.names(), commands.POWER_TARGET])
    params = ParamsField(required=False, default=dict)
    fleet = IdField(required=False, allow_null=True)
    plants = IdListField(
        required=False,
        allow_null=True,
        allow_empty=False,
        max_length=MAX_PLANTS_PER_REQUEST,
        help_text=f"Plant ids (at most {MAX_PLANTS_PER_REQUEST:,}); give either plants or fleet.",
    )
    start_at = ZonedDateTimeField(
        required=False,
        allow_null=True,
        help_text=f"Send not before this time (ISO 8601 with its zone; at most {START_AT_GRACE_S} s ago)",
    )
    deadline = ZonedDateTimeField(
        required=False,
        allow_null=True,
        help_text="Tasks not completed by then time out (ISO 8601 with its zone; in the future)",
    )
    on_conflict = serializers.ChoiceField(
        choices=DispatchJob.OnConflict.choices,
        default=DispatchJob.OnConflict.REJECT,
        help_text="A plant with a conflicting task in progress: refuse the request (409), or cancel that "
        "task (sending the vendor's stop first) and proceed.",
    )

    dry_run = commands.StrictBooleanField(
        required=False,
        default=False,
        help_text="Answer 200 with the plan (power_target: allocation, expected power per 5-minute interval, "
        "ETA per plant, warnings; other commands: ETA per plant, unsupported plants) and write and send "
        "nothing.",
    )

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise ValidationError(
                    {k: [f"Unknown field; allowed: {', '.join(self.fields)}."] for k in unknown},
                    code="unknown_field",
                )
        return super().to_internal_value(data)

    def validate_fleet(self, fleet_id):
        if fleet_id is None:
            return None
        fleet = Fleet.objects.filter(organization=self.context["organization"], pk=fleet_id).first()
        if fleet is None:
            raise ValidationError(f"No fleet {fleet_id} in your organisation.", code="does_not_exist")
        return fleet

    def validate_plants(self, plant_ids):
        if plant_ids is None:
            return None
        seen: set[int] = set()
        duplicates = [pk for pk in plant_ids if pk in seen or seen.add(pk)]
        if duplicates:
            raise ValidationError(f"Plants listed twice: {_some(duplicates)}.", code="duplicate")
        found = set(
            Plant.objects.filter(organization=self.context["organization"], pk__in=plant_ids).values_list(
                "pk", flat=True
            )
        )
        missing = [pk for pk in plant_ids if pk not in found]
        if missing:
            raise ValidationError(
                f"No such plants in your organisation: {_some(missing)}.", code="does_not_exist"
            )
        return plant_ids

    def validate(self, data):
        errors: dict[str, list] = {}
        fleet, plants = data.get("fleet"), data.get("plants")
        if fleet is not None and plants is not None:
            errors["fleet"] = ["Give either fleet or plants, not both."]
        elif fleet is None and plants is None:
            errors["plants"] = ["Give the plants to dispatch, or a fleet."]

        now = timezone.now()
        start_at, deadline = data.get("start_at"), data.get("deadline")
        if start_at is not None and start_at < now - timedelta(seconds=START_AT_GRACE_S):
            errors["start_at"] = [
                ErrorDetail(
                    f"Must not be more than {START_AT_GRACE_S} s in the past; leave it out to send now.",
                    code="in_the_past",
                )
            ]
        if deadline is not None and deadline <= max(now, start_at or now):
            errors["deadline"] = [
                ErrorDetail("Must be in the future and after start_at.", code="invalid_range")
            ]

        try:
            data["params"], data["command_obj"] = kinds.validate_command(data["command"], data.get("params"))
        except ValidationError as exc:
            errors.update(exc.detail)
        if errors:
            raise ValidationError(errors, code="invalid")
        return data


def _power_target(job):
    try:
        return job.power_target
    except ObjectDoesNotExist:
        return None


def _some(ids: list[int], shown: int = 10) -> str:
    text = ", ".join(str(i) for i in ids[:shown])
    return text + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


# --- answers -------------------------------------------------------------------------------------------


class TaskCountsSerializer(serializers.Serializer):
    """How many of the job's tasks are in each state, plus open (not yet terminal) and total."""

    total = serializers.IntegerField()
    open = serializers.IntegerField()
    by_state = serializers.DictField(
        child=serializers.IntegerField(), help_text="Every task state, with 0 for the states no task is in"
    )


OPEN_STATES = {s.value for s in DispatchTask.OPEN_STATES}


class DispatchJobSerializer(serializers.ModelSerializer):
    """A job, with its task counts and energy totals from `context["summaries"]`
    (dispatch.selectors.dispatch_job_summaries: one aggregate query for a whole page of jobs)."""

    command = serializers.SerializerMethodField(help_text="The command as asked (power_target included)")
    power_target = serializers.SerializerMethodField(
        help_text="For a power_target: what was asked and the plan's summary and warnings; else null"
    )
    created_by = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    charged_kwh = serializers.SerializerMethodField(help_text="Energy the vendor reported charged, summed")
    discharged_kwh = serializers.SerializerMethodField(
        help_text="Energy the vendor reported discharged, summed"
    )

    class Meta:
        model = DispatchJob
        fields = [
            "id",
            "state",
            "command",
            "params",
            "fleet",
            "start_at",
            "deadline",
            "on_conflict",
            "idempotency_key",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "cancel_requested_at",
            "task_count",
            "counts",
            "charged_kwh",
            "discharged_kwh",
            "power_target",
        ]
        read_only_fields = fields

    def get_command(self, job) -> str:
        return commands.POWER_TARGET if _power_target(job) is not None else job.command_kind

    def get_power_target(self, job) -> dict | None:
        target = _power_target(job)
        if target is None:
            return None
        return {
            "direction": target.direction,
            "power_kw": target.power_kw,
            "duration_min": target.duration_min,
            "soc_floor_pct": target.soc_floor_pct,
            "soc_ceiling_pct": target.soc_ceiling_pct,
            "window_start": target.window_start,
            "window_end": target.window_end,
            "summary": target.plan.get("summary", {}),
            "warnings": target.plan.get("warnings", []),
        }

    def _summary(self, job) -> dict:
        return self.context["summaries"][job.pk]

    def get_created_by(self, job) -> str | None:
        return job.created_by.username if job.created_by else None

    @extend_schema_field(TaskCountsSerializer)
    def get_counts(self, job) -> dict:
        summary = self._summary(job)
        by_state = summary["counts"]
        return {
            "total": summary["total"],
            "open": sum(n for state, n in by_state.items() if state in OPEN_STATES),
            "by_state": by_state,
        }

    def get_charged_kwh(self, job) -> float | None:
        return self._summary(job)["charged_kwh"]

    def get_discharged_kwh(self, job) -> float | None:
        return self._summary(job)["discharged_kwh"]


class DispatchTaskSerializer(serializers.ModelSerializer):
    plant_code = serializers.CharField(source="plant.plant_code")
    plant_name = serializers.CharField(source="plant.name")
    vendor = serializers.CharField(source="vendor_account.vendor")

    class Meta:
        model = DispatchTask
        fields = [
            "id",
            "plant",
            "plant_code",
            "plant_name",
            "vendor",
            "state",
            "remote_id",
            "vendor_code",
            "vendor_message",
            "charged_kwh",
            "discharged_kwh",
            "energy_source",
            "sent_at",
            "exec_start",
            "exec_end",
            "expected_done_at",
            "next_poll_at",
            "timeout_at",
            "finished_at",
            "attempts",
        ]
        read_only_fields = fields
