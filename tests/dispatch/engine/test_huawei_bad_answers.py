"""A Huawei answer that is not JSON, truncated, of the wrong type or with an unknown code ends the affected
task with that answer recorded (the task's vendor message, the VendorCall row), in a real worker, never as
an unhandled exception (FIELD_NOTES H11, H14, H15)."""

from __future__ import annotations

import pytest

from dispatch.models import DispatchTask
from fleets.models import VendorCall
from tests.dispatch.engine.conftest import wait_job_finished
from tests.dispatch.engine.world import add_huawei, charge_one_plant

T = DispatchTask.State

# (provoked answer, interface it answers, the task's end state and vendor code, what its message shows,
# what the VendorCall row of that answer holds)
# An unreadable chargeAndDischarge answer is first checked with the status query (the vendor may have
# acted): test_huawei_garbled_charge.py. Here the answers that end the task.
CASES = [
    ("unknown_code", "chargeAndDischarge", T.REJECTED, "29999", "Unknown error.", '"failCode": 29999'),
    ("html", "chargeAndDischargeStatus", T.FAILED, "bad_answer", "<!DOCTYPE html>", "<!DOCTYPE html>"),
    ("truncated", "chargeAndDischargeStatus", T.FAILED, "bad_answer", '{"success"', '{"success"'),
    ("wrong_type", "chargeAndDischargeStatus", T.FAILED, "bad_answer", "not a list", '"data": "unexpected"'),
]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_unreadable_answers_end_the_task_with_the_answer_recorded(start_engine, world, huawei_sim):
    plants = add_huawei(world, huawei_sim, plants=len(CASES))
    start_engine(workers=1, concurrency=2)

    for plant, (kind, interface, state, code, shows, recorded) in zip(plants, CASES, strict=True):
        huawei_sim.control.provoke(kind, [f"/vpp/{interface}"])
        job = wait_job_finished(charge_one_plant(world, plant), timeout_s=90)

        task = DispatchTask.objects.get(job=job)
        assert (task.state, task.vendor_code) == (state, code), (kind, interface, task.vendor_message)
        assert shows in task.vendor_message, (kind, interface)
        call = VendorCall.objects.filter(context__job=job.pk, endpoint=interface).order_by("pk").last()
        assert call is not None and recorded in call.response_excerpt, (kind, interface)
    assert huawei_sim.control.field()["provocations"][-1]["remaining"] == 0  # each answer was served
