"""Webhooks in the admin: subscriptions (the secret is generated here and shown once), deliveries with
every attempt, read-only, and a replay action for dead-lettered ones. An organisation's admins see only
their organisation's (fleets.admin_access), platform staff all."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction

from fleets.admin_access import OrganizationScopedAdmin, OrganizationScopedInline
from vpp.errors import DomainError
from webhooks import services
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from webhooks.targets import TargetRefused, TargetUnresolved, target_check


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(assume_scheme="https", max_length=500)
    events = forms.MultipleChoiceField(choices=list(EVENT_TYPES.items()), widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookSubscription
        fields = ["organization", "url", "events", "description", "active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            target_check(url)
        except (TargetRefused, TargetUnresolved) as exc:
            raise ValidationError(getattr(exc, "message", str(exc))) from None
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ["pk", "url", "organization", "active", "created_at"]
    list_filter = ["active", "organization"]
    search_fields = ["url", "description"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            return
        obj.secret = services.webhook_secret_new()
        obj.created_by = request.user
        obj.events = sorted(set(obj.events))
        obj.save()
        self.message_user(
            request,
            f"Signing secret (shown once, keep it to verify X-VPP-Signature): {obj.secret}",
            messages.WARNING,
        )


class WebhookAttemptInline(OrganizationScopedInline, admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = [
        "number",
        "started_at",
        "finished_at",
        "http_status",
        "error",
        "duration_ms",
        "response_excerpt",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    organization_path = "subscription__organization"
    list_display = ["pk", "event", "subscription", "state", "attempts", "last_status", "next_attempt_at"]
    list_filter = ["state", "event__type"]
    list_select_related = ["event", "subscription"]
    readonly_fields = [
        "subscription", "event", "state", "attempts", "next_attempt_at", "last_status", "last_error",
        "delivered_at", "created_at",
    ]  # fmt: skip
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Replay (send again with a fresh attempt budget)")
    def replay(self, request, queryset):
        replayed = 0
        with transaction.atomic():
            for delivery in queryset:
                try:
                    services.webhook_delivery_replay(delivery=delivery)
                    replayed += 1
                except DomainError:
                    pass  # still pending: it will be sent anyway
        self.message_user(request, f"{replayed} delivery(ies) queued again.", messages.SUCCESS)
