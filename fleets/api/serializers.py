"""Shapes of the fleets API: what is shown, and the validation of what is sent (field by field, naming the
rule broken). Writes go through fleets.services; nothing here saves."""

from __future__ import annotations

import math
import re
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from fleets import selectors
from fleets.models import (
    Device,
    Enrolment,
    EnrolmentItem,
    Fleet,
    Plant,
    PlantTelemetry,
    Vendor,
    VendorAccount,
    vendor_base_url_check,
)
from vendors import health, registry
from vendors.ratelimit.rules import looser_overrides
from vendors.registry import plant_capabilities
from vpp.api_fields import (
    FieldAliasesMixin,
    IdListField,
    StrictFloatField,
    StrictPrimaryKeyRelatedField,
    ZonedDateTimeField,
)
from vpp.permissions import organization_of

_TIMEZONES = frozenset(available_timezones())
# Device SNs and authorisation codes travel comma-separated to the vendor (NBI V7 9.6.1.2
# "authorizationCodes ... separated by commas"), so a comma, a space or a control character would split or
# corrupt the request: letters, digits, '-', '_' and '.' only.
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_code_validator = RegexValidator(
    _CODE_RE, "Use 1-64 letters, digits, '.', '-' or '_' (no spaces or commas).", code="invalid_format"
)
_phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()-]{3,30}$",
    "Enter a phone number: digits, optionally with +, spaces or dashes.",
    "invalid",
)


def _refuse_unknown(data, fields, message: str, code: str) -> None:
    """A typo'd or read-only key is an error, not silently ignored (the caller thinks it was applied)."""
    unknown = sorted(set(data) - set(fields)) if isinstance(data, dict) else []
    if unknown:
        raise serializers.ValidationError(
            {name: [serializers.ErrorDetail(message, code=code)] for name in unknown}
        )


def _organization(serializer: serializers.Serializer):
    request = serializer.context.get("request")
    return organization_of(request.user) if request else None


class OrganizationAccounts(StrictPrimaryKeyRelatedField):
    """A vendor account of the caller's organisation; any other id is "does_not_exist" (no leak)."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "does_not_exist": "Unknown vendor account.",
    }

    def get_queryset(self):
        accounts = self.root.context.get("accounts")  # the admin passes every account it may see
        if accounts is not None:
            return accounts
        return VendorAccount.objects.filter(organization=_organization(self.root))


# --- vendor accounts -----------------------------------------------------------------------------------


class AccountHealthSerializer(serializers.Serializer):
    """vendors.health: what the adapters last learned about the account (shared by every worker)."""

    status = serializers.ChoiceField(choices=health.STATUSES)
    locked_until = serializers.DateTimeField(allow_null=True)
    blocked_until = serializers.DateTimeField(allow_null=True)
    rate_limited_until = serializers.DateTimeField(allow_null=True)
    budget_left_today = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    last_error_at = serializers.DateTimeField(allow_null=True)
    last_success_at = serializers.DateTimeField(allow_null=True)


def _account_health(serializer: serializers.Serializer, account) -> health.AccountHealth:
    """One read of the shared store per account per answer (a plant list names few accounts)."""
    cache = serializer.context.setdefault("_account_health", {}) if serializer.context is not None else {}
    if account.pk not in cache:
        cache[account.pk] = selectors.vendor_account_health(account=account)
    return cache[account.pk]


class VendorAccountSerializer(serializers.ModelSerializer):
    """The secret is write-only: required when creating, omitted (or empty) on update keeps the stored one,
    and never part of any answer."""

    secret = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=500, style={"input_type": "password"}
    )
    vendor = serializers.ChoiceField(choices=Vendor.choices)  # vendors.registry (the column has no choices)
    plant_count = serializers.IntegerField(read_only=True)
    health = serializers.SerializerMethodField()

    class Meta:
        model = VendorAccount
        fields = [
            "id",
            "name",
            "vendor",
            "base_url",
            "username",
            "secret",
            "enabled",
            "rate_limit_overrides",
            "plant_count",
            "synced_at",
            "sync_error",
            "created_at",
            "health",
        ]
        read_only_fields = ["synced_at", "sync_error", "created_at"]
        extra_kwargs = {
            "rate_limit_overrides": {
                "help_text": 'Per-endpoint limits replacing the documented ones, e.g. {"chargeAndDischarge": '
                "[[1, 120]]}. Only stricter than the vendor's documented limits (no larger burst, no higher "
                "rate); platform staff may raise one (a negotiated quota)."
            }
        }

    # Simulator-only knobs: a real cloud runs at speed 1, and a huge speed switches the rate limiter off for
    # the account. Set by platform staff in the admin, by `vpp_demo` and by test factories; never here.
    NOT_IN_API = ("clock_speed",)

    def to_internal_value(self, data):
        if isinstance(data, dict) and (refused := [name for name in self.NOT_IN_API if name in data]):
            raise serializers.ValidationError(
                {
                    name: _error("A simulator setting: not settable through the API.", "not_allowed")
                    for name in refused
                }
            )
        return super().to_internal_value(data)

    @extend_schema_field(AccountHealthSerializer)
    def get_health(self, account) -> dict:
        return _account_health(self, account).to_json()

    def validate(self, attrs):
        if self.instance is None and not attrs.get("secret"):
            raise serializers.ValidationError(
                {"secret": [serializers.ErrorDetail("This field is required.", code="required")]}
            )
        vendor = attrs.get("vendor", getattr(self.instance, "vendor", None))
        username = attrs.get("username", getattr(self.instance, "username", ""))
        spec = registry.find(vendor)
        if spec is not None and spec.username_required and not username:
            raise serializers.ValidationError(
                {
                    "username": [
                        serializers.ErrorDetail(
                            f"A {spec.brand} account needs its {spec.username_label}.", code="required"
                        )
                    ]
                }
            )
        overrides = attrs.get("rate_limit_overrides")
        request = self.context.get("request")
        if overrides and spec is not None and not (request and request.user.is_superuser):
            # Our limiter is what keeps an account inside the vendor's quota (a 407 wastes the call, too
            # many lock the account): an organisation may only tighten it. Raising a limit (a negotiated
            # quota) is for platform staff, in the admin.
            count = max(getattr(self.instance, "plant_count", 0) or 0, 1)
            looser = looser_overrides(spec.limits(plant_count=count, device_count=count), overrides)
            if looser:
                raise serializers.ValidationError(
                    {
                        "rate_limit_overrides": [
                            serializers.ErrorDetail(
                                f"{name}: {why}; an override may only be stricter than the vendor's "
                                "documented limits (platform staff may raise one).",
                                code="not_stricter",
                            )
                            for name, why in sorted(looser.items())
                        ]
                    }
                )
        if self.instance is not None and "vendor" in attrs and attrs["vendor"] != self.instance.vendor:
            raise serializers.ValidationError(
                {
                    "vendor": [
                        serializers.ErrorDetail("The vendor of an account cannot change.", code="immutable")
                    ]
                }
            )
        return attrs

    def validate_base_url(self, value):
        try:
            vendor_base_url_check(value)
        except DjangoValidationError as exc:
            error = exc.error_dict["base_url"][0]
            raise serializers.ValidationError(error.message, code=error.code) from None
        return value

    def validate_rate_limit_overrides(self, value):
        """{"<endpoint>": [[limit, window_s], ...]}: positive integer limits and positive windows."""
        if not isinstance(value, dict):
            raise serializers.ValidationError(
                "Expected an object of endpoint -> [[limit, window_s], ...].", code="invalid"
            )
        for endpoint, rules in value.items():
            ok = (
                isinstance(rules, list)
                and rules
                and all(
                    isinstance(rule, list | tuple)
                    and len(rule) == 2
                    and isinstance(rule[0], int)
                    and not isinstance(rule[0], bool)
                    and rule[0] >= 1
                    and isinstance(rule[1], int | float)
                    and not isinstance(rule[1], bool)
                    and math.isfinite(rule[1])
                    and rule[1] > 0
                    for rule in rules
                )
            )
            if not ok:
                raise serializers.ValidationError(
                    f"{endpoint}: expected a list of [limit >= 1, finite window_s > 0] pairs.", code="invalid"
                )
        return value


# --- plants --------------------------------------------------------------------------------------------


class AccountSummarySerializer(serializers.ModelSerializer):
    vendor = serializers.ChoiceField(choices=Vendor.choices, read_only=True)

    class Meta:
        model = VendorAccount
        fields = ["id", "name", "vendor"]


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = ["id", "device_type", "dn", "sn", "model", "rated_power_w"]


class PlantSerializer(serializers.ModelSerializer):
    vendor = serializers.CharField(source="vendor_account.vendor", read_only=True)
    vendor_account = AccountSummarySerializer(read_only=True)
    device_count = serializers.IntegerField(read_only=True)
    account_health = serializers.SerializerMethodField(
        help_text="The vendor account's health status: anything but ok (or rate_limited, which passes by "
        "itself) means the vendor cannot be reached for this plant until someone acts."
    )

    class Meta:
        model = Plant
        fields = [
            "id",
            "plant_code",
            "name",
            "vendor",
            "vendor_account",
            "address",
            "latitude",
            "longitude",
            "timezone",
            "region",
            "pv_capacity_kwp",
            "inverter_rated_power_w",
            "battery_rated_kwh",
            "battery_usable_kwh",
            "battery_max_charge_w",
            "battery_max_discharge_w",
            "enrolment_method",
            "state",
            "device_count",
            "soc_pct",
            "battery_power_w",
            "pv_power_w",
            "load_power_w",
            "meter_power_w",
            "health",
            "account_health",
            "telemetry_at",
            "enrolled_at",
            "synced_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=health.STATUSES))
    def get_account_health(self, plant) -> str:
        return _account_health(self, plant.vendor_account).effective_status()


class FleetSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Fleet
        fields = ["id", "name"]


class PlantDetailSerializer(PlantSerializer):
    devices = DeviceSerializer(many=True, read_only=True)
    fleets = serializers.SerializerMethodField()
    capabilities = serializers.SerializerMethodField(
        help_text="What the plant's devices can do, one entry per device family (the vendor's capability "
        "model): control styles, slots, power resolution, SOC ranges, read-back endpoints, VPP support."
    )

    class Meta(PlantSerializer.Meta):
        fields = [*PlantSerializer.Meta.fields, "devices", "fleets", "capabilities"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_capabilities(self, plant):
        devices = [(d.device_type, d.extra) for d in plant.devices.all()]
        return plant_capabilities(plant.vendor_account.vendor, devices)

    @extend_schema_field(FleetSummarySerializer(many=True))
    def get_fleets(self, plant):
        return FleetSummarySerializer(self.context.get("fleets", []), many=True).data


class PlantUpdateSerializer(serializers.Serializer):
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.ChoiceField(
        choices=[Plant.State.ACTIVE, Plant.State.DISABLED],
        required=False,
        help_text="Take a plant out of service (disabled) or back (active); 'removed' is set by discovery.",
    )

    def to_internal_value(self, data):
        _refuse_unknown(data, self.fields, "This field cannot be changed.", "read_only")
        return super().to_internal_value(data)


class TelemetryPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlantTelemetry
        fields = [
            "measured_at",
            "soc_pct",
            "battery_power_w",
            "pv_power_w",
            "load_power_w",
            "meter_power_w",
            "health",
        ]


class TelemetrySerializer(serializers.Serializer):
    plant = serializers.IntegerField()
    from_ = serializers.DateTimeField()
    to = serializers.DateTimeField()
    points = TelemetryPointSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        fields["from"].source = "from_"
        return fields


class TelemetryQuerySerializer(serializers.Serializer):
    """?from=&to= (ISO 8601 with the zone): at most 31 days; by default the last 24 hours. Any other query
    parameter is refused (as on the list endpoints)."""

    MAX_DAYS = 31
    from_ = ZonedDateTimeField(required=False)
    to = ZonedDateTimeField(required=False)

    def to_internal_value(self, data):
        _refuse_unknown(
            data, self.fields, "Unknown query parameter; this endpoint takes: from, to.", "unknown_parameter"
        )
        return super().to_internal_value(data)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        fields["from"].source = "from_"
        return fields

    def validate(self, attrs):
        from datetime import timedelta

        from django.utils import timezone

        until = attrs.get("to") or timezone.now()
        since = attrs.get("from_") or until - timedelta(hours=24)
        if since >= until:
            raise serializers.ValidationError(
                {"from": [serializers.ErrorDetail("'from' must be before 'to'.", code="invalid_range")]}
            )
        if until - since > timedelta(days=self.MAX_DAYS):
            raise serializers.ValidationError(
                {
                    "from": [
                        serializers.ErrorDetail(
                            f"At most {self.MAX_DAYS} days at a time.", code="range_too_long"
                        )
                    ]
                }
            )
        return {"from_": since, "to": until}


# --- fleets --------------------------------------------------------------------------------------------


class FleetFilterSerializer(serializers.Serializer):
    """Every criterion set must hold; an empty object matches every plant of the organisation."""

    vendor = serializers.ChoiceField(choices=Vendor.choices, required=False, allow_null=True)
    vendor_account = OrganizationAccounts(required=False, allow_null=True)
    region = serializers.CharField(
        max_length=100,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Case-insensitive exact match",
    )
    timezone = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="IANA name, e.g. Europe/Berlin",
    )
    battery_usable_kwh_min = StrictFloatField(min_value=0, required=False, allow_null=True)
    battery_usable_kwh_max = StrictFloatField(min_value=0, required=False, allow_null=True)

    def validate_timezone(self, value):
        if value and value not in _TIMEZONES:
            raise serializers.ValidationError(
                "Unknown timezone: use an IANA name such as Europe/Berlin.", code="invalid_timezone"
            )
        return value

    def validate(self, attrs):
        low, high = attrs.get("battery_usable_kwh_min"), attrs.get("battery_usable_kwh_max")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {
                    "battery_usable_kwh_max": [
                        serializers.ErrorDetail(
                            "Must be at least battery_usable_kwh_min.", code="invalid_range"
                        )
                    ]
                }
            )
        account, vendor = attrs.get("vendor_account"), attrs.get("vendor")
        if account is not None and vendor and account.vendor != vendor:
            raise serializers.ValidationError(
                {
                    "vendor_account": [
                        serializers.ErrorDetail(
                            "This account is not of the filter's vendor.", code="vendor_mismatch"
                        )
                    ]
                }
            )
        return attrs

    def to_representation(self, criteria):
        return criteria  # Fleet.filter_criteria is already the API's shape


MAX_FLEET_PLANTS_PER_REQUEST = 10_000


def _plant_ids(**kwargs) -> IdListField:
    return IdListField(max_length=MAX_FLEET_PLANTS_PER_REQUEST, **kwargs)


def _plants_alias(attrs):
    if "plant_ids" in attrs:  # the old name (FieldAliasesMixin refused both at once)
        attrs["plants"] = attrs.pop("plant_ids")
    return attrs


@extend_schema_serializer(deprecate_fields=["plant_ids"])
class FleetSerializer(FieldAliasesMixin, serializers.Serializer):
    """`plants` as on POST /dispatches; `plant_ids`, its old name, is still accepted."""

    aliases = {"plant_ids": "plants"}

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    filter = FleetFilterSerializer(
        source="filter_criteria",
        required=False,
        allow_null=True,
        help_text="Dynamic membership: null (default) for hand-picked plants only; an object adds every "
        "plant matching all its set criteria ({} = every plant).",
    )
    plants = _plant_ids(
        write_only=True,
        required=False,
        help_text="Hand-picked plant ids (replaces the hand-picked set on update)",
    )
    plant_ids = _plant_ids(write_only=True, required=False, help_text="Deprecated: the old name of plants")
    plant_count = serializers.IntegerField(read_only=True, help_text="Active plants in the fleet now")
    manual_plant_count = serializers.IntegerField(read_only=True, help_text="Hand-picked plants")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def validate(self, attrs):
        return _plants_alias(attrs)


@extend_schema_serializer(deprecate_fields=["plant_ids"])
class FleetPlantsSerializer(FieldAliasesMixin, serializers.Serializer):
    """`plants` (1 to 10,000 ids); `plant_ids`, its old name, is still accepted."""

    aliases = {"plant_ids": "plants"}
    required_aliased = ("plants",)

    plants = _plant_ids(min_length=1, required=False, help_text="Plant ids")
    plant_ids = _plant_ids(min_length=1, required=False, help_text="Deprecated: the old name of plants")

    def validate(self, attrs):
        return _plants_alias(attrs)


# --- enrolments ----------------------------------------------------------------------------------------


class EnrolmentItemInputSerializer(serializers.Serializer):
    """One item. By SN: `sn` plus what the account's vendor needs with it (vendors.registry: the owner's
    username, email or phone, or the datalogger's `check_code`). By AC: `authorization_code`."""

    sn = serializers.CharField(required=False, max_length=64, validators=[_code_validator])
    username = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=150)
    email = serializers.EmailField(required=False, allow_null=True, allow_blank=True, max_length=254)
    phone = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=32, validators=[_phone_validator]
    )
    check_code = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=64, validators=[_code_validator]
    )
    plant_name = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=200,
        help_text="The plant (id or exact name) the datalogger joins; a new plant by default",
    )
    timezone = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=64,
        help_text="IANA zone of a plant the enrolment creates",
    )
    authorization_code = serializers.CharField(required=False, max_length=64, validators=[_code_validator])

    def validate_timezone(self, value):
        if value and value not in _TIMEZONES:
            raise serializers.ValidationError("Unknown timezone: use an IANA name.", code="invalid_timezone")
        return value

    def to_internal_value(self, data):
        _refuse_unknown(data, self.fields, "Unknown field.", "unknown_field")
        return super().to_internal_value(data)


def _error(message: str, code: str) -> list[serializers.ErrorDetail]:
    return [serializers.ErrorDetail(message, code=code)]


_METHOD_WORDS = {Enrolment.Method.AC: "authorisation-code", Enrolment.Method.SN: "SN"}


class EnrolmentCreateSerializer(serializers.Serializer):
    vendor_account = OrganizationAccounts(help_text="Id of one of your organization's vendor accounts")
    method = serializers.ChoiceField(choices=Enrolment.Method.choices)
    items = serializers.ListField(
        child=EnrolmentItemInputSerializer(),
        min_length=1,
        max_length=Enrolment.MAX_ITEMS,
        help_text=f"1 to {Enrolment.MAX_ITEMS} items (the vendor maximum per request, NBI V7 9.6.1.1/2)",
    )

    def validate_vendor_account(self, account):
        if not account.enabled:
            raise serializers.ValidationError("This vendor account is disabled.", code="disabled")
        return account

    def validate(self, attrs):
        account, method = attrs["vendor_account"], attrs["method"]
        spec = registry.find(account.vendor)
        rules = spec.enrolment_method(method) if spec else None
        if rules is None:
            brand, hint = (spec.brand, spec.enrolment_hint) if spec else (account.vendor, "")
            word = _METHOD_WORDS.get(method, method)
            raise serializers.ValidationError(
                {
                    "method": _error(
                        f"{brand} has no {word} enrolment" + (f"; {hint}." if hint else "."),
                        "unsupported_by_vendor",
                    )
                }
            )
        errors: dict[str, list] = {}
        seen: dict[str, int] = {}
        key_field = "sn" if method == Enrolment.Method.SN else "authorization_code"
        other = (
            {"authorization_code"}
            if method == Enrolment.Method.SN
            else {"sn", "username", "email", "phone", "check_code", "plant_name", "timezone"}
        )
        for i, item in enumerate(attrs["items"]):
            prefix = f"items.{i}"
            key = item.get(key_field)
            if not key:
                errors[f"{prefix}.{key_field}"] = _error(f"Required when method is '{method}'.", "required")
                continue
            for name in sorted(other & {k for k, v in item.items() if v}):
                errors[f"{prefix}.{name}"] = _error(f"Not used when method is '{method}'.", "not_allowed")
            if key.upper() in seen:
                errors[f"{prefix}.{key_field}"] = _error(
                    f"Duplicate of items.{seen[key.upper()]}.{key_field}.", "duplicate"
                )
            seen.setdefault(key.upper(), i)
            if rules.one_of and not any(item.get(k) for k in rules.one_of):
                errors[prefix] = _error(rules.one_of_message, rules.one_of_code)
            for name in rules.required:
                if not item.get(name):
                    errors[f"{prefix}.{name}"] = _error(rules.required_message, "required")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AccountEnrolmentCreateSerializer(EnrolmentCreateSerializer):
    """The same, with the account taken from the URL (POST /vendor-accounts/{id}/enrolments)."""

    vendor_account = None

    def validate(self, attrs):
        return super().validate({**attrs, "vendor_account": self.context["vendor_account"]})


class EnrolmentItemSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="owner_username")
    email = serializers.CharField(source="owner_email")
    phone = serializers.CharField(source="owner_phone")
    plant = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Null until it succeeds"
    )
    plant_code = serializers.CharField(
        source="plant.plant_code", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = EnrolmentItem
        fields = [
            "position",
            "sn",
            "authorization_code",
            "username",
            "email",
            "phone",
            "state",
            "reason",
            "plant",
            "plant_code",
            "already_enrolled",
        ]
        read_only_fields = fields


@extend_schema_serializer(deprecate_fields=["requested_by"])
class EnrolmentSerializer(serializers.ModelSerializer):
    vendor_account = AccountSummarySerializer(read_only=True)
    created_by = serializers.CharField(
        source="requested_by.username", default=None, read_only=True, allow_null=True, help_text="Username"
    )
    requested_by = serializers.CharField(
        source="requested_by.username",
        default=None,
        read_only=True,
        allow_null=True,
        help_text="Deprecated: the old name of created_by",
    )
    item_count = serializers.IntegerField(read_only=True)
    succeeded_count = serializers.IntegerField(read_only=True)
    failed_count = serializers.IntegerField(read_only=True)
    pending_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "vendor_account",
            "method",
            "state",
            "created_by",
            "requested_by",
            "item_count",
            "succeeded_count",
            "failed_count",
            "pending_count",
            "error_code",
            "error",
            "attempts",
            "next_attempt_at",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class EnrolmentDetailSerializer(EnrolmentSerializer):
    items = EnrolmentItemSerializer(many=True, read_only=True)

    class Meta(EnrolmentSerializer.Meta):
        fields = [*EnrolmentSerializer.Meta.fields, "items"]
        read_only_fields = fields


class SyncRequestedSerializer(serializers.Serializer):
    vendor_account = serializers.IntegerField()
    status = serializers.CharField(default="queued")
