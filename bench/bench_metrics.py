"""What a /metrics scrape costs as the call log grows: the first scrape after a start reads the whole log,
later ones only the calls since the previous scrape.

``.venv/bin/python -m bench.bench_metrics`` (under a minute; a throw-away SQLite database). 200,000 vendor
calls and 2,000 tasks, then 1,000 more calls between two scrapes. Printed: each scrape's time and
``incremental/first`` (goal: far below 1, so a scrape every 15 s stays cheap however long the log is).
"""

from __future__ import annotations

import os
import tempfile
import time

WORK = tempfile.mkdtemp(prefix="bench-metrics-")
os.environ.update(
    {"DATABASE_URL": f"sqlite:///{WORK}/bench.sqlite3", "VPP_VAR_DIR": WORK, "METRICS_TOKEN": "bench"}
)
os.environ.pop("REDIS_URL", None)
os.environ.pop("CELERY_BROKER_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpp.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from dispatch.models import DispatchJob, DispatchTask  # noqa: E402
from fleets.models import Organization, Plant, VendorAccount, VendorCall  # noqa: E402

CALLS = 200_000
MORE = 1_000
ENDPOINTS = ["login", "chargeAndDischarge", "chargeAndDischargeStatus", "getStationRealKpi"]


def calls(account, n, start):
    return [
        VendorCall(
            vendor_account=account,
            endpoint=ENDPOINTS[i % len(ENDPOINTS)],
            http_status=200,
            vendor_code="407" if i % 500 == 0 else "0",
            duration_ms=float(20 + (i * 37) % 3000),
        )
        for i in range(start, start + n)
    ]


def scrape(client) -> float:
    started = time.perf_counter()
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer bench")
    assert response.status_code == 200
    return time.perf_counter() - started


def main() -> None:
    call_command("migrate", verbosity=0)
    org = Organization.objects.create(name="bench")
    account = VendorAccount.objects.create(
        organization=org, vendor="huawei", name="a", base_url="https://x", username="u", secret="s"
    )
    plants = Plant.objects.bulk_create(
        Plant(organization=org, vendor_account=account, plant_code=f"NE={i}", name=f"p{i}")
        for i in range(2000)
    )
    job = DispatchJob.objects.create(organization=org, command_kind="dod", task_count=len(plants))
    DispatchTask.objects.bulk_create(
        DispatchTask(job=job, plant=p, vendor_account=account, state="completed") for p in plants
    )
    for start in range(0, CALLS, 20_000):
        VendorCall.objects.bulk_create(calls(account, 20_000, start))
    client = Client()
    first = scrape(client)
    VendorCall.objects.bulk_create(calls(account, MORE, CALLS))
    incremental = scrape(client)
    print(f"calls in the log: {CALLS + MORE:,}")
    print(f"first scrape (whole log): {first * 1000:.0f} ms")
    print(f"next scrape ({MORE:,} new calls): {incremental * 1000:.0f} ms")
    print(f"incremental/first: {incremental / first:.3f}")


if __name__ == "__main__":
    main()
