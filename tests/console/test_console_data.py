"""What the console's pages and JSON endpoint say, checked against data built with the factories."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dispatch.models import DispatchJob, DispatchTask
from dispatch.services import dispatch_job_create
from fleets.models import PlantTelemetry, VendorCall
from tests.console.conftest import session_for
from tests.factories import PlantFactory, VendorAccountFactory
from vendors.base import ChargeDischarge

pytestmark = pytest.mark.django_db
T = DispatchTask.State


def _charge(org, fleet, user=None) -> DispatchJob:
    job, _ = dispatch_job_create(
        organization=org,
        created_by=user,
        command_kind="charge_discharge",
        params={"action": "charge", "control": "duration", "duration_min": 60},
        command=ChargeDischarge(action="charge", control="duration", duration_min=60),
        fleet=fleet,
    )
    return job


def _overview(client) -> dict:
    return client.get("/console/").context["chart_data"]


def test_the_overview_counts_plants_by_vendor_and_state_and_bins_their_soc(acme, org, alice):
    PlantFactory(vendor_account=acme["huawei"], state="disabled", soc_pct=50)
    PlantFactory(vendor_account=acme["growatt"], soc_pct=None)
    PlantFactory(vendor_account=acme["growatt"], soc_pct=100)  # 100 % is the top bin, not an 11th
    PlantFactory(vendor_account=VendorAccountFactory(), soc_pct=5)  # another organisation's
    data = _overview(session_for(alice))["overview"]
    rows = {row["vendor"]: dict(zip(data["states"], row["counts"], strict=True)) for row in data["rows"]}
    assert rows == {
        "huawei": {"active": 3, "disabled": 1, "removed": 0},
        "growatt": {"active": 3, "disabled": 0, "removed": 0},
    }
    # Active plants' SOC: 15, 35, 55 (Huawei), 95 and 100 (Growatt); the disabled and unknown ones are out.
    assert [b["count"] for b in data["soc_bins"]] == [0, 1, 0, 1, 0, 1, 0, 0, 0, 2]
    assert data["active"] == 6 and data["soc_known"] == 5


def test_fleet_power_and_energy_are_summed_over_the_plants_per_15_minutes(acme, org, alice):
    plants = acme["plants"]  # usable 9.5 kWh each (factory)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    rows = []
    for plant in plants[:2]:  # two plants read three times in the first quarter hour
        for minute in (0, 5, 10):
            rows.append(
                PlantTelemetry(
                    plant=plant,
                    measured_at=start + timedelta(minutes=minute),
                    soc_pct=50,
                    battery_power_w=2000,
                )
            )
    # One plant in the next quarter, discharging at 1 kW with SOC 20 %.
    rows.append(
        PlantTelemetry(
            plant=plants[2], measured_at=start + timedelta(minutes=20), soc_pct=20, battery_power_w=-1000
        )
    )
    old = PlantTelemetry(
        plant=plants[3], measured_at=start - timedelta(hours=30), soc_pct=90, battery_power_w=1
    )
    PlantTelemetry.objects.bulk_create([*rows, old])
    power = _overview(session_for(alice))["power"]
    assert power == [
        {"t": start.isoformat(), "power_kw": 4.0, "energy_kwh": 9.5, "plants": 2},
        {"t": (start + timedelta(minutes=15)).isoformat(), "power_kw": -1.0, "energy_kwh": 1.9, "plants": 1},
    ]


def test_the_progress_endpoint_tells_counts_vendors_failures_and_eta(acme, org, alice):
    job = _charge(org, acme["fleet"], alice)
    tasks = {t.plant_id: t for t in DispatchTask.objects.filter(job=job)}
    huawei = acme["plants"][:3]
    growatt = acme["plants"][3]
    now = timezone.now()
    sent = now - timedelta(minutes=10)
    DispatchTask.objects.filter(pk=tasks[huawei[0].pk].pk).update(
        state=T.COMPLETED, sent_at=sent, finished_at=now - timedelta(minutes=5)
    )
    DispatchTask.objects.filter(pk=tasks[huawei[1].pk].pk).update(
        state=T.IN_PROGRESS, sent_at=sent, expected_done_at=now + timedelta(minutes=50)
    )
    DispatchTask.objects.filter(pk=tasks[growatt.pk].pk).update(
        state=T.REJECTED,
        sent_at=sent,
        finished_at=now - timedelta(minutes=9),
        vendor_code="10005",
        vendor_message="Collector dropped",
    )
    DispatchJob.objects.filter(pk=job.pk).update(
        created_at=now - timedelta(minutes=11), started_at=now - timedelta(minutes=11)
    )
    client = session_for(alice)
    with time_machine.travel(now, tick=False):
        p = client.get(f"/console/dispatches/{job.pk}/progress.json").json()
    assert p["state"] == "running" and p["is_open"] is True
    assert (p["total"], p["terminal"], p["progress_pct"]) == (4, 2, 50.0)
    assert p["counts"]["completed"] == 1 and p["counts"]["in_progress"] == 1 and p["counts"]["pending"] == 1
    assert p["per_vendor"] == {
        "huawei": {"total": 3, "terminal": 1, "counts": {"completed": 1, "in_progress": 1, "pending": 1}},
        "growatt": {"total": 1, "terminal": 1, "counts": {"rejected": 1}},
    }
    assert p["failures"] == [
        {
            "plant_id": growatt.pk,
            "plant": growatt.name,
            "vendor": "growatt",
            "state": "rejected",
            "vendor_code": "10005",
            "reason": "Collector dropped",
            "finished_at": (now - timedelta(minutes=9)).isoformat(),
        }
    ]
    # The duration task's own end is the best estimate of when the job ends.
    assert p["eta"] == (now + timedelta(minutes=50)).isoformat()
    first, last = p["timeline"][0], p["timeline"][-1]
    assert first == {"t": first["t"], "waiting": 4, "with_vendor": 0, "completed": 0, "ended_otherwise": 0}
    assert last == {
        "t": now.isoformat(),
        "waiting": 1,
        "with_vendor": 1,
        "completed": 1,
        "ended_otherwise": 1,
    }


def test_without_expected_ends_the_eta_extrapolates_the_pace_so_far(acme, org, alice):
    job = _charge(org, acme["fleet"], alice)
    now = timezone.now()
    DispatchJob.objects.filter(pk=job.pk).update(started_at=now - timedelta(minutes=10))
    done = DispatchTask.objects.filter(job=job).order_by("pk")[:2].values_list("pk", flat=True)
    DispatchTask.objects.filter(pk__in=list(done)).update(state=T.COMPLETED, finished_at=now)
    with time_machine.travel(now, tick=False):
        p = session_for(alice).get(f"/console/dispatches/{job.pk}/progress.json").json()
    assert p["eta"] == (now + timedelta(minutes=10)).isoformat()  # 2 of 4 in 10 minutes: 2 more, 10 more


def test_vendor_accounts_show_calls_407s_refusals_latency_and_rate_limit_use(acme, org, alice):
    account = acme["huawei"]
    now = timezone.now()
    calls = [
        VendorCall(vendor_account=account, endpoint="chargeAndDischarge", http_status=200, vendor_code="0",
                   duration_ms=float(ms))
        for ms in range(10, 110, 10)
    ]  # fmt: skip
    calls.append(
        VendorCall(vendor_account=account, endpoint="chargeAndDischarge", http_status=200, vendor_code="407",
                   duration_ms=5.0, response_excerpt='{"failCode": 407}')
    )  # fmt: skip
    calls.append(
        VendorCall(
            vendor_account=account, endpoint="dod", http_status=200, vendor_code="20039", duration_ms=7.0
        )
    )
    calls.append(
        VendorCall(
            vendor_account=account, endpoint="login", http_status=None, error="timed out", duration_ms=3000.0
        )
    )
    VendorCall.objects.bulk_create(calls)
    old = VendorCall.objects.create(vendor_account=account, endpoint="login", http_status=200, duration_ms=1)
    VendorCall.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=2))  # out of the window
    page = session_for(alice).get("/console/vendor-accounts/")
    row = next(r for r in page.context["accounts"] if r["account"] == account)
    assert (row["calls"], row["limited"], row["refused"], row["errors"]) == (13, 1, 1, 1)
    # 5, 7, 10, 20, ..., 100 and 3000 ms: the median is the 7th of 13; the 3 s timeout is the slowest.
    assert row["p50_ms"] == 50.0 and row["p99_ms"] > 2000
    assert row["last_error"]["error"] == "timed out"
    assert row["last_login"] == VendorCall.objects.get(endpoint="login", error="timed out").created_at
    use = {(u["endpoint"], u["rule"]): u for u in row["rate_use"]}
    # NBI V7 9.3.4: once a minute; 11 calls in the last minute of a real-time account.
    assert use[("chargeAndDischarge", "1 per minute")]["used"] == 11
    assert use[("chargeAndDischarge", "1 per minute")]["headroom"] == 0
    assert use[("login", "5 per 10 minutes")]["used"] == 1
    growatt = next(r for r in page.context["accounts"] if r["account"] == acme["growatt"])
    assert growatt["calls"] == 0 and growatt["p50_ms"] is None


def test_vendor_accounts_show_the_health_the_adapters_recorded(acme, org, alice):
    from fleets.adapters import account_key, shared_state_store
    from vendors import health

    health.health_refused(shared_state_store(), account_key(acme["huawei"]), "login refused (empty body)")
    page = session_for(alice).get("/console/vendor-accounts/")
    row = next(r for r in page.context["accounts"] if r["account"] == acme["huawei"])
    assert row["health"]["status"] == "credentials_refused"
    assert (
        "credentials_refused" in page.content.decode()
        and "login refused (empty body)" in page.content.decode()
    )
    growatt = next(r for r in page.context["accounts"] if r["account"] == acme["growatt"])
    assert growatt["health"]["status"] == "ok"
