"""Two worker processes do the work of one, with no duplicates: every request is claimed by exactly one
of them (a conditional update from pending, FOR UPDATE SKIP LOCKED on PostgreSQL), the shared limiter
keeps both within the vendor's limits, and each plant is commanded once."""

from __future__ import annotations

import collections
import re

import pytest

from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from dispatch.services import dispatch_job_create
from tests.dispatch.engine.conftest import wait_job_finished
from tests.dispatch.engine.world import add_growatt, add_huawei
from vendors.base import ChargeDischarge

SENDING = re.compile(r"sending request (\d+) \(command, job (\d+), (\d+) plants, attempt (\d+)\)")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_a_job_and_nothing_is_sent_twice(start_engine, world, huawei_sim, growatt_sim):
    huawei = add_huawei(world, huawei_sim, plants=240)
    growatt = add_growatt(world, growatt_sim, plants=60)
    workers = start_engine(workers=2, concurrency=3)
    job, _ = dispatch_job_create(
        organization=world.organization,
        created_by=None,
        command_kind="charge_discharge",
        params={"action": "charge", "control": "duration", "duration_min": 20},
        command=ChargeDischarge(action="charge", control="duration", duration_min=20),
        plant_ids=[p.pk for p in huawei + growatt],
    )
    wait_job_finished(job, timeout_s=120)
    assert job.state == DispatchJob.State.COMPLETED
    assert DispatchTask.objects.filter(job=job, state=DispatchTask.State.COMPLETED).count() == 300

    # Both workers sent, and no request was sent by both (each first attempt appears once in all logs).
    sends = [(w.pid, m.groups()) for w in workers for m in SENDING.finditer(w.log())]
    by_worker = collections.Counter(pid for pid, _ in sends)
    assert len(by_worker) == 2, by_worker
    first_attempts = collections.Counter(request for _, (request, _, _, attempt) in sends if attempt == "1")
    requests = set(VendorRequest.objects.filter(job=job).values_list("pk", flat=True))
    assert {int(r) for r in first_attempts} == requests
    assert max(first_attempts.values()) == 1, first_attempts.most_common(3)
    assert set(VendorRequest.objects.filter(job=job).values_list("attempts", flat=True)) == {1}

    # The vendors saw each plant commanded once, and the shared limiter kept both workers from a 407.
    commanded = collections.Counter(
        code
        for entry in huawei_sim.control.commands()
        if entry["endpoint"].endswith("/chargeAndDischarge")
        for code in entry["targets"]
    )
    assert set(commanded) == {p.plant_code for p in huawei} and max(commanded.values()) == 1
    settings = collections.Counter(
        (e["endpoint"], tuple(e["targets"]), repr(sorted(e["params"].items())))
        for e in growatt_sim.control.commands()
    )
    assert max(settings.values()) == 1, settings.most_common(3)
    assert huawei_sim.control.stats()["totals"]["rate_limited"] == 0
