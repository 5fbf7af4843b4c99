"""Vendor faults during a job: 5xx, dropped connections (before and after the vendor acted), an expired
session and a burst of 407s. The job still ends correctly, retries stay bounded, no plant is commanded
twice, and what fails carries the vendor's code."""

from __future__ import annotations

import collections
import time

import pytest

from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from dispatch.services import dispatch_job_create
from fleets.models import VendorCall
from tests.dispatch.engine.conftest import wait_job_finished
from tests.dispatch.engine.world import add_growatt, add_huawei
from tests.plugins.celery_worker import wait_for
from vendors.base import ChargeDischarge

T = DispatchTask.State
R = VendorRequest.State
MAX_ATTEMPTS = 4
ADAPTER_ATTEMPTS = 4  # vendors.huawei.client: max_attempts of one request


def _charge(world, plants, minutes=30):
    job, _ = dispatch_job_create(
        organization=world.organization,
        created_by=None,
        command_kind="charge_discharge",
        params={"action": "charge", "control": "duration", "duration_min": minutes},
        command=ChargeDischarge(action="charge", control="duration", duration_min=minutes),
        plant_ids=[p.pk for p in plants],
    )
    return job


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_ends_correctly_through_5xx_drops_session_expiry_and_a_407_burst(
    start_engine, world, huawei_sim, growatt_sim
):
    huawei = add_huawei(world, huawei_sim, plants=240)
    growatt = add_growatt(world, growatt_sim, plants=30)
    faults = {"error_5xx_rate": 0.25, "drop_rate": 0.1, "drop_after_rate": 0.1}
    huawei_sim.control.set_faults(**faults)
    growatt_sim.control.set_faults(**faults)
    start_engine(workers=1, concurrency=3, env={"DISPATCH_SEND_MAX_ATTEMPTS": str(MAX_ATTEMPTS)})

    # A 407 burst: the vendor's clock stands still, so by its count the minute our limiter waits out between
    # an account's two requests never passes, and it refuses the second (NBI V7 1.3 traffic limiting) until
    # the clock moves again. Stalled from the start, so no account's second request can slip through first.
    huawei_sim.control.set_speed(0)
    job = _charge(world, huawei + growatt)
    wait_for(
        lambda: VendorRequest.objects.filter(job=job, state=R.SENT, vendor_account__vendor="huawei").exists(),
        timeout_s=60,
        interval_s=0.02,
        message="the first Huawei request to be sent",
    )
    huawei_sim.control.expire_sessions()  # every Huawei session token is gone (failCode 305)
    wait_for(
        lambda: VendorCall.objects.filter(context__job=job.pk, vendor_code="407").exists(),
        timeout_s=60,
        interval_s=0.02,
        message="the vendor's first 407",
    )
    huawei_sim.control.set_speed(huawei_sim.speed)
    time.sleep(1)
    huawei_sim.control.clear_faults()
    growatt_sim.control.clear_faults()
    wait_job_finished(job, timeout_s=150)

    # Every task ended; a failure names the vendor's code.
    assert not DispatchTask.objects.filter(job=job, state__in=DispatchTask.OPEN_STATES).exists()
    for task in DispatchTask.objects.filter(job=job).exclude(state=T.COMPLETED):
        assert task.state in (T.FAILED, T.REJECTED, T.TIMED_OUT) and task.vendor_code, task
    assert job.state in (DispatchJob.State.COMPLETED, DispatchJob.State.PARTIALLY_COMPLETED)
    assert DispatchTask.objects.filter(job=job, state=T.COMPLETED).count() >= 0.9 * len(huawei + growatt)
    # The faults really happened to us: refused, dropped and 407 calls are in the audit trail.
    calls = VendorCall.objects.filter(context__job=job.pk)
    seen = collections.Counter(calls.values_list("endpoint", "vendor_code", "http_status"))
    assert calls.filter(vendor_code="407").exists(), seen
    assert calls.filter(vendor_code="305").exists(), seen
    assert calls.exclude(error="").count() > 10
    # Bounded: no request was tried more than DISPATCH_SEND_MAX_ATTEMPTS times, each at most the adapter's
    # own bounded number of HTTP attempts (plus a new login per expired session).
    assert max(VendorRequest.objects.filter(job=job).values_list("attempts", flat=True)) <= MAX_ATTEMPTS
    for request in VendorRequest.objects.filter(job=job, vendor_account__vendor="huawei"):
        sends = calls.filter(context__vendor_request=request.pk, endpoint="chargeAndDischarge").count()
        assert sends <= MAX_ATTEMPTS * ADAPTER_ATTEMPTS * 2, (request.pk, sends)
    # And nothing was carried out twice.
    commanded = collections.Counter(
        code
        for entry in huawei_sim.control.commands()
        if entry["endpoint"].endswith("/chargeAndDischarge")
        for code in entry["targets"]
    )
    assert max(commanded.values()) == 1, commanded.most_common(3)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_command_whose_answer_was_lost_is_resent_under_its_identity_and_taken_as_a_duplicate(
    start_engine, world, huawei_sim, growatt_sim
):
    plants = add_huawei(world, huawei_sim, plants=60)[::2]  # one account: one request of 30 plants
    # The vendor carries out the first call, then the connection drops, for every HTTP attempt of the
    # adapter: the engine gets a TransientError although the vendor holds the task.
    huawei_sim.control.set_faults(
        drop_after_rate=1.0, paths=["chargeAndDischarge"], max_faults=ADAPTER_ATTEMPTS
    )
    start_engine(workers=1, concurrency=2)
    job = _charge(world, plants)
    wait_job_finished(job, timeout_s=90)

    assert job.state == DispatchJob.State.COMPLETED
    [request] = VendorRequest.objects.filter(job=job)
    assert request.attempts == 2
    # The second attempt re-sent the same requestID; the vendor said "duplicate" (NBI V7 9.3.4, 20048).
    sends = VendorCall.objects.filter(context__vendor_request=request.pk, endpoint="chargeAndDischarge")
    assert set(sends.values_list("request_id", flat=True)) == {request.request_id}
    assert sends.filter(vendor_code="20048").exists()
    commanded = [e for e in huawei_sim.control.commands() if e["endpoint"].endswith("/chargeAndDischarge")]
    assert len(commanded) == 1 and sorted(commanded[0]["targets"]) == sorted(p.plant_code for p in plants)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_request_that_keeps_failing_ends_its_tasks_failed_with_the_code_after_bounded_attempts(
    start_engine, world, huawei_sim, growatt_sim
):
    plants = add_huawei(world, huawei_sim, plants=10)[::2]
    huawei_sim.control.set_faults(error_5xx_rate=1.0, paths=["chargeAndDischarge"])
    start_engine(workers=1, concurrency=2, env={"DISPATCH_SEND_MAX_ATTEMPTS": "3"})
    job = _charge(world, plants)
    wait_job_finished(job, timeout_s=90)

    assert job.state == DispatchJob.State.FAILED
    [request] = VendorRequest.objects.filter(job=job)
    assert request.state == R.FAILED and request.attempts == 3
    assert set(DispatchTask.objects.filter(job=job).values_list("state", "vendor_code")) == {
        (T.FAILED, "http_503")
    }
    sends = VendorCall.objects.filter(context__vendor_request=request.pk, endpoint="chargeAndDischarge")
    assert sends.count() <= 3 * ADAPTER_ATTEMPTS
    assert not huawei_sim.control.commands()
