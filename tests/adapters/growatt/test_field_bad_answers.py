"""Answers that are not Growatt's envelope, cut short, of the wrong type or with a code nobody documents
end the affected task with the answer recorded, never as an unhandled exception (FIELD_NOTES "bad
answers"). Broken answers are retried like a transient fault first (a proxy's error page passes), so the
simulator breaks every attempt here."""

from __future__ import annotations

import pytest

from tests.adapters.growatt.helpers import poll_once, wait_real
from vendors.base import ChargeDischarge, Outcome, TaskState
from vendors.errors import VendorRejected

LAST_DATA = "/v1/device/storage/storage_last_data"
CHARGE = ChargeDischarge("charge", "duration", duration_min=60)


@pytest.mark.parametrize(
    ("kind", "shown"),
    [("html", "<html>"), ("truncated", '{"data": {'), ("empty", "''"), ("string_code", "abc")],
)
def test_an_answer_that_is_not_the_envelope_ends_the_send_with_the_answer(growatt, kind, shown):
    plant = growatt.plants()[0]
    adapter = growatt.adapter()
    growatt.control.bad_answer(kind, LAST_DATA, times=10)

    with pytest.raises(VendorRejected) as refused:
        adapter.send(CHARGE, [growatt.target(plant)], request_id=f"bad-{kind}")

    assert refused.value.code == "bad-answer" and shown in refused.value.message
    assert growatt.commands() == []  # nothing was set on a reading nobody could parse
    # Every exchange is in the audit trail with what came back.
    broken = [r for r in growatt.records if r.endpoint == "device/storage/storage_last_data"]
    assert broken and all(r.error for r in broken)


def test_data_of_the_wrong_type_ends_the_poll_with_the_answer(growatt):
    plant = growatt.plants()[0]
    target = growatt.target(plant)
    adapter = growatt.adapter()
    (sent,) = adapter.send(CHARGE, [target], request_id="wrong-type").results
    assert sent.outcome == Outcome.ACCEPTED
    wait_real(adapter.calls.repeat_window_s)  # past the repeat window (our clock): the poll reads afresh
    growatt.control.bad_answer("wrong_type", LAST_DATA, times=10)

    with pytest.raises(VendorRejected) as refused:
        poll_once(adapter, CHARGE, "wrong-type", target, sent.remote_id)

    assert refused.value.code == "bad-answer" and "data is not an object" in refused.value.message
    assert "unexpected" in refused.value.message  # the answer itself


def test_an_unknown_error_code_rejects_the_plant_with_the_code_and_message(growatt):
    plant = growatt.plants()[0]
    adapter = growatt.adapter()
    growatt.control.bad_answer("code", LAST_DATA, code=-1, message="Please use the new domain name to access")

    (result,) = adapter.send(CHARGE, [growatt.target(plant)], request_id="unknown-code").results

    assert result.outcome == Outcome.REJECTED and result.state == TaskState.FAILED
    assert result.vendor_code == "-1" and "new domain name" in result.message
    assert growatt.commands() == []
