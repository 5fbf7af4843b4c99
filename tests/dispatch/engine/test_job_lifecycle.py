"""Cancel, replace, retry, deadlines and scheduled starts, through real workers and the simulators."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from dispatch.engine.sweep import sweep_run
from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from dispatch.services import dispatch_job_cancel, dispatch_tasks_retry
from tests.dispatch.engine.conftest import wait_job_finished
from tests.dispatch.engine.world import add_huawei, create_job
from tests.plugins.celery_worker import wait_for
from vendors.base import ChargeDischarge

T = DispatchTask.State
R = VendorRequest.State


def _switches(huawei_sim, plant_code):
    """The dispatchSwitch of every chargeAndDischarge the vendor accepted for a plant, in order."""
    return [
        e["params"]["dispatchSwitch"]
        for e in huawei_sim.control.commands()
        if e["endpoint"].endswith("/chargeAndDischarge") and plant_code in e["targets"]
    ]


def _deadline_passes(job) -> None:
    """The job's deadline comes now, while its charge runs. The workers' clock is not ours to move, so what
    the engine stored for the deadline moves into the past instead: the job's deadline (the sweep stops
    the tasks still running at it) and the timeout_at its tasks were given, min(vendor bound, deadline)
    (engine.timing.task_timeout_at). One transaction: no sweep sees the one without the other."""
    past = timezone.now() - timedelta(seconds=1)
    with transaction.atomic():
        DispatchJob.objects.filter(pk=job.pk).update(deadline=past)
        DispatchTask.objects.filter(job=job, timeout_at__isnull=False).update(timeout_at=past)


LONG_CHARGE = ChargeDischarge(action="charge", control="duration", duration_min=24 * 60)  # 2.4 min real


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_cancel_sends_the_vendor_stop_and_ends_the_job_cancelled(start_engine, world, huawei_sim, alice):
    plants = add_huawei(world, huawei_sim, plants=12)
    start_engine(workers=1, concurrency=2)
    job = create_job(world, plants, LONG_CHARGE)
    wait_for(
        lambda: DispatchTask.objects.filter(job=job, state__in=DispatchTask.RUNNING_STATES).count() == 12,
        timeout_s=60,
        message="every task accepted",
    )

    dispatch_job_cancel(job=job, by=alice)
    wait_job_finished(job, timeout_s=60)

    assert job.state == DispatchJob.State.CANCELLED and job.cancelled_by == alice
    assert set(DispatchTask.objects.filter(job=job).values_list("state", flat=True)) == {T.CANCELLED}
    stops = VendorRequest.objects.filter(job=job, purpose=VendorRequest.Purpose.STOP)
    assert stops.exists() and all(r.state == R.SENT for r in stops)
    for plant in plants:  # charge, then the vendor's stop (NBI V7 9.3.4 dispatchSwitch 0), once each
        assert _switches(huawei_sim, plant.plant_code) == [1, 0]
        assert huawei_sim.control.plant(plant.plant_code)["battery"]["powerW"] == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_replace_stops_the_running_task_first_then_sends_the_new_command(start_engine, world, huawei_sim):
    plants = add_huawei(world, huawei_sim, plants=8)
    start_engine(workers=1, concurrency=2)
    old = create_job(world, plants, LONG_CHARGE)
    wait_for(
        lambda: DispatchTask.objects.filter(job=old, state__in=DispatchTask.RUNNING_STATES).count() == 8,
        timeout_s=60,
        message="the first job's tasks accepted",
    )
    discharge = ChargeDischarge(action="discharge", control="duration", duration_min=10)
    new = create_job(world, plants, discharge, on_conflict=DispatchJob.OnConflict.REPLACE)
    wait_job_finished(new, timeout_s=60)
    wait_job_finished(old, timeout_s=30)

    assert new.state == DispatchJob.State.COMPLETED
    assert set(DispatchTask.objects.filter(job=old).values_list("state", flat=True)) == {T.CANCELLED}
    assert old.state == DispatchJob.State.CANCELLED  # every task of it was stopped and replaced
    for plant in plants:
        assert _switches(huawei_sim, plant.plant_code) == [1, 0, 2]  # charge, stop, then the discharge


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_replace_while_the_old_command_is_in_flight_stops_it_once_it_lands_then_sends_the_new(
    start_engine, world, huawei_sim
):
    plants = add_huawei(world, huawei_sim, plants=8)
    # Held answers: the replace arrives while the old command is with the vendor and its answer is not,
    # for as long as that takes (a latency would race a busy machine).
    huawei_sim.control.set_faults(hold=True, paths=["chargeAndDischarge"])
    start_engine(workers=1, concurrency=2)
    old = create_job(world, plants, LONG_CHARGE)
    wait_for(
        lambda: DispatchTask.objects.filter(job=old, state=T.SENDING).count() == 8,
        timeout_s=60,
        interval_s=0.05,
        message="the first job's command in flight",
    )
    discharge = ChargeDischarge(action="discharge", control="duration", duration_min=10)
    new = create_job(world, plants, discharge, on_conflict=DispatchJob.OnConflict.REPLACE)
    # The vendor may have the old command: its stop waits for the answer instead of forgetting it.
    stops = VendorRequest.objects.filter(job=old, purpose=VendorRequest.Purpose.STOP)
    assert stops.exists() and all(s.after is not None and s.after.job_id == old.pk for s in stops)
    assert set(DispatchTask.objects.filter(job=old).values_list("state", flat=True)) == {T.SENDING}
    huawei_sim.control.clear_faults()  # the old command's answers arrive
    wait_job_finished(new, timeout_s=90)
    wait_job_finished(old, timeout_s=30)

    assert new.state == DispatchJob.State.COMPLETED
    assert old.state == DispatchJob.State.CANCELLED
    assert set(DispatchTask.objects.filter(job=old).values_list("state", flat=True)) == {T.CANCELLED}
    for plant in plants:
        assert _switches(huawei_sim, plant.plant_code) == [1, 0, 2]  # charge, its stop, then the discharge


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_charge_still_running_at_its_deadline_times_out_and_is_stopped(start_engine, world, huawei_sim):
    plants = add_huawei(world, huawei_sim, plants=6)
    start_engine(workers=1, concurrency=2)
    job = create_job(world, plants, LONG_CHARGE, deadline=timezone.now() + timedelta(hours=1))
    wait_for(
        lambda: DispatchTask.objects.filter(job=job, state__in=DispatchTask.RUNNING_STATES).count() == 6,
        timeout_s=60,
        message="every task accepted: the charge is running",
    )
    assert DispatchJob.objects.get(pk=job.pk).state == DispatchJob.State.RUNNING  # not at its deadline yet
    _deadline_passes(job)
    wait_job_finished(job, timeout_s=60)

    assert job.state == DispatchJob.State.TIMED_OUT
    stops = VendorRequest.objects.filter(job=job, purpose=VendorRequest.Purpose.STOP)
    wait_for(
        lambda: stops.exists() and all(r.state == R.SENT for r in stops.all()),
        timeout_s=60,
        message="the deadline's stop sent",
    )
    tasks = DispatchTask.objects.filter(job=job)
    assert set(tasks.values_list("state", flat=True)) == {T.TIMED_OUT}  # stopped, still not done in time
    assert set(tasks.values_list("vendor_message", flat=True)) == {"no result before the deadline; stopped"}
    for plant in plants:  # the 24 h charge, then the vendor's stop (NBI V7 9.3.4 dispatchSwitch 0)
        assert _switches(huawei_sim, plant.plant_code) == [1, 0]
        assert huawei_sim.control.plant(plant.plant_code)["battery"]["powerW"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_conflicting_command_is_refused_with_409_naming_the_plants_and_writes_nothing(world, huawei_sim):
    from vpp.errors import DomainError

    plants = add_huawei(world, huawei_sim, plants=6)
    create_job(world, plants[:3], LONG_CHARGE)  # nothing runs it: its tasks stay pending, still "open"
    before = (DispatchJob.objects.count(), DispatchTask.objects.count(), VendorRequest.objects.count())
    with pytest.raises(DomainError) as refused:
        create_job(world, plants, ChargeDischarge(action="discharge", control="duration", duration_min=5))
    assert refused.value.http_status == 409 and refused.value.field == "plants"
    assert all(str(p.pk) in refused.value.detail for p in plants[:3])
    assert (
        DispatchJob.objects.count(),
        DispatchTask.objects.count(),
        VendorRequest.objects.count(),
    ) == before
    # A stop is never in conflict: it is what ends the running task.
    create_job(world, plants, ChargeDischarge(action="stop"))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_failed_tasks_are_retried_under_a_new_request_identity(start_engine, world, huawei_sim, alice):
    plants = add_huawei(world, huawei_sim, plants=10)
    failing = plants[:4]
    huawei_sim.control.fail_tasks([p.plant_code for p in failing])
    start_engine(workers=1, concurrency=2)
    job = create_job(world, plants, ChargeDischarge(action="charge", control="duration", duration_min=10))
    wait_job_finished(job, timeout_s=60)
    assert job.state == DispatchJob.State.PARTIALLY_COMPLETED
    assert set(DispatchTask.objects.filter(job=job, state=T.FAILED).values_list("plant_id", flat=True)) == {
        p.pk for p in failing
    }
    first_ids = set(VendorRequest.objects.filter(job=job).values_list("request_id", flat=True))

    huawei_sim.control.restore([p.plant_code for p in failing])
    assert dispatch_tasks_retry(job=job, by=alice) == 4
    job.refresh_from_db()
    assert job.state == DispatchJob.State.RUNNING
    wait_job_finished(job, timeout_s=60)

    assert job.state == DispatchJob.State.COMPLETED
    retried = VendorRequest.objects.filter(job=job).exclude(request_id__in=first_ids)
    retried_plants = DispatchTask.objects.filter(request__in=retried).values_list("plant_id", flat=True)
    assert set(retried_plants) == {p.pk for p in failing}  # one new request per account, the failed only
    for plant in failing:
        assert _switches(huawei_sim, plant.plant_code) == [1, 1]  # once per request identity


@pytest.mark.django_db(transaction=True)
def test_tasks_not_done_by_the_deadline_time_out_and_the_job_ends_timed_out(
    world, huawei_sim, engine_settings
):
    plants = add_huawei(world, huawei_sim, plants=4)
    deadline = timezone.now() + timedelta(hours=1)  # far off: no busy machine reaches it by accident
    job = create_job(world, plants, LONG_CHARGE, deadline=deadline)
    # No worker: nothing is ever sent. Before the deadline the sweep leaves the pending tasks alone.
    sweep_run()
    assert DispatchTask.objects.filter(job=job, state=T.PENDING).count() == 4
    job.refresh_from_db()
    assert job.state == DispatchJob.State.RUNNING

    # Past it (the clock moved, not the wall clock waited for), one sweep alone times the tasks out and
    # finishes the job.
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        sweep_run()
    job.refresh_from_db()
    assert job.state == DispatchJob.State.TIMED_OUT
    assert set(DispatchTask.objects.filter(job=job).values_list("state", flat=True)) == {T.TIMED_OUT}


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_job_sends_nothing_before_its_start(world, huawei_sim, engine_settings):
    from dispatch.engine.send import request_claim_next

    plants = add_huawei(world, huawei_sim, plants=4)
    start_at = timezone.now() + timedelta(hours=1)  # far off: no busy machine reaches it by accident
    job = create_job(world, plants, LONG_CHARGE, start_at=start_at)
    assert job.state == DispatchJob.State.SCHEDULED
    account_ids = {p.vendor_account_id for p in plants}
    # Before its start a sweep does not start it and no sender can claim any of its requests.
    assert sweep_run()["started"] == 0
    job.refresh_from_db()
    assert job.state == DispatchJob.State.SCHEDULED
    assert all(request_claim_next(account_id=a) is None for a in account_ids)

    # At its start (the clock moved, not the wall clock waited for) the sweep starts it and it goes out.
    with time_machine.travel(start_at + timedelta(seconds=1), tick=False):
        assert sweep_run()["started"] == 1
        job.refresh_from_db()
        assert job.state == DispatchJob.State.RUNNING
        claimed = [request_claim_next(account_id=a) for a in account_ids]
    assert all(r is not None and r.state == R.SENDING for r in claimed)
