from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from dispatch import kinds
from dispatch.admin import kind_list_filter
from dispatch.campaigns.models import Campaign, CampaignRun
from dispatch.campaigns.selectors import campaign_next_runs
from dispatch.campaigns.services import campaign_check, campaign_set_enabled
from fleets.admin_access import OrganizationScopedAdmin, OrganizationScopedInline


class CampaignRunInline(OrganizationScopedInline, admin.TabularInline):
    model = CampaignRun
    extra = 0
    fields = ["scheduled_at", "state", "job", "started_at", "reason"]
    readonly_fields = fields
    ordering = ["-scheduled_at"]
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        # The latest 50 runs; the full history is in the run changelist.
        qs = super().get_queryset(request)
        ids = list(qs.order_by("-scheduled_at").values_list("pk", flat=True)[:50])
        return qs.filter(pk__in=ids)


class CampaignForm(forms.ModelForm):
    """The same rules as the API: a valid recurrence and timezone, command params valid for the kind."""

    # The column carries no choices (a new kind needs no migration): the declared kinds and power_target.
    command_kind = forms.ChoiceField(choices=kinds.campaign_choices, label="Command kind")

    class Meta:
        model = Campaign
        fields = [
            "organization", "name", "fleet", "command_kind", "params", "recurrence_kind", "recurrence",
            "timezone", "start_date", "end_date", "enabled", "on_overlap", "missed_grace_min",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        if (
            data.get("fleet")
            and data.get("organization")
            and data["fleet"].organization != data["organization"]
        ):
            self.add_error("fleet", "belongs to another organization")
        params, errors = campaign_check(data)
        for name, messages_ in errors.items():
            field = name if name in self.fields else "params" if name.startswith("params") else None
            for message in messages_:
                self.add_error(field, f"{name}: {message}" if field != name else message)
        if params is not None:
            data["params"] = params
        return data


@admin.register(Campaign)
class CampaignAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    form = CampaignForm
    list_display = [
        "name",
        "organization",
        "fleet",
        "command_kind",
        "recurrence",
        "timezone",
        "enabled",
        "next_run_at",
    ]
    list_filter = ["enabled", ("command_kind", kind_list_filter(kinds.campaign_choices)), "organization"]
    search_fields = ["name"]
    readonly_fields = [
        "next_run_at",
        "scheduled_until",
        "next_five_runs",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [CampaignRunInline]
    actions = ["pause", "resume"]

    @admin.display(description="Next five runs (UTC)")
    def next_five_runs(self, obj):
        if not obj.pk:
            return "-"
        return ", ".join(f"{t:%Y-%m-%d %H:%M}" for t in campaign_next_runs(obj, count=5)) or "none"

    def save_model(self, request, obj, form, change):
        from dispatch.campaigns.services import campaign_reschedule

        if not change:
            obj.created_by = request.user
        campaign_reschedule(obj, now=timezone.now())
        super().save_model(request, obj, form, change)

    def _set_enabled(self, request, queryset, enabled: bool):
        for campaign in queryset:
            campaign_set_enabled(campaign=campaign, enabled=enabled)
        self.message_user(
            request, f"{queryset.count()} campaign(s) {'resumed' if enabled else 'paused'}", messages.SUCCESS
        )

    @admin.action(description="Pause selected campaigns")
    def pause(self, request, queryset):
        self._set_enabled(request, queryset, False)

    @admin.action(description="Resume selected campaigns")
    def resume(self, request, queryset):
        self._set_enabled(request, queryset, True)


@admin.register(CampaignRun)
class CampaignRunAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    organization_path = "campaign__organization"

    list_display = ["campaign", "scheduled_at", "state", "job", "started_at", "reason"]
    list_filter = ["state", "campaign__organization"]
    search_fields = ["campaign__name", "reason"]
    list_select_related = ["campaign", "job"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
