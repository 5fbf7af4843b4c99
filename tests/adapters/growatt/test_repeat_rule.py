"""Growatt's repeat rule: the same setting within 5 minutes is refused with 10012 ("error_frequently_access"),
while storageSet's own 10012 means "Energy storage machine does not exist" (Growatt 4.3.12).

A retry of a setting that may have landed is the same request again, and its 10012 repeat means "already
in place": the command log shows the setting once. A repeat we did not cause is RateLimited, never worked
around with a different request.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.adapters.growatt.helpers import wait_real
from vendors.base import ChargeDischarge, Outcome, StorageSet, TaskState
from vendors.errors import RateLimited, TransientError


def _settings(growatt) -> Counter:
    return Counter(
        (tuple(c["targets"]), tuple(sorted(c["params"].items()))) for c in growatt.control.commands()
    )


def test_a_retry_after_a_dropped_answer_is_accepted_on_its_10012_repeat(growatt):
    plant = growatt.plants()[0]
    # The vendor's clock stands still and the adapter thinks it 10x slower than it is, so that a loaded
    # machine cannot stretch the retry past the vendor's window (0.5 s of ours at speed 600).
    growatt.control.set_speed(0)
    adapter = growatt.adapter(clock_speed=growatt.sim.speed / 10)
    # The first storageSet is handled, then its connection closes before the answer (simkit drop_after).
    growatt.control.set_faults(drop_after_rate=1.0, paths=["/v1/storageSet"], max_faults=1)

    command = ChargeDischarge("charge", "duration", duration_min=60)
    (result,) = adapter.send(command, [growatt.target(plant)], request_id="drop-1").results

    assert result.outcome == Outcome.ACCEPTED
    sent = growatt.commands()
    assert len(sent) == 3 and max(_settings(growatt).values()) == 1  # every setting exactly once
    first = [r for r in growatt.records if r.endpoint == "storageSet"][:2]
    assert first[0].error.startswith("connection") and first[0].http_status is None
    assert first[1].vendor_code == "10012" and first[1].params == first[0].params  # the very same request


@pytest.mark.parametrize("backend", ["redis", "sqlite"])
def test_a_resend_after_a_crash_repeats_the_same_requests_and_each_lands_once(growatt, backend, tmp_path):
    urls = {}
    if backend == "sqlite":  # the embedded defaults: limiter and shared state in files
        urls = {
            "limiter_url": f"sqlite:///{tmp_path}/limiter.db",
            "state_url": f"sqlite:///{tmp_path}/state.db",
        }
    plant = growatt.plants()[0]
    target = growatt.target(plant)
    growatt.control.set_speed(0)  # hold the vendor's 5-minute window open however slow this test runs
    # Every attempt of the first storageSet is handled and its answer lost: the adapter gives up.
    growatt.control.set_faults(drop_after_rate=1.0, paths=["/v1/storageSet"], max_faults=4)
    command = ChargeDischarge("charge", "soc", target_soc_pct=70, duration_min=240)
    with pytest.raises(TransientError):
        growatt.adapter(**urls).send(command, [target], request_id="crash-1")
    assert len(growatt.commands()) == 1  # it did land, once

    growatt.control.clear_faults()
    growatt.control.advance(120)  # later, by the vendor's clock too: a new plan would have a new window
    # Another worker process takes the task over: same request_id, its own adapter.
    (result,) = growatt.adapter(**urls).send(command, [target], request_id="crash-1").results

    assert result.outcome == Outcome.ACCEPTED
    assert [c["params"]["type"] for c in growatt.commands()] == [
        "storage_ac_charge_soc_limit",
        "storage_ac_charge_hour_start",
        "storage_ac_charge_enable_disable",
    ]
    assert max(_settings(growatt).values()) == 1
    assert growatt.control.stats()["totals"]["rate_limited"] >= 1  # the recognised repeat, nothing else


def test_a_resend_of_a_finished_send_returns_its_result_and_sends_nothing(growatt):
    plant = growatt.plants()[0]
    target = growatt.target(plant)
    adapter = growatt.adapter()
    command = ChargeDischarge("discharge", "duration", duration_min=45)
    (first,) = adapter.send(command, [target], request_id="again-1").results
    growatt.control.advance(60)

    (again,) = adapter.send(command, [target], request_id="again-1").results

    assert again == first
    assert len(growatt.commands()) == 2


def test_a_repeat_we_did_not_cause_is_rate_limited_and_the_resend_resumes(growatt):
    plant = growatt.plants()[0]
    target = growatt.target(plant)
    sn = target.storage_sns[0]
    growatt.control.set_speed(0)
    # Someone else (the installer's app) enabled AC charging on this machine a moment ago.
    with growatt.sim.client() as api:
        body = {"storage_sn": sn, "type": "storage_ac_charge_enable_disable", "param1": "1"}
        body.update({"param2": " ", "param3": " ", "param4": " "})
        assert api.post("/v1/storageSet", data=body).json()["error_code"] == 0
    adapter = growatt.adapter()
    command = ChargeDischarge("charge", "duration", duration_min=60)

    with pytest.raises(RateLimited) as refused:
        adapter.send(command, [target], request_id="other-1")

    assert refused.value.vendor_said and refused.value.retry_after_s > 0
    growatt.control.advance(301)  # the vendor's window has passed
    (result,) = adapter.send(command, [target], request_id="other-1").results
    assert result.outcome == Outcome.ACCEPTED
    types = [c["params"]["type"] for c in growatt.commands()]
    assert types == [
        "storage_ac_charge_enable_disable",  # the other party's
        "storage_ac_charge_soc_limit",
        "storage_ac_charge_hour_start",
        "storage_ac_charge_enable_disable",  # ours, sent once, after the window
    ]


def test_our_own_identical_setting_waits_for_the_limiter_instead_of_provoking_10012(growatt):
    plant = growatt.plants()[0]
    target = growatt.target(plant)
    command = StorageSet("storage_ac_charge_soc_limit", ("55", "", "", ""))
    impatient = growatt.adapter(max_wait_s=0.0)
    patient = growatt.adapter(max_wait_s=5.0)

    (first,) = impatient.send(command, [target], request_id="same-1").results
    with pytest.raises(RateLimited) as refused:
        impatient.send(command, [target], request_id="same-2")
    (second,) = patient.send(command, [target], request_id="same-3").results

    assert first.outcome == second.outcome == Outcome.ACCEPTED
    assert not refused.value.vendor_said and 0 < refused.value.retry_after_s <= patient.calls.repeat_window_s
    assert len(growatt.commands()) == 2
    assert growatt.control.stats()["totals"]["rate_limited"] == 0


def test_storage_sets_own_10012_does_not_exist_is_a_final_rejection(growatt):
    plant = growatt.plants()[0]
    target = growatt.target(plant)  # as discovered while the machine was there
    growatt.control.no_battery([plant["plant_id"]])
    adapter = growatt.adapter()

    (result,) = adapter.send(
        StorageSet("storage_cmd_on_off", ("0101", "", "", "")), [target], request_id="gone-1"
    ).results

    assert result.outcome == Outcome.REJECTED and result.final and result.state == TaskState.FAILED
    assert result.vendor_code == "10012" and "does not exist" in result.message
    assert growatt.control.stats()["totals"]["rate_limited"] == 0


def test_a_step_held_back_after_others_landed_resumes_there_and_repeats_none(growatt):
    """The limiter holds the third setting back (the same one went out a moment ago) after the first two
    landed: the re-send, once the vendor's window has closed, sends only the third. Had the landed second
    step been taken for one still in flight, it would go out again and the vendor would take it twice."""
    plant = growatt.plants()[0]
    target = growatt.target(plant)
    impatient = growatt.adapter(max_wait_s=0.0)
    arm = StorageSet("storage_ac_charge_enable_disable", ("1", "", "", ""))
    impatient.send(arm, [target], request_id="arm-1")
    command = ChargeDischarge("charge", "duration", duration_min=60)

    with pytest.raises(RateLimited) as held:
        impatient.send(command, [target], request_id="held-1")
    assert not held.value.vendor_said  # our limiter, not a refusal: nothing was wasted
    assert len(growatt.commands()) == 3  # the other command's arming, then our SOC limit and window

    patient = growatt.adapter(max_wait_s=5.0)
    wait_real(patient.calls.repeat_window_s)  # the vendor would now take any setting again
    (result,) = patient.send(command, [target], request_id="held-1").results

    assert result.outcome == Outcome.ACCEPTED
    assert [c["params"]["type"] for c in growatt.commands()] == [
        "storage_ac_charge_enable_disable",  # the earlier command's
        "storage_ac_charge_soc_limit",
        "storage_ac_charge_hour_start",
        "storage_ac_charge_enable_disable",  # ours: the only thing the re-send sent
    ]
    assert growatt.control.stats()["totals"]["rate_limited"] == 0
