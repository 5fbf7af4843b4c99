"""The console's pages: thin views over console.selectors, writes through dispatch.services.

Pages are server-rendered; their charts read the data a page embeds (`json_script`, a data block, never
run as code) or, on the live dispatch page, poll a small JSON endpoint of ours. Every script and style is
a static file of ours (no inline code), so a Content-Security-Policy of default-src 'self' holds.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from console import selectors
from console.access import member_required, operator_required
from console.forms import LABELS, VARIANTS, CommandForm, command_kinds
from dispatch import kinds, services
from dispatch.commands import POWER_TARGET
from dispatch.models import DispatchJob, DispatchTask
from dispatch.powertargets.models import PowerTarget
from dispatch.selectors import dispatch_job_list, dispatch_job_summaries
from fleets.adapters import adapter_for
from fleets.models import Plant, Vendor
from fleets.selectors import plant_fleets, plant_list
from vendors.base import CommandKind
from vpp.errors import DomainError

CHART_HOURS = 24  # the fleet and plant charts' span
POWER_TARGET_LABEL = "Fleet power target"


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico on every page without a <link rel=icon> (the admin): ours."""
    return redirect(static("console/favicon.svg"), permanent=False)


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True
    next_page = "console:overview"


class LogoutView(auth_views.LogoutView):
    next_page = "console:login"


@require_GET
@member_required
def overview(request):
    org = request.organization
    overview = selectors.fleet_overview(organization=org)
    now = timezone.now()
    context = {
        "overview": overview,
        "chart_data": {
            "overview": overview,
            "power": selectors.fleet_power_series(organization=org, hours=CHART_HOURS, now=now),
            "since": now - timedelta(hours=CHART_HOURS),
            "until": now,
        },
        "recent_jobs": _jobs_with_summaries(dispatch_job_list(organization=org)[:10]),
    }
    return render(request, "console/overview.html", context)


def _jobs_with_summaries(jobs):
    jobs = list(jobs)
    summaries = dispatch_job_summaries(job_ids=[job.pk for job in jobs])
    power_targets = selectors.power_target_jobs(job_ids=[job.pk for job in jobs])
    for job in jobs:
        job.summary = summaries[job.pk]
        # A power target is stored as a charge/discharge job: say what was asked.
        job.command_label = POWER_TARGET if job.pk in power_targets else job.command_kind
        terminal = sum(job.summary["counts"][s] for s in DispatchTask.TERMINAL_STATES)
        job.progress_pct = round(100 * terminal / job.summary["total"]) if job.summary["total"] else 100
    return jobs


def _tasks_with_labels(tasks):
    tasks = list(tasks)
    power_targets = selectors.power_target_jobs(job_ids=[task.job_id for task in tasks])
    for task in tasks:
        task.job.command_label = POWER_TARGET if task.job_id in power_targets else task.job.command_kind
    return tasks


@require_GET
@member_required
def dispatch_list(request):
    jobs = dispatch_job_list(organization=request.organization)
    state = request.GET.get("state", "")
    if state in DispatchJob.State.values:
        jobs = jobs.filter(state=state)
    page = Paginator(jobs, 25).get_page(request.GET.get("page"))
    page.object_list = _jobs_with_summaries(page.object_list)
    return render(
        request,
        "console/dispatch_list.html",
        {"page": page, "state": state, "states": DispatchJob.State.choices, "kinds": command_kinds()},
    )


def _job(request, pk: int) -> DispatchJob:
    return get_object_or_404(dispatch_job_list(organization=request.organization), pk=pk)


@require_GET
@member_required
def dispatch_detail(request, pk: int):
    job = _job(request, pk)
    target = PowerTarget.objects.filter(job=job).first()
    return render(
        request,
        "console/dispatch_detail.html",
        {
            "job": job,
            "progress": selectors.dispatch_progress(job=job),
            # A power target is a charge/discharge job underneath: its label and parameters are the target's.
            "label": POWER_TARGET_LABEL if target is not None else LABELS.get(job.command_kind),
            "target": target,
        },
    )


@require_GET
@member_required
def dispatch_progress(request, pk: int):
    """The live page's poll: counts, progress, ETA, per-vendor progress, failures, timeline."""
    return JsonResponse(selectors.dispatch_progress(job=_job(request, pk)))


@require_POST
@operator_required
def dispatch_cancel(request, pk: int):
    job = _job(request, pk)
    try:
        with transaction.atomic():
            services.dispatch_job_cancel(job=job, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Cancelling job {job.pk}: stops are being sent.")
    return redirect("console:dispatch", pk=job.pk)


@operator_required
def dispatch_new(request, kind: str):
    """A form per command kind; `?plant=<id>` targets one plant, otherwise a fleet is chosen."""
    if kinds.find(kind) is None:
        raise Http404("No such command.")
    plant = None
    plant_id = request.GET.get("plant", "")
    if plant_id:
        if not (plant_id.isdigit() and len(plant_id) <= 18):  # a bigint, else no such plant
            raise Http404("No such plant.")
        plant = get_object_or_404(Plant.objects.filter(organization=request.organization), pk=int(plant_id))
    variant = request.GET.get("variant") or request.POST.get(VARIANTS[kind][0] if kind in VARIANTS else "")
    if kind in VARIANTS and variant not in VARIANTS[kind][1]:
        variant = None  # first pick which parameter to set
    form_kwargs = {"kind": kind, "organization": request.organization, "variant": variant, "plant": plant}
    if request.method == "POST" and (kind not in VARIANTS or variant):
        form = CommandForm(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                job = _create(request, form, plant=plant)
            except DomainError as exc:  # the service's own checks: past deadline, conflicts, empty fleet
                form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
            else:
                return redirect("console:dispatch", pk=job.pk)
    else:
        form = CommandForm(initial={"idempotency_key": uuid.uuid4().hex}, **form_kwargs)
    return render(
        request,
        "console/dispatch_new.html",
        {
            "form": form,
            "kind": kind,
            "label": LABELS.get(kind, kind),
            "kinds": _kinds_for(plant) if plant is not None else command_kinds(),
            "plant": plant,
            "variants": list(VARIANTS[kind][1]) if kind in VARIANTS else None,
            "variant": variant,
            "param_fields": [form[f"p_{name}"] for name in form.param_names],
        },
    )


def _kinds_for(plant: Plant) -> list[tuple[str, str]]:
    """The commands the plant's vendor can take (its adapter says so: vendors.base.VendorAdapter.supports);
    a fleet's form offers them all, since a mixed fleet's other plants may take one."""
    adapter = adapter_for(plant.vendor_account)
    return [(value, label) for value, label in command_kinds() if adapter.supports(CommandKind(value))]


def _create(request, form: CommandForm, *, plant) -> DispatchJob:
    data = form.cleaned_data
    fleet = data.get("fleet")
    plant_ids = [plant.pk] if plant is not None else None
    request_fields = {
        "command_kind": form.kind,
        "params": data["params"],
        "start_at": data.get("start_at"),
        "deadline": data.get("deadline"),
        "on_conflict": data["on_conflict"],
    }
    with transaction.atomic():
        job, _ = services.dispatch_job_create(
            organization=request.organization,
            created_by=request.user,
            command=data["command_obj"],
            fleet=fleet,
            plant_ids=plant_ids,
            idempotency_key=f"console:{data['idempotency_key']}",
            request_fingerprint=services.dispatch_request_fingerprint(
                **request_fields, fleet_id=fleet.pk if fleet else None, plant_ids=plant_ids
            ),
            **request_fields,
        )
    return job


@require_GET
@member_required
def plant_index(request):
    plants = plant_list(organization=request.organization)
    vendor, state = request.GET.get("vendor", ""), request.GET.get("state", "")
    q = request.GET.get("q", "").replace("\x00", "")[:200]  # PostgreSQL text cannot hold NUL
    if vendor in Vendor.values:
        plants = plants.filter(vendor_account__vendor=vendor)
    if state in Plant.State.values:
        plants = plants.filter(state=state)
    if q:
        plants = plants.filter(name__icontains=q) | plants.filter(plant_code__icontains=q)
    page = Paginator(plants, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "console/plant_list.html",
        {
            "page": page,
            "vendor": vendor,
            "state": state,
            "q": q,
            "states": Plant.State.choices,
            "vendors": Vendor.choices,
        },
    )


@require_GET
@member_required
def plant_detail(request, pk: int):
    plant = get_object_or_404(plant_list(organization=request.organization), pk=pk)
    now = timezone.now()
    return render(
        request,
        "console/plant_detail.html",
        {
            "plant": plant,
            "fleets": plant_fleets(plant=plant),
            "tasks": _tasks_with_labels(selectors.plant_dispatch_history(plant=plant)),
            "series": {
                "series": selectors.plant_telemetry_series(plant=plant, hours=CHART_HOURS, now=now),
                "since": now - timedelta(hours=CHART_HOURS),
                "until": now,
            },
            "kinds": _kinds_for(plant),
        },
    )


@require_GET
@member_required
def vendor_accounts(request):
    return render(
        request,
        "console/vendor_accounts.html",
        {"accounts": selectors.vendor_account_health(organization=request.organization)},
    )
