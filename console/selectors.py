"""What the console's pages show, read from the database (Django-Styleguide selectors).

Every function takes the viewer's organisation (or an object already fetched within it) and answers with
plain dicts and lists, ready for a template or a JSON endpoint. Each page costs a few aggregate queries
whatever the fleet's size: no per-plant or per-task loop in Python over the whole fleet.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from django.db.models import Avg, Count, F, Max, Q
from django.db.models.functions import Coalesce, Floor, TruncHour
from django.db.models.functions.datetime import ExtractMinute
from django.utils import timezone

from dispatch.commands import POWER_TARGET
from dispatch.models import DispatchJob, DispatchTask
from dispatch.powertargets.delivery import power_target_delivery
from dispatch.powertargets.models import PowerTarget
from dispatch.selectors import dispatch_job_summary
from fleets import selectors as fleets_selectors
from fleets.models import Organization, Plant, PlantTelemetry, VendorAccount, VendorCall
from vendors import registry

T = DispatchTask.State
FAILED_STATES = (T.FAILED, T.TIMED_OUT, T.REJECTED, T.UNSUPPORTED)
SOC_BINS = 10  # 0-10 %, ..., 90-100 %
BUCKET_MIN = 15  # telemetry is read every 5 vendor minutes at most (NBI V7 9.3.2): 15 min smooths it
TIMELINE_POINTS = 40
MAX_FAILURES_LISTED = 100
MAX_LATENCY_SAMPLE = 10_000

# The documented limits per vendor (vendors.registry: each spec's limits at the formulas' floor) and what
# they count (its `limits_scope`): every call of an endpoint per account, or only a repeat of an identical
# request, whose "use" is not a share of an account-wide budget.
VENDOR_LIMITS = {spec.name: (spec.limits(), spec.limits_scope) for spec in registry.specs()}
# Over a limit: failCode 407 in an HTTP 200 body (NBI V7 1.3 "Traffic Limiting Policy");
# an HTTP 407 or 429 from a proxy or gateway counts the same.
LIMITED = Q(vendor_code="407") | Q(http_status__in=(407, 429))
# The vendor answered and refused (any other non-zero code): a rejected plant, a bad parameter, ...
REFUSED = ~Q(vendor_code__in=("", "0")) & ~LIMITED & Q(error="")


# --- fleet overview ---------------------------------------------------------------------------------------


def fleet_overview(*, organization: Organization) -> dict:
    """Plants by vendor and state, the SOC distribution of active plants, and totals."""
    plants = Plant.objects.filter(organization=organization)
    by_vendor_state: dict[str, dict[str, int]] = {}
    for row in plants.values("vendor_account__vendor", "state").annotate(n=Count("pk")).order_by():
        by_vendor_state.setdefault(row["vendor_account__vendor"], {})[row["state"]] = row["n"]
    bins = [0] * SOC_BINS
    soc_rows = (
        plants.filter(state=Plant.State.ACTIVE, soc_pct__isnull=False)
        .annotate(bin=Floor(F("soc_pct") / (100 / SOC_BINS)))
        .values("bin")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in soc_rows:
        bins[min(SOC_BINS - 1, max(0, int(row["bin"])))] += row["n"]
    active = plants.filter(state=Plant.State.ACTIVE)
    totals = active.aggregate(count=Count("pk"), soc_known=Count("pk", filter=Q(soc_pct__isnull=False)))
    latest = PlantTelemetry.objects.filter(plant__organization=organization).aggregate(at=Max("measured_at"))
    states = [s.value for s in Plant.State]
    return {
        "vendors": sorted(by_vendor_state),
        "states": states,
        "rows": [
            {"vendor": v, "counts": [by_vendor_state[v].get(s, 0) for s in states]}
            for v in sorted(by_vendor_state)
        ],
        "soc_bins": [{"label": f"{i * 10}-{i * 10 + 10} %", "count": n} for i, n in enumerate(bins)],
        "active": totals["count"],
        "soc_known": totals["soc_known"],
        "telemetry_latest": latest["at"],
    }


def _capacity_kwh():
    return Coalesce(F("plant__battery_usable_kwh"), F("plant__battery_rated_kwh"))


def fleet_power_series(*, organization: Organization, hours: int = 24, now: datetime | None = None) -> list:
    """Fleet battery power (kW, > 0 charging) and energy available (kWh) per 15 minutes over `hours`.

    Per interval: the mean of the plants' readings times the number of plants that reported, so a plant
    read three times counts once. Energy available is SOC x usable (else rated) capacity.
    """
    now = now or timezone.now()
    rows = (
        PlantTelemetry.objects.filter(
            plant__organization=organization, measured_at__gt=now - timedelta(hours=hours)
        )
        .annotate(hour=TruncHour("measured_at"), quarter=Floor(ExtractMinute("measured_at") / BUCKET_MIN))
        .values("hour", "quarter")
        .annotate(
            power_w=Avg("battery_power_w"),
            energy_kwh=Avg(F("soc_pct") * _capacity_kwh() / 100.0),
            plants=Count("plant", distinct=True),
        )
        .order_by("hour", "quarter")
    )
    out = []
    for row in rows:
        at = row["hour"] + timedelta(minutes=int(row["quarter"]) * BUCKET_MIN)
        n = row["plants"]
        out.append(
            {
                "t": at.isoformat(),
                "power_kw": round(row["power_w"] * n / 1000.0, 3) if row["power_w"] is not None else None,
                "energy_kwh": round(row["energy_kwh"] * n, 3) if row["energy_kwh"] is not None else None,
                "plants": n,
            }
        )
    return out


# --- a dispatch job, live ---------------------------------------------------------------------------------


def _timeline(job: DispatchJob, now: datetime) -> list[dict]:
    """Task states over time, rebuilt from each task's sent_at and finished_at (one aggregate query):
    waiting (not sent yet), with the vendor (sent, not finished), completed, and ended otherwise."""
    start = job.created_at
    end = job.finished_at or now
    span = max((end - start).total_seconds(), 1.0)
    times = [start + timedelta(seconds=span * i / (TIMELINE_POINTS - 1)) for i in range(TIMELINE_POINTS)]
    aggregates = {}
    for i, t in enumerate(times):
        aggregates[f"sent{i}"] = Count("pk", filter=Q(sent_at__lte=t) | Q(finished_at__lte=t))
        aggregates[f"done{i}"] = Count("pk", filter=Q(finished_at__lte=t, state=T.COMPLETED))
        aggregates[f"ended{i}"] = Count("pk", filter=Q(finished_at__lte=t) & ~Q(state=T.COMPLETED))
    row = DispatchTask.objects.filter(job=job).aggregate(total=Count("pk"), **aggregates)
    total = row["total"]
    points = []
    for i, t in enumerate(times):
        done, ended = row[f"done{i}"], row[f"ended{i}"]
        points.append(
            {
                "t": t.isoformat(),
                "waiting": total - row[f"sent{i}"],
                "with_vendor": row[f"sent{i}"] - done - ended,
                "completed": done,
                "ended_otherwise": ended,
            }
        )
    return points


def _eta(job: DispatchJob, summary: dict, now: datetime) -> datetime | None:
    """When the job should end: the latest expected end of its open tasks (a duration command's end), else
    the pace so far extrapolated to the tasks still open."""
    if not job.is_open:
        return None
    total = summary["total"]
    open_count = sum(summary["counts"][s] for s in DispatchTask.OPEN_STATES)
    if total == 0 or open_count == 0:
        return None
    expected = (
        DispatchTask.objects.filter(job=job, state__in=DispatchTask.OPEN_STATES)
        .aggregate(latest=Max("expected_done_at"))
        .get("latest")
    )
    if expected is not None and expected > now:
        return expected
    done = total - open_count
    started = job.started_at or job.created_at
    if done == 0 or now <= started:
        return None
    return now + (now - started) * (open_count / done)


def dispatch_progress(*, job: DispatchJob, now: datetime | None = None) -> dict:
    """Everything the live dispatch page shows, as JSON (the page polls it while the job runs)."""
    now = now or timezone.now()
    summary = dispatch_job_summary(job=job)
    total = summary["total"]
    terminal = sum(summary["counts"][s] for s in DispatchTask.TERMINAL_STATES)
    per_vendor: dict[str, dict] = {}
    rows = (
        DispatchTask.objects.filter(job=job)
        .values("vendor_account__vendor", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        entry = per_vendor.setdefault(
            row["vendor_account__vendor"], {"total": 0, "terminal": 0, "counts": {}}
        )
        entry["total"] += row["n"]
        entry["counts"][row["state"]] = row["n"]
        if row["state"] in DispatchTask.TERMINAL_STATES:
            entry["terminal"] += row["n"]
    failures = [
        {
            "plant_id": t["plant_id"],
            "plant": t["plant__name"] or t["plant__plant_code"],
            "vendor": t["vendor_account__vendor"],
            "state": t["state"],
            "vendor_code": t["vendor_code"],
            "reason": t["vendor_message"],
            "finished_at": t["finished_at"].isoformat() if t["finished_at"] else None,
        }
        for t in DispatchTask.objects.filter(job=job, state__in=FAILED_STATES)
        .order_by("finished_at", "pk")
        .values(
            "plant_id",
            "plant__name",
            "plant__plant_code",
            "vendor_account__vendor",
            "state",
            "vendor_code",
            "vendor_message",
            "finished_at",
        )[:MAX_FAILURES_LISTED]
    ]
    eta = _eta(job, summary, now)
    target = PowerTarget.objects.filter(job=job).first()
    return {
        "id": job.pk,
        "state": job.state,
        "is_open": job.is_open,
        "command": POWER_TARGET if target is not None else job.command_kind,
        "params": job.params,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "now": now.isoformat(),
        "total": total,
        "terminal": terminal,
        "progress_pct": round(100.0 * terminal / total, 1) if total else 100.0,
        "counts": summary["counts"],
        "charged_kwh": summary["charged_kwh"],
        "discharged_kwh": summary["discharged_kwh"],
        "eta": eta.isoformat() if eta else None,
        "per_vendor": per_vendor,
        "failures": failures,
        "failure_count": sum(summary["counts"][s] for s in FAILED_STATES),
        "timeline": _timeline(job, now),
        # A power target: target, planned, measured and baseline kW per 5-minute interval and the
        # delivery summary, as GET /api/v1/dispatches/{id}/delivery answers them (the same function).
        "delivery": power_target_delivery(target=target, now=now) if target is not None else None,
    }


def power_target_jobs(*, job_ids: list[int]) -> set[int]:
    """Which of these jobs are power targets (a charge/discharge job with a PowerTarget beside it)."""
    return set(PowerTarget.objects.filter(job_id__in=job_ids).values_list("job_id", flat=True))


# --- plants -----------------------------------------------------------------------------------------------


def plant_telemetry_series(*, plant: Plant, hours: int = 24, now: datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    rows = PlantTelemetry.objects.filter(plant=plant, measured_at__gt=now - timedelta(hours=hours)).order_by(
        "measured_at"
    )
    return [
        {
            "t": r.measured_at.isoformat(),
            "soc_pct": r.soc_pct,
            "battery_kw": r.battery_power_w / 1000.0 if r.battery_power_w is not None else None,
            "pv_kw": r.pv_power_w / 1000.0 if r.pv_power_w is not None else None,
            "load_kw": r.load_power_w / 1000.0 if r.load_power_w is not None else None,
        }
        for r in rows
    ]


def plant_dispatch_history(*, plant: Plant, limit: int = 50):
    return (
        DispatchTask.objects.filter(plant=plant)
        .select_related("job", "job__created_by")
        .order_by("-job__created_at", "-pk")[:limit]
    )


# --- vendor accounts --------------------------------------------------------------------------------------


def _percentile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _rate_use(account: VendorAccount, now: datetime) -> list[dict]:
    """Per endpoint the account called: each documented rule, the calls in its current window and the
    headroom left. Windows are vendor time, so a simulator's clock speed shortens them (rules.py)."""
    limits, scope = VENDOR_LIMITS.get(account.vendor, ({}, "account"))
    overrides = account.rate_limit_overrides or {}
    called = (
        VendorCall.objects.filter(vendor_account=account, created_at__gt=now - timedelta(days=1))
        .values_list("endpoint", flat=True)
        .distinct()
    )
    out = []
    for endpoint in sorted(set(called)):
        rules = overrides.get(endpoint) or [(r.limit, r.window_s) for r in limits.get(endpoint, ())]
        for limit, window_s in rules:
            real_window_s = float(window_s) / (account.clock_speed or 1.0)
            used = VendorCall.objects.filter(
                vendor_account=account,
                endpoint=endpoint,
                created_at__gt=now - timedelta(seconds=real_window_s),
            ).count()
            out.append(
                {
                    "endpoint": endpoint,
                    "rule": f"{limit} per {_window_text(float(window_s))}",
                    "scope": scope,
                    "used": used,
                    "limit": int(limit),
                    "headroom": max(0, int(limit) - used) if scope == "account" else None,
                    "use_pct": round(100.0 * used / int(limit), 1) if scope == "account" else None,
                }
            )
    return out


def _window_text(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return unit if n == 1 else f"{n} {unit}s"
    return f"{seconds:g} s"


def vendor_account_health(*, organization: Organization, hours: int = 24, now: datetime | None = None):
    """Per vendor account, what its VendorCall rows of the last `hours` tell: calls, 407s (over the
    vendor's limit), refusals (another vendor error code), transport errors, latency percentiles,
    the last error, and how much of each documented rate limit is in use now."""
    now = now or timezone.now()
    since = now - timedelta(hours=hours)
    accounts = VendorAccount.objects.filter(organization=organization).order_by("name", "pk")
    stats = {
        row["vendor_account"]: row
        for row in VendorCall.objects.filter(vendor_account__in=accounts, created_at__gt=since)
        .values("vendor_account")
        .annotate(
            calls=Count("pk"),
            limited=Count("pk", filter=LIMITED),
            refused=Count("pk", filter=REFUSED),
            errors=Count("pk", filter=~Q(error="")),
            last_call=Max("created_at"),
            # The session: when the account last logged in (NBI V7 9.1.1; a token-only vendor never does).
            last_login=Max("created_at", filter=Q(endpoint="login")),
        )
        .order_by()
    }
    out = []
    for account in accounts:
        row = stats.get(account.pk, {})
        durations = sorted(
            VendorCall.objects.filter(vendor_account=account, created_at__gt=since)
            .order_by("-created_at")
            .values_list("duration_ms", flat=True)[:MAX_LATENCY_SAMPLE]
        )
        last_error = (
            VendorCall.objects.filter(vendor_account=account)
            .filter(~Q(error="") | LIMITED | REFUSED)
            .order_by("-created_at", "-pk")
            .values("created_at", "endpoint", "http_status", "vendor_code", "error", "response_excerpt")
            .first()
        )
        out.append(
            {
                "account": account,
                "calls": row.get("calls", 0),
                "limited": row.get("limited", 0),
                "refused": row.get("refused", 0),
                "errors": row.get("errors", 0),
                "last_call": row.get("last_call"),
                "last_login": row.get("last_login"),
                "p50_ms": _percentile(durations, 50),
                "p95_ms": _percentile(durations, 95),
                "p99_ms": _percentile(durations, 99),
                "last_error": last_error,
                "rate_use": _rate_use(account, now),
                # What the adapters learned (vendors.health): refused, locked, rate limited, budget left.
                "health": fleets_selectors.vendor_account_health(account=account).to_json(),
            }
        )
    return out
