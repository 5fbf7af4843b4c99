"""A chargeAndDischarge answer we cannot read may come after the vendor acted (FIELD_NOTES H11, H14, H15).
The adapter then asks the status query of our requestID (NBI V7 9.3.5) before anything else and takes its
answer; the command is never sent a second time. Real worker, simulator field controls."""

from __future__ import annotations

import pytest

from dispatch.models import DispatchTask
from fleets.models import VendorCall
from tests.dispatch.engine.conftest import wait_job_finished
from tests.dispatch.engine.world import add_huawei, charge_one_plant

T = DispatchTask.State


def _calls(job) -> list[str]:
    rows = VendorCall.objects.filter(context__job=job.pk).exclude(endpoint="login").order_by("pk")
    return list(rows.values_list("endpoint", flat=True))


def _commanded(huawei_sim, plant) -> int:
    return sum(
        entry["targets"].count(plant.plant_code)
        for entry in huawei_sim.control.commands()
        if entry["endpoint"].endswith("/chargeAndDischarge")
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["html", "truncated", "wrong_type"])
def test_an_unreadable_answer_after_the_vendor_acted_is_followed_to_completion(
    start_engine, world, huawei_sim, kind
):
    (plant,) = add_huawei(world, huawei_sim, plants=1)
    start_engine(workers=1, concurrency=2)
    huawei_sim.control.provoke(kind, ["/vpp/chargeAndDischarge"], count=1)

    job = wait_job_finished(charge_one_plant(world, plant), timeout_s=90)

    task = DispatchTask.objects.get(job=job)
    assert task.state == T.COMPLETED, (kind, task.vendor_code, task.vendor_message)
    assert task.remote_id  # taken from the status query's answer
    calls = _calls(job)
    # Sent once; the status query came next, before any poll could.
    assert calls.count("chargeAndDischarge") == 1, calls
    assert calls[calls.index("chargeAndDischarge") + 1] == "chargeAndDischargeStatus", calls
    assert _commanded(huawei_sim, plant) == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_unreadable_answer_the_vendor_did_not_act_on_ends_the_task_with_the_answer(
    start_engine, world, huawei_sim
):
    (plant,) = add_huawei(world, huawei_sim, plants=1)
    huawei_sim.control.no_battery([plant.plant_code])  # the vendor refuses it: no task under our requestID
    start_engine(workers=1, concurrency=2)
    huawei_sim.control.provoke("truncated", ["/vpp/chargeAndDischarge"], count=1)

    job = wait_job_finished(charge_one_plant(world, plant), timeout_s=90)

    task = DispatchTask.objects.get(job=job)
    assert (task.state, task.vendor_code) == (T.FAILED, "bad_answer"), task.vendor_message
    assert '{"success"' in task.vendor_message  # the cut answer, recorded
    calls = _calls(job)
    assert calls == ["chargeAndDischarge", "chargeAndDischargeStatus"], calls  # 20050, then nothing
    assert _commanded(huawei_sim, plant) == 0
