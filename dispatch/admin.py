"""Dispatch in the Django admin: jobs with their tasks and counts, cancel and retry, and a "dispatch a
command" action on plants and fleets.

A job's page shows its counts per task state (one aggregate query), each linking to the task changelist
filtered by job and state, and only the first TASKS_INLINE_LIMIT tasks inline: a 10,000-task job must not
render 10,000 rows.

The plant and fleet actions are added here, not in fleets/admin.py, so that `fleets` does not depend on
`dispatch`: this module subclasses whatever ModelAdmin is registered for Plant and Fleet (keeping its
actions) and re-registers the subclass. Importing fleets.admin first makes app loading order irrelevant.
"""

from __future__ import annotations

import copy
import uuid

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from rest_framework.exceptions import ValidationError as DRFValidationError

from dispatch import kinds, selectors, services
from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from fleets import admin as fleets_admin  # noqa: F401 - registers the Plant and Fleet admins we extend
from fleets.admin_access import OrganizationScopedAdmin, OrganizationScopedInline
from fleets.models import Fleet, Plant
from vpp.errors import DomainError, _flatten

TASKS_INLINE_LIMIT = 50


def kind_list_filter(choices):
    """A changelist filter offering `choices()` for a `command_kind` column, which carries no `choices=`
    (a new kind needs no migration): every declared kind, as when the column had them (`<path>__exact`)."""

    class KindListFilter(admin.ChoicesFieldListFilter):
        def __init__(self, field, *args, **kwargs):
            field = copy.copy(field)
            field.choices = choices()
            super().__init__(field, *args, **kwargs)

    return KindListFilter


class ReadOnlyAdminMixin:
    """Rows written by the engine only: visible, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- jobs and tasks ------------------------------------------------------------------------------------


class FirstTasksFormSet(BaseInlineFormSet):
    def get_queryset(self):
        # Sliced once and kept: the formset asks for its queryset once per row.
        if not hasattr(self, "_first_tasks"):
            self._first_tasks = super().get_queryset()[:TASKS_INLINE_LIMIT]
        return self._first_tasks


class DispatchTaskInline(ReadOnlyAdminMixin, OrganizationScopedInline, admin.TabularInline):
    model = DispatchTask
    formset = FirstTasksFormSet
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = f"Tasks (the first {TASKS_INLINE_LIMIT}; all of them are in the task list)"
    fields = [
        "plant",
        "state",
        "vendor_code",
        "vendor_message",
        "charged_kwh",
        "discharged_kwh",
        "finished_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("plant").order_by("pk")


def _tasks_url(job_id: int, **filters) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"job__id__exact": job_id, **filters}.items())
    return f"{reverse('admin:dispatch_dispatchtask_changelist')}?{query}"


@admin.register(DispatchJob)
class DispatchJobAdmin(OrganizationScopedAdmin, admin.ModelAdmin):
    list_display = ["id", "command_kind", "state", "organization", "created_by", "task_count", "created_at"]
    list_filter = ["state", ("command_kind", kind_list_filter(kinds.choices)), "organization"]
    search_fields = ["=id", "idempotency_key", "created_by__username"]
    list_select_related = ["organization", "created_by"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "organization",
        "created_by",
        "command_kind",
        "params",
        "fleet",
        "start_at",
        "deadline",
        "on_conflict",
        "idempotency_key",
        "state",
        "task_count",
        "task_summary",
        "vendor_requests",
        "created_at",
        "started_at",
        "finished_at",
        "cancel_requested_at",
        "cancelled_by",
    ]
    exclude = ["command", "request_fingerprint", "charged_kwh", "discharged_kwh"]
    inlines = [DispatchTaskInline]
    actions = ["cancel_jobs", "retry_failed_tasks"]

    def has_add_permission(self, request):
        return False  # jobs are created by the API, the plant and fleet actions, or campaigns

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Tasks by state")
    def task_summary(self, job):
        summary = selectors.dispatch_job_summary(job=job)
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a>: {}</li>',
            (
                (_tasks_url(job.pk, state__exact=state), state, n)
                for state, n in summary["counts"].items()
                if n
            ),
        )
        energy = (
            f"charged {summary['charged_kwh'] or 0:g} kWh, discharged {summary['discharged_kwh'] or 0:g} kWh"
        )
        return format_html(
            '<a href="{}">All {} tasks</a><ul>{}</ul>{}', _tasks_url(job.pk), summary["total"], rows, energy
        )

    @admin.display(description="Vendor requests")
    def vendor_requests(self, job):
        url = f"{reverse('admin:dispatch_vendorrequest_changelist')}?job__id__exact={job.pk}"
        count = VendorRequest.objects.filter(job=job).count()
        return format_html('<a href="{}">{} vendor request(s)</a>, each with its vendor calls', url, count)

    @admin.action(description="Cancel the selected jobs (stop what can be stopped)")
    def cancel_jobs(self, request, queryset):
        cancelled = 0
        for job in queryset.filter(state__in=DispatchJob.OPEN_STATES):
            services.dispatch_job_cancel(job=job, by=request.user)
            cancelled += 1
        skipped = queryset.count() - cancelled
        self.message_user(
            request, f"Cancelling {cancelled} job(s); {skipped} already finished.", messages.SUCCESS
        )

    @admin.action(description="Retry the failed tasks of the selected jobs")
    def retry_failed_tasks(self, request, queryset):
        retried = 0
        for job in queryset.order_by("pk"):
            try:
                retried += services.dispatch_tasks_retry(job=job, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"Job {job.pk}: {exc.detail}", messages.WARNING)
        self.message_user(request, f"{retried} failed task(s) queued again.", messages.SUCCESS)


@admin.register(DispatchTask)
class DispatchTaskAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin, admin.ModelAdmin):
    organization_path = "job__organization"

    list_display = [
        "id",
        "job",
        "plant",
        "vendor_account",
        "state",
        "vendor_code",
        "charged_kwh",
        "discharged_kwh",
        "finished_at",
    ]
    list_filter = ["state", "vendor_account__vendor", ("job__command_kind", kind_list_filter(kinds.choices))]
    search_fields = ["plant__plant_code", "plant__name", "remote_id", "=job__id"]
    list_select_related = ["job", "plant", "vendor_account"]
    raw_id_fields = ["job", "plant", "request", "stop_request"]


@admin.register(VendorRequest)
class VendorRequestAdmin(ReadOnlyAdminMixin, OrganizationScopedAdmin, admin.ModelAdmin):
    """Each vendor call batch with OUR request identity, stored before it was sent. Read-only: the audit trail
    of what was sent is here and in Vendor calls (fleets.VendorCall, also read-only)."""

    organization_path = "job__organization"

    list_display = [
        "request_id",
        "job",
        "vendor_account",
        "purpose",
        "state",
        "attempts",
        "sent_at",
        "next_poll_at",
        "last_error",
        "calls",
    ]
    list_filter = ["state", "purpose", "vendor_account__vendor"]
    search_fields = ["request_id", "vendor_request_id", "=job__id"]
    list_select_related = ["job", "vendor_account"]
    raw_id_fields = ["job", "after"]

    @admin.display(description="Vendor calls")
    def calls(self, request_row):
        # The audit rows of this request's calls (fleets.VendorCall carries our request_id and who asked).
        url = f"{reverse('admin:fleets_vendorcall_changelist')}?request_id={request_row.request_id}"
        return format_html('<a href="{}">calls</a>', url)


# --- "dispatch a command" on plants and fleets ---------------------------------------------------------


class DispatchCommandForm(forms.Form):
    """The command of a dispatch from the admin, validated by dispatch.commands exactly as the API does."""

    command = forms.ChoiceField(choices=kinds.choices)
    params = forms.JSONField(
        initial=dict,
        help_text='JSON object, e.g. {"action": "charge", "control": "soc", "target_soc_pct": 90, '
        '"power_w": 3000}',
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
    )
    start_at = forms.DateTimeField(required=False, help_text="Optional: send not before this time")
    deadline = forms.DateTimeField(required=False, help_text="Optional: tasks not completed by then time out")
    on_conflict = forms.ChoiceField(
        choices=DispatchJob.OnConflict.choices, initial=DispatchJob.OnConflict.REJECT
    )
    # A double-submitted form creates one job, not two: the key is drawn when the form is first shown.
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if "command" not in data or "params" not in data:
            return data
        try:
            data["params"], data["command_obj"] = kinds.validate_command(data["command"], data["params"])
        except DRFValidationError as exc:
            for name, errors in _flatten(exc.get_full_details()).items():
                field = "command" if name == "command" else "params"
                where = name.removeprefix("params").lstrip(".")
                for error in errors:
                    self.add_error(field, f"{where}: {error['message']}" if where else error["message"])
        if data.get("start_at") and data.get("deadline") and data["deadline"] <= data["start_at"]:
            self.add_error("deadline", "Must be after start_at.")
        return data


def _create(request, form: DispatchCommandForm, *, organization, fleet=None, plant_ids=None, key_suffix=""):
    data = form.cleaned_data
    request_fields = {
        "command_kind": data["command"],
        "params": data["params"],
        "start_at": data.get("start_at"),
        "deadline": data.get("deadline"),
        "on_conflict": data["on_conflict"],
    }
    return services.dispatch_job_create(
        organization=organization,
        created_by=request.user,
        command=data["command_obj"],
        fleet=fleet,
        plant_ids=plant_ids,
        idempotency_key=f"admin:{data['idempotency_key']}{key_suffix}",
        request_fingerprint=services.dispatch_request_fingerprint(
            **request_fields, fleet_id=fleet.pk if fleet else None, plant_ids=plant_ids
        ),
        **request_fields,
    )


def _dispatch_action(modeladmin, request, queryset, *, what: str, create_jobs):
    if "apply" not in request.POST:  # the first time: show the form
        form = DispatchCommandForm(initial={"idempotency_key": uuid.uuid4().hex, "params": {}})
    elif (form := DispatchCommandForm(request.POST)).is_valid():
        try:
            with transaction.atomic():
                jobs = create_jobs(form)
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            for job, created in jobs:
                url = reverse("admin:dispatch_dispatchjob_change", args=[job.pk])
                verb = "Created" if created else "Already created"
                modeladmin.message_user(
                    request,
                    format_html('{} <a href="{}">job {}</a> ({} tasks).', verb, url, job.pk, job.task_count),
                )
            if len(jobs) == 1:
                return HttpResponseRedirect(
                    reverse("admin:dispatch_dispatchjob_change", args=[jobs[0][0].pk])
                )
            return HttpResponseRedirect(reverse("admin:dispatch_dispatchjob_changelist"))
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": f"Dispatch a command to {queryset.count()} {what}",
        "opts": modeladmin.model._meta,
        "form": form,
        "queryset": queryset[:100],
        "selected": queryset.values_list("pk", flat=True),
        "count": queryset.count(),
        "action": request.POST.get("action"),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/dispatch/dispatch_command.html", context)


@admin.action(description="Dispatch a command to the selected plants")
def dispatch_to_plants(modeladmin, request, queryset):
    organizations = set(queryset.values_list("organization", flat=True).distinct())
    if len(organizations) > 1:
        modeladmin.message_user(
            request, "Select plants of one organisation: a job belongs to one.", messages.ERROR
        )
        return None

    def create_jobs(form):
        plant_ids = sorted(queryset.values_list("pk", flat=True))
        organization = queryset.first().organization
        return [_create(request, form, organization=organization, plant_ids=plant_ids)]

    return _dispatch_action(modeladmin, request, queryset, what="plants", create_jobs=create_jobs)


@admin.action(description="Dispatch a command to the selected fleets (one job per fleet)")
def dispatch_to_fleets(modeladmin, request, queryset):
    def create_jobs(form):
        fleets = queryset.select_related("organization").order_by("pk")
        return [
            _create(
                request, form, organization=fleet.organization, fleet=fleet, key_suffix=f":fleet:{fleet.pk}"
            )
            for fleet in fleets
        ]

    return _dispatch_action(modeladmin, request, queryset, what="fleets", create_jobs=create_jobs)


def _add_action(model, action) -> None:
    """Re-register `model` with a subclass of its registered ModelAdmin that also has `action`."""
    base = type(admin.site.get_model_admin(model))
    subclass = type(base.__name__, (base,), {"actions": [*(base.actions or ()), action]})
    admin.site.unregister(model)
    admin.site.register(model, subclass)


_add_action(Plant, dispatch_to_plants)
_add_action(Fleet, dispatch_to_fleets)
