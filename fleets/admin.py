from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from fleets import selectors, services
from fleets.admin_access import OrganizationScopedAdmin, OrganizationScopedInline
from fleets.models import (
    Device,
    Enrolment,
    EnrolmentItem,
    Fleet,
    Membership,
    Organization,
    Plant,
    Vendor,
    VendorAccount,
    VendorCall,
)
from vendors import registry


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "organization__name"]
    autocomplete_fields = ["user", "organization"]


class VendorAccountForm(forms.ModelForm):
    """The secret is write-only: the field starts empty, and an empty field keeps the stored secret."""

    vendor = forms.ChoiceField(choices=Vendor.choices)  # vendors.registry (the column has no choices)
    base_url = forms.URLField(assume_scheme="https", max_length=500)
    secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=" or ".join(f"{s.brand} {s.secret_label}" for s in registry.specs())
        + ". Leave empty to keep the stored one.",
    )

    class Meta:
        model = VendorAccount
        fields = [
            "organization",
            "vendor",
            "name",
            "base_url",
            "username",
            "secret",
            "enabled",
            "clock_speed",
            "rate_limit_overrides",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.pop("secret", None)

    def clean_secret(self):
        secret = self.cleaned_data.get("secret")
        if not secret:
            if self.instance.pk:
                return self.instance.secret
            raise forms.ValidationError("A new vendor account needs its secret.", code="required")
        return secret


@admin.register(VendorAccount)
class VendorAccountAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    form = VendorAccountForm
    platform_only_fields = ("clock_speed",)  # a simulator knob; a huge value switches the limiter off
    list_display = [
        "name",
        "vendor",
        "organization",
        "username",
        "base_url",
        "enabled",
        "synced_at",
        "sync_error",
        "health_status",
    ]
    list_filter = ["vendor", "enabled", "organization"]
    search_fields = ["name", "username", "base_url"]
    actions = ["sync_now", "reset_health"]
    readonly_fields = ["health_detail"]

    @admin.display(description="health")
    def health_status(self, account):
        return selectors.vendor_account_health(account=account).effective_status()

    @admin.display(description="health (vendors.health)")
    def health_detail(self, account):
        if account.pk is None:
            return "-"
        record = selectors.vendor_account_health(account=account).to_json()
        return format_html_join(
            mark_safe("<br>"), "{}: {}", ((k, "-" if v is None or v == "" else v) for k, v in record.items())
        )

    @admin.action(description="Reset health: forget refusals, locks and errors", permissions=["change"])
    def reset_health(self, request, queryset):
        for account in queryset:
            services.vendor_account_health_reset(account=account)
        self.message_user(request, f"Health reset for {queryset.count()} account(s).", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"secret", "username", "base_url"} & set(form.changed_data):
            # New credentials deserve a login: a refusal of the old ones is over.
            transaction.on_commit(lambda: services.vendor_account_health_reset(account=obj))

    @admin.action(description="Discover plants and devices now (runs in a worker)")
    def sync_now(self, request, queryset):
        with transaction.atomic():
            for account in queryset:
                services.vendor_account_sync_request(account=account, requested_by=request.user.pk)
        self.message_user(request, f"Sync queued for {queryset.count()} account(s).", messages.SUCCESS)


class DeviceInline(OrganizationScopedInline, admin.TabularInline):
    model = Device
    extra = 0
    fields = ["device_type", "dn", "sn", "model", "rated_power_w"]


@admin.register(Plant)
class PlantAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    list_display = [
        "plant_code",
        "name",
        "organization",
        "vendor_account",
        "timezone",
        "battery_usable_kwh",
        "soc_pct",
        "state",
    ]
    list_filter = ["state", "vendor_account__vendor", "enrolment_method", "timezone", "organization"]
    search_fields = ["plant_code", "name", "address", "devices__sn"]
    list_select_related = ["organization", "vendor_account"]
    readonly_fields = [
        "soc_pct",
        "battery_power_w",
        "pv_power_w",
        "load_power_w",
        "meter_power_w",
        "health",
        "telemetry_at",
        "enrolled_at",
        "updated_at",
    ]
    inlines = [DeviceInline]


@admin.register(Device)
class DeviceAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    organization_path = "plant__organization"

    list_display = ["dn", "sn", "device_type", "model", "plant"]
    list_filter = ["device_type", "plant__vendor_account__vendor"]
    search_fields = ["dn", "sn", "plant__plant_code", "plant__name"]
    list_select_related = ["plant"]


@admin.register(Fleet)
class FleetAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "organization", "filter_enabled", "created_at"]
    list_filter = ["organization", "filter_enabled"]
    search_fields = ["name"]
    filter_horizontal = ["plants", "excluded_plants"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "filter_vendor":  # vendors.registry (the column has no choices)
            return forms.ChoiceField(
                choices=[("", "---------"), *Vendor.choices], required=False, label="Filter vendor"
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    fieldsets = [
        (None, {"fields": ["organization", "name", "description"]}),
        ("Hand-picked plants", {"fields": ["plants", "excluded_plants"]}),
        (
            "Filter: when enabled, every plant of the organisation matching all the criteria set below",
            {
                "fields": [
                    "filter_enabled",
                    "filter_vendor",
                    "filter_vendor_account",
                    "filter_region",
                    "filter_timezone",
                    "filter_battery_usable_kwh_min",
                    "filter_battery_usable_kwh_max",
                ]
            },
        ),
    ]


@admin.register(VendorCall)
class VendorCallAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """The audit trail: every call sent to a vendor and who asked for it. Read-only."""

    organization_path = "vendor_account__organization"

    list_display = [
        "created_at",
        "vendor_account",
        "endpoint",
        "request_id",
        "http_status",
        "vendor_code",
        "duration_ms",
        "requested_by",
    ]
    list_filter = ["endpoint", "vendor_code", "vendor_account__vendor"]
    search_fields = ["request_id", "endpoint", "targets"]
    list_select_related = ["vendor_account", "requested_by"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- enrolment ---------------------------------------------------------------------------------------------


class EnrolmentAdminForm(forms.ModelForm):
    """Enrol plants from the admin: one item per line, validated by the same rules as the API.

    By SN: `SN, owner` (the owner's username, email or phone; more than one may follow), or
    `datalogger SN, check code` for a vendor whose SN enrolment takes one (vendors.registry,
    EnrolmentMethod.line_extra); by authorisation code: the code alone.
    """

    lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 15, "cols": 80}),
        label="Items",
        help_text="One per line (at most 1,000). "
        + " ".join(
            f"{s.brand} by SN: "
            + (
                "'datalogger SN, check code'."
                if (s.enrolment_method("sn") and s.enrolment_method("sn").line_extra)
                else "'SN, owner username / email / phone'."
            )
            for s in registry.specs()
        )
        + " By authorisation code: the code.",
    )

    class Meta:
        model = Enrolment
        fields = ["vendor_account", "method"]

    @staticmethod
    def _item(method: str, vendor: str, line: str) -> dict:
        if method == Enrolment.Method.AC:
            return {"authorization_code": line}  # a comma here fails the code's format rule, as in the API
        parts = [p.strip() for p in line.split(",")]
        item = {"sn": parts[0]}
        spec = registry.find(vendor)
        rules = spec.enrolment_method(method) if spec else None
        if rules is not None and rules.line_extra:
            if len(parts) > 1:
                item[rules.line_extra] = parts[1]
            return item
        for value in parts[1:]:
            key = "email" if "@" in value else "phone" if value[:1] in "+0123456789" else "username"
            item[key] = value
        return item

    def clean(self):
        from fleets.api.serializers import EnrolmentCreateSerializer

        cleaned = super().clean()
        account, method = cleaned.get("vendor_account"), cleaned.get("method")
        lines = [line.strip() for line in (cleaned.get("lines") or "").splitlines() if line.strip()]
        if not account or not method:
            return cleaned
        data = {
            "vendor_account": account.pk,
            "method": method,
            "items": [self._item(method, account.vendor, line) for line in lines],
        }
        serializer = EnrolmentCreateSerializer(data=data, context={"accounts": VendorAccount.objects.all()})
        if not serializer.is_valid():
            from rest_framework.exceptions import ValidationError

            from vpp.errors import _flatten

            problems_by_field = _flatten(ValidationError(serializer.errors).get_full_details())
            if not problems_by_field:
                self.add_error(None, "Invalid enrolment.")
            for name, problems in problems_by_field.items():
                where = name
                if name.startswith("items."):
                    where = f"line {int(name.split('.')[1]) + 1}" + (
                        f" ({name.split('.', 2)[2]})" if name.count(".") > 1 else ""
                    )
                for problem in problems:
                    self.add_error(
                        "lines" if name.startswith("items") else None, f"{where}: {problem['message']}"
                    )
        else:
            cleaned["items"] = serializer.validated_data["items"]
        return cleaned


class EnrolmentItemInline(OrganizationScopedInline, admin.TabularInline):
    model = EnrolmentItem
    extra = 0
    can_delete = False
    fields = ["position", "sn", "authorization_code", "state", "reason", "plant", "already_enrolled"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Enrolment)
class EnrolmentAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    """Add = enrol (the form above); the run happens in a worker. Results are read-only."""

    list_display = ["pk", "vendor_account", "method", "state", "requested_by", "created_at", "finished_at"]
    list_filter = ["state", "method", "vendor_account__vendor", "organization"]
    search_fields = ["items__sn", "items__authorization_code"]
    list_select_related = ["vendor_account", "requested_by"]
    readonly_fields = [
        "organization",
        "vendor_account",
        "method",
        "state",
        "requested_by",
        "error_code",
        "error",
        "attempts",
        "next_attempt_at",
        "created_at",
        "started_at",
        "finished_at",
    ]
    actions = ["run_again"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = EnrolmentAdminForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_fields(self, request, obj=None):
        return ["vendor_account", "method", "lines"] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return [EnrolmentItemInline] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            return
        enrolment = services.enrolment_create(
            organization=form.cleaned_data["vendor_account"].organization,
            vendor_account=form.cleaned_data["vendor_account"],
            method=form.cleaned_data["method"],
            items=form.cleaned_data["items"],
            requested_by=request.user.pk,
        )
        obj.pk = enrolment.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    @admin.action(description="Run again (resume pending items)")
    def run_again(self, request, queryset):
        with transaction.atomic():
            for enrolment in queryset:
                services.enrolment_resume(enrolment=enrolment)
        self.message_user(request, f"{queryset.count()} enrolment(s) handed to a worker.", messages.SUCCESS)
