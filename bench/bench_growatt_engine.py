"""A Growatt charge job through the dispatch engine: one request at a time per account, or several at once.

``.venv/bin/python -m bench.bench_growatt_engine`` (about two minutes). Real PostgreSQL (its own database,
``vpp_bench_growatt_engine``, dropped and created; ``BENCH_PG_URL``), real Redis (``BENCH_REDIS_URL``,
default database 13), a real Celery worker and beat, and the Growatt simulator over HTTP at speed 600, with
``LATENCY_MS`` added to every storageSet and storage_last_data answer: loopback answers in a millisecond,
the real cloud in a few hundred, and it is the round trips that a busy account's lane waits on.

Growatt documents no per-account limit (GROWATT_LIMITS: one IDENTICAL request per 5 minutes) and takes one
plant a request, so a lane that sends one request at a time spends PLANTS x (calls per plant) round trips.
The same job is run with ``DISPATCH_SEND_THREADS=1`` and with the default (8). Printed, from this run:

- commit -> every task accepted, for each, and ``threaded/serial`` (below 1: faster);
- ``threaded/bound``: the threaded time over the round trips alone spread over the threads
  (plants x calls x latency / threads), what the engine's own work and the one worker's CPU add;
- refusals by the simulator (goal 0) and whether each plant's every setting was logged exactly once.
"""

from __future__ import annotations

import collections
import os
import tempfile
import time
from pathlib import Path

DB_NAME = "vpp_bench_growatt_engine"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
PLANTS = 240
SPEED = 600.0
LATENCY_MS = 150
THREADS = 8

from bench.harness import Engine, setup_django, wait  # noqa: E402

setup_django(DB_NAME, REDIS_URL)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from dispatch.models import DispatchJob, DispatchTask  # noqa: E402
from dispatch.services import dispatch_job_create  # noqa: E402
from fleets.models import Device, Organization, Plant, Vendor, VendorAccount  # noqa: E402
from vendors.base import ChargeDischarge  # noqa: E402
from vendors.growatt.simulator.control import GrowattSimControl  # noqa: E402
from vendors.simkit.launcher import start_simulator, stop_simulator  # noqa: E402
from vpp.celery import app  # noqa: E402

T = DispatchTask.State
CALLS_PER_PLANT = 4  # storage_last_data (the plan's reading), then three storageSet (commands.charge_steps)


def build_world(control: GrowattSimControl, base_url: str, tag: str) -> tuple[Organization, list[int]]:
    org = Organization.objects.create(name=f"bench {tag}")
    [token] = control.tokens().values()
    account = VendorAccount.objects.create(
        organization=org, vendor=Vendor.GROWATT, name=f"{tag} growatt", base_url=base_url, secret=token,
        clock_speed=SPEED,
    )  # fmt: skip
    records = control.plants(enrolled=True, limit=PLANTS)
    plants = Plant.objects.bulk_create(
        Plant(
            organization=org,
            vendor_account=account,
            plant_code=str(r["plant_id"]),
            timezone=r["timezone"],
            battery_rated_kwh=r["units"][0]["capacity_wh"] / 1000.0,
            enrolment_method=Plant.EnrolmentMethod.SN,
        )  # fmt: skip
        for r in records
    )
    Device.objects.bulk_create(
        Device(plant=plant, dn=sn, sn=sn, device_type=kind)
        for plant, r in zip(plants, records, strict=True)
        for u in r["units"]
        for sn, kind in ((u["inverter_sn"], "inverter"), (u.get("storage_sn"), "battery"))
        if sn
    )
    return org, [p.pk for p in plants]


def run_job(control: GrowattSimControl, base_url: str, tag: str) -> dict:
    control.reset()
    control.set_faults(latency_ms=LATENCY_MS, paths=["storageSet", "storage_last_data"])
    org, plant_ids = build_world(control, base_url, tag)
    job, _ = dispatch_job_create(
        organization=org,
        created_by=None,
        command_kind="charge_discharge",
        params={"action": "charge", "control": "duration", "duration_min": 60},
        command=ChargeDischarge(action="charge", control="duration", duration_min=60),
        plant_ids=plant_ids,
    )
    committed = time.monotonic()
    wait(
        lambda: not DispatchTask.objects.filter(job=job, state__in=(T.PENDING, T.SENDING)).exists(), 900, 0.05
    )
    accepted_s = time.monotonic() - committed
    states = collections.Counter(DispatchTask.objects.filter(job=job).values_list("state", flat=True))
    settings = collections.Counter(
        (tuple(e["targets"]), repr(sorted(e["params"].items()))) for e in control.commands()
    )
    totals = control.stats()["totals"]
    DispatchJob.objects.filter(pk=job.pk).update(state=DispatchJob.State.CANCELLED)  # nothing to wait for
    return {
        "accepted_s": accepted_s,
        "accepted": states.get(T.ACCEPTED, 0) + states.get(T.IN_PROGRESS, 0) + states.get(T.COMPLETED, 0),
        # Three settings per plant, then a disarm once the hour is over (and midnight's second segment):
        # none of them twice, and every plant in the log.
        "once": max(settings.values()) == 1 and len({targets for targets, _ in settings}) == PLANTS,
        "refused": totals.get("rate_limited", 0),
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    connection.close()
    app.control.purge()
    proc, base_url = start_simulator(
        "vendors.growatt.simulator", "--plants", str(PLANTS), "--accounts", "1", "--unenrolled", "0",
        "--speed", str(SPEED), "--seed", "5", timeout=120,
    )  # fmt: skip
    control = GrowattSimControl(base_url, timeout=60)
    results = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-growatt-engine-") as tmp:
            for threads in (1, THREADS):
                engine = Engine(Path(tmp), 1, 2, env={"DISPATCH_SEND_THREADS": str(threads)})
                try:
                    results[threads] = run_job(control, base_url, f"threads-{threads}")
                finally:
                    engine.stop()
                app.control.purge()
    finally:
        control.close()
        stop_simulator(proc)
    serial, threaded = results[1], results[THREADS]
    bound_s = PLANTS * CALLS_PER_PLANT * LATENCY_MS / 1000 / THREADS
    print(
        f"bench_growatt_engine: {PLANTS} Growatt plants on one account, a duration charge through one worker "
        f"(2 processes) + beat; simulator speed {SPEED:g}, {LATENCY_MS} ms per storage call"
    )
    for threads, r in results.items():
        print(
            f"- DISPATCH_SEND_THREADS={threads}: commit -> all accepted {r['accepted_s']:.2f} s "
            f"({r['accepted']}/{PLANTS} accepted); refusals {r['refused']} (goal 0); "
            f"every setting exactly once: {r['once']}"
        )
    print(
        f"- threaded/serial {threaded['accepted_s'] / serial['accepted_s']:.2f} (below 1: faster); "
        f"threaded/bound {threaded['accepted_s'] / bound_s:.2f} (bound: {PLANTS} x {CALLS_PER_PLANT} calls x "
        f"{LATENCY_MS} ms / {THREADS} threads = {bound_s:.1f} s)"
    )


if __name__ == "__main__":
    main()
