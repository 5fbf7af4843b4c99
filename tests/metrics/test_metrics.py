"""/metrics: refused without the token or an allowed address; figures come from the database, so a scrape
of the web process sees what the Celery workers did."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dispatch.models import DispatchJob
from dispatch.services import dispatch_job_create
from fleets.models import VendorCall
from tests.dispatch.engine.conftest import wait_job_finished
from tests.dispatch.engine.world import add_huawei
from tests.factories import VendorAccountFactory
from tests.plugins.celery_worker import wait_for
from vendors.base import ChargeDischarge
from vpp.metrics import call_outcome

TOKEN = "metrics-test-token"


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def total(samples, name, **labels) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


@pytest.mark.django_db
def test_metrics_are_refused_without_the_token_or_an_allowed_address(client, settings, metrics_token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401  # no token: no bearer
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 401  # the test client is 127.0.0.1
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "127.0.0.1"]
    assert client.get("/metrics").status_code == 200


def test_vendor_answers_are_classified_by_outcome():
    codes = frozenset({"407"})
    assert call_outcome(http_status=200, vendor_code="0", rate_limit_codes=codes) == "ok"
    assert call_outcome(http_status=200, vendor_code="407", rate_limit_codes=codes) == "rate_limited"
    assert call_outcome(http_status=429, vendor_code="", rate_limit_codes=codes) == "rate_limited"
    assert call_outcome(http_status=200, vendor_code="20012", rate_limit_codes=codes) == "refused"
    assert call_outcome(http_status=502, vendor_code="", rate_limit_codes=codes) == "server_error"
    assert call_outcome(http_status=None, vendor_code="", rate_limit_codes=codes) == "transport_error"


@pytest.mark.django_db
def test_407s_and_refusals_and_latencies_are_counted_from_the_call_log(client, org, metrics_token):
    account = VendorAccountFactory(organization=org, vendor="huawei")
    before = scrape(client)
    for code, ms in [("407", 30.0), ("0", 300.0), ("0", 4000.0), ("20012", 20.0)]:
        VendorCall.objects.create(
            vendor_account=account, endpoint="vpp/dod", http_status=200, vendor_code=code, duration_ms=ms
        )

    after = scrape(client)

    def moved(name, **labels):
        return total(after, name, **labels) - total(before, name, **labels)

    assert moved("vpp_vendor_calls_total", vendor="huawei", endpoint="vpp/dod", outcome="rate_limited") == 1
    assert moved("vpp_vendor_calls_total", vendor="huawei", endpoint="vpp/dod", outcome="ok") == 2
    assert moved("vpp_vendor_refusals_total", vendor="huawei", endpoint="vpp/dod", code="407") == 1
    assert moved("vpp_vendor_refusals_total", vendor="huawei", endpoint="vpp/dod", code="20012") == 1
    latency = "vpp_vendor_call_duration_seconds_bucket"
    assert moved(latency, vendor="huawei", endpoint="vpp/dod", le="0.05") == 2
    assert moved(latency, vendor="huawei", endpoint="vpp/dod", le="0.5") == 3
    assert moved(latency, vendor="huawei", endpoint="vpp/dod", le="+Inf") == 4
    assert moved(
        "vpp_vendor_call_duration_seconds_sum", vendor="huawei", endpoint="vpp/dod"
    ) == pytest.approx(4.35)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_scrape_during_a_real_dispatch_sees_the_counters_move(
    client, start_engine, world, huawei_sim, metrics_token
):
    plants = add_huawei(world, huawei_sim, plants=8)
    start_engine(workers=1, concurrency=2)
    before = scrape(client)
    command_calls = {"name": "vpp_vendor_calls_total", "vendor": "huawei", "outcome": "ok"}
    assert total(before, "vpp_dispatch_tasks") == 0

    job, _ = dispatch_job_create(
        organization=world.organization,
        created_by=None,
        command_kind="charge_discharge",
        params={"action": "charge"},
        command=ChargeDischarge(action="charge", control="duration", duration_min=120),  # 12 s real
        plant_ids=[p.pk for p in plants],
    )

    def running_scrape():
        samples = scrape(client)
        vendor_has_them = total(samples, "vpp_dispatch_tasks", state="accepted") + total(
            samples, "vpp_dispatch_tasks", state="in_progress"
        )
        sent = total(samples, **{**command_calls, "endpoint": "chargeAndDischarge"}) - total(
            before, **{**command_calls, "endpoint": "chargeAndDischarge"}
        )
        return samples if vendor_has_them == 8 and sent >= 1 else None

    during = wait_for(running_scrape, timeout_s=60, interval_s=0.5, message="a scrape with the job running")
    job.refresh_from_db()
    assert job.state == DispatchJob.State.RUNNING  # the scrape above was taken during the dispatch
    assert total(during, "vpp_dispatch_jobs", state="running") == 1
    assert total(during, "vpp_celery_queue_length", queue="dispatch") >= 0
    assert (
        "vpp_dispatch_send_lag_seconds",
        (("vendor", "huawei"), ("vendor_account", str(world.accounts[0].pk))),
    ) in during

    wait_job_finished(job, timeout_s=120)
    after = scrape(client)
    assert total(after, "vpp_dispatch_tasks", state="completed") == 8
    assert total(after, "vpp_dispatch_jobs", state="completed") == 1
    assert total(after, "vpp_dispatch_job_duration_seconds_count", command="charge_discharge") == 1

    # Counters are running totals since this process started (earlier tests' calls included): compare moves.
    def moved(name, earlier=before, **labels):
        return total(after, name, **labels) - total(earlier, name, **labels)

    assert moved("vpp_vendor_calls_total", vendor="huawei", endpoint="login") >= 1
    assert moved("vpp_vendor_calls_total", during, vendor="huawei", endpoint="chargeAndDischargeStatus") >= 1
    calls_made = moved("vpp_vendor_calls_total", vendor="huawei")
    assert calls_made == VendorCall.objects.count()  # every call the worker made, none twice
    assert moved("vpp_vendor_call_duration_seconds_count", vendor="huawei") == calls_made


@pytest.mark.django_db
def test_the_grafana_dashboard_queries_only_metrics_we_export(client, metrics_token):
    import json
    import re
    from pathlib import Path

    dashboard = json.loads((Path(__file__).parents[2] / "ops" / "grafana-dashboard.json").read_text())
    queried = {
        re.sub(r"_(bucket|total|count|sum)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bvpp_[a-z_]+", target["expr"])
    }
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    exported = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert queried and queried <= exported, queried - exported


@pytest.mark.django_db
def test_job_durations_and_lane_lag_come_from_the_jobs_and_requests(client, org, metrics_token):
    from datetime import timedelta

    from django.utils import timezone

    from dispatch.models import VendorRequest

    account = VendorAccountFactory(organization=org, vendor="huawei")
    now = timezone.now()
    for seconds in (20, 90, 4000):
        DispatchJob.objects.create(
            organization=org, command_kind="dod", state="completed",
            started_at=now - timedelta(seconds=seconds), finished_at=now,
        )  # fmt: skip
    job = DispatchJob.objects.create(organization=org, command_kind="dod", state="running", started_at=now)
    VendorRequest.objects.create(
        job=job, vendor_account=account, request_id="1", not_before=now - timedelta(seconds=300)
    )

    samples = scrape(client)

    bucket = "vpp_dispatch_job_duration_seconds_bucket"
    assert total(samples, bucket, command="dod", le="30") == 1
    assert total(samples, bucket, command="dod", le="120") == 2
    assert total(samples, bucket, command="dod", le="+Inf") == 3
    assert total(samples, "vpp_dispatch_job_duration_seconds_sum", command="dod") == pytest.approx(
        4110, abs=1
    )
    lag = total(samples, "vpp_dispatch_send_lag_seconds", vendor_account=str(account.pk))
    assert 300 <= lag < 400
    assert total(samples, "vpp_dispatch_poll_lag_seconds", vendor_account=str(account.pk)) == 0
