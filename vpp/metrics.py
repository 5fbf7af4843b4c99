"""Prometheus metrics at /metrics, all derived from the database and the broker at scrape time.

Why not counters in process memory (or prometheus-client's multi-process mode): the work happens in
Celery workers on any number of machines, which serve no HTTP, and restart. The database already records
every vendor call (fleets.VendorCall, STYLE 14), every task and job and every webhook delivery, so the web
process answering the scrape reads the figures from there: one scrape target sees every worker on every
machine, and a worker restart loses nothing. Queue depths come from the Redis broker.

Vendor-call counters and latency histograms are folded in incrementally (only rows newer than the last
scrape are read; ids skipped by a still-open transaction are looked at again for GAP_RECHECK_S), so a
scrape stays cheap however long the call log grows. Each web process keeps its own running totals, all of
them equal to the database's, so it does not matter which process Prometheus reaches. The first scrape
after a start reads the whole log once.

Access: `Authorization: Bearer <METRICS_TOKEN>` or a client address in METRICS_ALLOWED_IPS (addresses or
networks). With neither set, /metrics is refused to everyone.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import threading
import time
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

log = logging.getLogger(__name__)

CALL_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_BUCKETS_S = (10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)
GAP_RECHECK_S = 600.0
MAX_GAPS = 10_000
QUEUES = ("default", "dispatch", "poll", "sync", "webhooks")


def call_outcome(*, http_status: int | None, vendor_code: str, rate_limit_codes: frozenset[str]) -> str:
    """ok | rate_limited (the vendor's "too often": a wasted call) | refused (a vendor code) |
    server_error (5xx) | http_error (other 4xx) | transport_error (no answer: timeout, connection)."""
    if http_status is None:
        return "transport_error"
    if http_status in (403, 407, 429) or vendor_code in rate_limit_codes:
        return "rate_limited"
    if http_status >= 500:
        return "server_error"
    if http_status >= 400:
        return "http_error"
    if vendor_code not in ("", "0"):
        return "refused"
    return "ok"


class _CallTotals:
    """Running totals over fleets.VendorCall, advanced by id at each scrape."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last_pk = 0
        self.gaps: dict[int, float] = {}  # id not seen yet -> when we first missed it
        self.calls: dict[tuple[str, str, str], int] = defaultdict(int)
        self.refusals: dict[tuple[str, str, str], int] = defaultdict(int)
        self.buckets: dict[tuple[str, str], list[int]] = {}
        self.sums: dict[tuple[str, str], float] = defaultdict(float)
        self.counts: dict[tuple[str, str], int] = defaultdict(int)

    def _add(self, row, codes) -> None:
        vendor, endpoint = row["vendor_account__vendor"], row["endpoint"]
        code = row["vendor_code"] or ""
        outcome = call_outcome(
            http_status=row["http_status"], vendor_code=code, rate_limit_codes=codes(vendor)
        )
        self.calls[(vendor, endpoint, outcome)] += 1
        if outcome in ("rate_limited", "refused"):
            self.refusals[(vendor, endpoint, code or str(row["http_status"]))] += 1
        seconds = (row["duration_ms"] or 0.0) / 1000.0
        counts = self.buckets.setdefault((vendor, endpoint), [0] * len(CALL_BUCKETS_S))
        for i, bound in enumerate(CALL_BUCKETS_S):
            if seconds <= bound:
                counts[i] += 1
        self.sums[(vendor, endpoint)] += seconds
        self.counts[(vendor, endpoint)] += 1

    def advance(self) -> None:
        from fleets.models import VendorCall
        from vendors.registry import rate_limit_codes

        fields = ("pk", "vendor_account__vendor", "endpoint", "http_status", "vendor_code", "duration_ms")
        now = time.monotonic()
        with self.lock:
            if self.gaps:  # ids a transaction held open last time, committed since?
                for row in VendorCall.objects.filter(pk__in=list(self.gaps)).values(*fields):
                    self._add(row, rate_limit_codes)
                    self.gaps.pop(row["pk"], None)
                self.gaps = {pk: t for pk, t in self.gaps.items() if now - t < GAP_RECHECK_S}
            previous = self.last_pk
            rows = VendorCall.objects.filter(pk__gt=self.last_pk).order_by("pk").values(*fields)
            for row in rows.iterator(chunk_size=5000):
                pk = row["pk"]
                if previous and pk > previous + 1 and len(self.gaps) < MAX_GAPS:
                    self.gaps.update(
                        {gap: now for gap in range(previous + 1, min(pk, previous + 1 + MAX_GAPS))}
                    )
                previous = pk
                self._add(row, rate_limit_codes)
            self.last_pk = previous


_totals = _CallTotals()


def _vendor_call_metrics():
    _totals.advance()
    calls = CounterMetricFamily(
        "vpp_vendor_calls", "Vendor HTTP calls by vendor, endpoint and outcome",
        labels=["vendor", "endpoint", "outcome"],
    )  # fmt: skip
    for (vendor, endpoint, outcome), n in sorted(_totals.calls.items()):
        calls.add_metric([vendor, endpoint, outcome], n)
    refusals = CounterMetricFamily(
        "vpp_vendor_refusals",
        "Vendor answers that refused a call (rate limits such as a 407, and other vendor codes)",
        labels=["vendor", "endpoint", "code"],
    )
    for (vendor, endpoint, code), n in sorted(_totals.refusals.items()):
        refusals.add_metric([vendor, endpoint, code], n)
    latency = HistogramMetricFamily(
        "vpp_vendor_call_duration_seconds", "Vendor HTTP call latency", labels=["vendor", "endpoint"]
    )
    for key, counts in sorted(_totals.buckets.items()):
        buckets = [(str(bound), counts[i]) for i, bound in enumerate(CALL_BUCKETS_S)]
        buckets.append(("+Inf", _totals.counts[key]))
        latency.add_metric(list(key), buckets, sum_value=_totals.sums[key])
    return [calls, refusals, latency]


def _dispatch_metrics(now):
    from dispatch.models import DispatchJob, DispatchTask, VendorRequest
    from fleets.models import Plant, VendorAccount

    tasks = GaugeMetricFamily("vpp_dispatch_tasks", "Dispatch tasks by state", labels=["state"])
    found = dict(DispatchTask.objects.order_by().values_list("state").annotate(n=Count("pk")))
    for state in DispatchTask.State.values:
        tasks.add_metric([state], found.get(state, 0))
    jobs = GaugeMetricFamily("vpp_dispatch_jobs", "Dispatch jobs by state", labels=["state"])
    found = dict(DispatchJob.objects.order_by().values_list("state").annotate(n=Count("pk")))
    for state in DispatchJob.State.values:
        jobs.add_metric([state], found.get(state, 0))

    # Job durations (started -> finished) of every finished job, by command and final state.
    finished = DispatchJob.objects.filter(finished_at__isnull=False, started_at__isnull=False).order_by()
    within = {
        f"le_{i}": Count("pk", filter=Q(finished_at__lte=F("started_at") + timedelta(seconds=bound)))
        for i, bound in enumerate(JOB_BUCKETS_S)
    }
    elapsed = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    durations = HistogramMetricFamily(
        "vpp_dispatch_job_duration_seconds", "Duration of finished dispatch jobs", labels=["command", "state"]
    )
    for row in finished.values("command_kind", "state").annotate(n=Count("pk"), total=Sum(elapsed), **within):
        buckets = [(str(b), row[f"le_{i}"]) for i, b in enumerate(JOB_BUCKETS_S)] + [("+Inf", row["n"])]
        total = row["total"].total_seconds() if row["total"] else 0.0
        durations.add_metric([row["command_kind"], row["state"]], buckets, sum_value=total)

    # Lane lag: how long the oldest due piece of work of each account has waited for its lane.
    accounts = dict(VendorAccount.objects.filter(enabled=True).values_list("pk", "vendor"))
    send_lag = GaugeMetricFamily(
        "vpp_dispatch_send_lag_seconds", "Age of the oldest due, unsent vendor request per account",
        labels=["vendor", "vendor_account"],
    )  # fmt: skip
    due_send = dict(
        VendorRequest.objects.filter(state=VendorRequest.State.PENDING)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .order_by()
        .values("vendor_account_id")
        .annotate(oldest=Min(Coalesce("not_before", "created_at")))
        .values_list("vendor_account_id", "oldest")
    )
    poll_lag = GaugeMetricFamily(
        "vpp_dispatch_poll_lag_seconds", "How late the most overdue poll of each account is",
        labels=["vendor", "vendor_account"],
    )  # fmt: skip
    due_poll = dict(
        VendorRequest.objects.filter(state=VendorRequest.State.SENT, next_poll_at__lte=now)
        .order_by()
        .values("vendor_account_id")
        .annotate(oldest=Min("next_poll_at"))
        .values_list("vendor_account_id", "oldest")
    )
    telemetry_age = GaugeMetricFamily(
        "vpp_telemetry_age_seconds", "Age of the stalest telemetry reading among an account's active plants",
        labels=["vendor", "vendor_account"],
    )  # fmt: skip
    never = GaugeMetricFamily(
        "vpp_plants_without_telemetry", "Active plants never read", labels=["vendor", "vendor_account"]
    )
    telemetry = {
        row["vendor_account_id"]: row
        for row in Plant.objects.filter(state=Plant.State.ACTIVE)
        .order_by()
        .values("vendor_account_id")
        .annotate(oldest=Min("telemetry_at"), unread=Count("pk", filter=Q(telemetry_at__isnull=True)))
    }
    for pk, vendor in sorted(accounts.items()):
        labels = [vendor, str(pk)]
        send_lag.add_metric(labels, max(0.0, (now - due_send[pk]).total_seconds()) if pk in due_send else 0.0)
        poll_lag.add_metric(labels, max(0.0, (now - due_poll[pk]).total_seconds()) if pk in due_poll else 0.0)
        row = telemetry.get(pk)
        if row is not None:
            if row["oldest"] is not None:
                telemetry_age.add_metric(labels, max(0.0, (now - row["oldest"]).total_seconds()))
            never.add_metric(labels, row["unread"])
    return [tasks, jobs, durations, send_lag, poll_lag, telemetry_age, never]


def _webhook_metrics():
    from webhooks.models import WebhookDelivery

    deliveries = GaugeMetricFamily("vpp_webhook_deliveries", "Webhook deliveries by state", labels=["state"])
    found = dict(WebhookDelivery.objects.order_by().values_list("state").annotate(n=Count("pk")))
    for state in WebhookDelivery.State.values:
        deliveries.add_metric([state], found.get(state, 0))
    return [deliveries]


def _queue_metrics():
    depth = GaugeMetricFamily(
        "vpp_celery_queue_length", "Messages waiting in each Celery queue", labels=["queue"]
    )
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return []  # the embedded filesystem broker: no cheap count to give
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        for queue in QUEUES:
            depth.add_metric([queue], client.llen(queue))
    except redis.RedisError as exc:
        log.warning("metrics: cannot read queue lengths: %s", exc)
        return []
    finally:
        client.close()
    return [depth]


class _Collector:
    def collect(self):
        now = timezone.now()
        yield from _vendor_call_metrics()
        yield from _dispatch_metrics(now)
        yield from _webhook_metrics()
        yield from _queue_metrics()


registry = CollectorRegistry(auto_describe=False)
registry.register(_Collector())


def _client_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_IPS:
        try:
            if address in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


def metrics_view(request):
    if not _client_allowed(request):
        response = HttpResponse("metrics: send Authorization: Bearer <METRICS_TOKEN>\n", status=401)
        response["Content-Type"] = "text/plain; charset=utf-8"
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
