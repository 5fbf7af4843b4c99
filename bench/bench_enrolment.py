"""Enrolling 1,000 Huawei plants, and then reading their telemetry, against the bounds the vendor limits set.

``.venv/bin/python -m bench.bench_enrolment`` (about a minute; uses a throw-away SQLite database and
``REDIS_URL`` for the shared limiter, default redis://127.0.0.1:6379/0, keys under a fresh prefix).
A simulator with 1,100 plants awaiting enrolment at speed 600 (a vendor minute is 0.1 s real).

Enrolment (fleets.enrolments.enrolment_process, as the Celery task runs it): 1,000 SNs in one snEnrolment
call (NBI V7 9.6.1.1), then the plant list, vpp/plants, plantRatedData and device pages for the new plants.
Every step depends on the one before, so the bound is the sum over interfaces of (calls - 1) x the
interface's window (1 minute for all but plantRatedData, 10 a minute), on the vendor's clock. Printed:
``elapsed/bound`` (goal: close to 1; what is above is our database work and round trips, a few seconds
for 1,000 plants and 3,000 devices: large against a 6 s bound at speed 600, hidden inside the minute-long
waits at real speed, where the bound is about an hour), calls per interface, and the 407 count (goal: 0).

Telemetry (fleets.telemetry.telemetry_sync_account every 0.5 s, as beat + a worker would) over 4 vendor
windows of 5 minutes at speed 60: the vendor allows ceil(plants / 100) realtime-KPI calls a window
(NBI V7 9.3.2). Printed: ``reads/bound`` (plant readings over plants x windows; goal: close to 1, never
above) and 407s.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
import uuid
from collections import Counter

WORK = tempfile.mkdtemp(prefix="bench-enrolment-")
os.environ.update(
    {
        "DATABASE_URL": f"sqlite:///{WORK}/bench.sqlite3",
        "VPP_VAR_DIR": WORK,
        "VENDOR_KEY_PREFIX": f"bench-enrol-{uuid.uuid4().hex[:8]}",
        "VENDOR_MAX_WAIT_S": "30",
    }
)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpp.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from fleets.enrolments import enrolment_process  # noqa: E402
from fleets.models import (  # noqa: E402
    Device,
    Enrolment,
    Organization,
    Plant,
    PlantTelemetry,
    VendorAccount,
    VendorCall,
)
from fleets.services import enrolment_create  # noqa: E402
from fleets.telemetry import telemetry_sync_account, telemetry_window  # noqa: E402
from vendors.huawei.simulator.control import HuaweiSimControl  # noqa: E402
from vendors.simkit.launcher import start_simulator, stop_simulator  # noqa: E402

PLANTS = 1000
ENROL_SPEED = 600.0
TELEMETRY_SPEED = 60.0
WINDOWS = 4
MINUTE_ENDPOINTS = {"snEnrolment", "plants", "vppPlants", "devices"}


def vendor_window_s(endpoint: str, speed: float) -> float:
    return (6.0 if endpoint == "plantRatedData" else 60.0) / speed


def main() -> None:
    call_command("migrate", "--noinput", verbosity=0)
    args = ("--plants", "0", "--accounts", "1", "--unenrolled", str(PLANTS + 100), "--seed", "5")
    proc, base_url = start_simulator("vendors.huawei.simulator", *args, "--speed", str(ENROL_SPEED))
    control = HuaweiSimControl(base_url)
    try:
        org = Organization.objects.create(name="Bench")
        username, password = control.accounts()[0]
        account = VendorAccount.objects.create(
            organization=org, vendor="huawei", name="bench", base_url=base_url, username=username,
            secret=password, clock_speed=ENROL_SPEED,
        )  # fmt: skip
        waiting = []
        while len(waiting) < PLANTS:
            waiting += control.plants(enrolled=False, limit=500, offset=len(waiting))
        items = [{"sn": p["enrolmentSns"][0], "email": p["owner"]["email"]} for p in waiting[:PLANTS]]
        enrolment = enrolment_create(organization=org, vendor_account=account, method="sn", items=items)

        started = time.monotonic()
        while (outcome := enrolment_process(enrolment_id=enrolment.pk)).retry_after_s is not None:
            time.sleep(outcome.retry_after_s)
        elapsed = time.monotonic() - started
        state = Enrolment.objects.get(pk=enrolment.pk).state
        calls = Counter(
            endpoint.rsplit("/", 1)[-1] if endpoint != "vpp/plants" else "vppPlants"
            for endpoint in VendorCall.objects.values_list("endpoint", flat=True)
        )
        bound = sum(max(n - 1, 0) * vendor_window_s(e, ENROL_SPEED) for e, n in calls.items() if e != "login")
        stats = control.stats()["totals"]
        print(f"enrolment of {PLANTS} plants by SN at speed {ENROL_SPEED:g}: {state}")
        print(f"  plants {Plant.objects.count()}, devices {Device.objects.count()}")
        print(f"  elapsed {elapsed:.2f} s, bound {bound:.2f} s, elapsed/bound {elapsed / bound:.2f}")
        print(f"  vendor calls: {dict(sorted(calls.items()))}")
        print(f"  407s: {stats['rate_limited']}")

        control.set_speed(TELEMETRY_SPEED)
        VendorAccount.objects.filter(pk=account.pk).update(clock_speed=TELEMETRY_SPEED)
        account.refresh_from_db()
        window = telemetry_window(account).total_seconds()
        before = control.stats()["totals"]["rate_limited"]
        started = time.monotonic()
        kpi_calls = 0
        while time.monotonic() - started < WINDOWS * window:
            kpi_calls += telemetry_sync_account(account_id=account.pk).calls
            time.sleep(0.5)
        reads = PlantTelemetry.objects.count()
        plants = Plant.objects.count()
        allowed = math.ceil(plants / 100) * WINDOWS
        print(
            f"telemetry of {plants} plants, {WINDOWS} windows of {window:.2f} s (speed {TELEMETRY_SPEED:g}):"
        )
        print(f"  readings {reads}, reads/bound {reads / (plants * WINDOWS):.2f}")
        print(f"  realtime-KPI calls {kpi_calls} (vendor allows {allowed}), 407s: "
              f"{control.stats()['totals']['rate_limited'] - before}")  # fmt: skip
    finally:
        control.close()
        stop_simulator(proc)


if __name__ == "__main__":
    main()
