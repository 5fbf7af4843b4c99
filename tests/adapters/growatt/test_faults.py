"""Misbehaving cloud: 5xx, dropped connections, latency and timeouts are retried a bounded number of times
and never send a command twice; token errors are final; the audit observer sees every HTTP exchange."""

from __future__ import annotations

from collections import Counter

import pytest

from vendors.base import ChargeDischarge, DevicePower, Outcome
from vendors.errors import AuthFailed, TransientError

SLOWER = 10  # the adapter takes the simulator as 10x slower: retry budgets a loaded machine cannot exhaust


def _path_stats(growatt, path: str) -> dict:
    return growatt.control.stats()["accounts"]["account-1"][path]


def test_transient_5xx_answers_are_retried_and_the_command_lands_once(growatt):
    plant = growatt.plants()[0]
    adapter = growatt.adapter(clock_speed=growatt.sim.speed / SLOWER)
    growatt.control.set_faults(error_5xx_rate=1.0, paths=["/v1/storageSet"], max_faults=2)

    command = ChargeDischarge("charge", "duration", duration_min=30)
    (result,) = adapter.send(command, [growatt.target(plant)], request_id="5xx-1").results

    assert result.outcome == Outcome.ACCEPTED
    assert len(growatt.commands()) == 3
    assert _path_stats(growatt, "/v1/storageSet")["errors_5xx"] == 2
    statuses = [r.http_status for r in growatt.records if r.endpoint == "storageSet"]
    assert statuses[:3] == [503, 503, 200]


def test_a_cloud_that_keeps_failing_gives_up_after_a_bounded_number_of_attempts(growatt):
    adapter = growatt.adapter()
    growatt.control.set_faults(error_5xx_rate=1.0, paths=["/v1/plant/list"])

    with pytest.raises(TransientError):
        adapter.list_plants()

    requests = _path_stats(growatt, "/v1/plant/list")["requests"]
    assert requests == adapter.calls._client.max_attempts == 4


def test_dropped_connections_before_handling_are_retried_without_duplicates(growatt):
    plant = growatt.plants()[0]
    adapter = growatt.adapter(clock_speed=growatt.sim.speed / SLOWER)
    growatt.control.set_faults(drop_rate=1.0, paths=["Set"], max_faults=2)

    (result,) = adapter.send(DevicePower(on=False), [growatt.target(plant)], request_id="drop-2").results

    assert result.outcome == Outcome.ACCEPTED
    assert len(growatt.control.commands()) == 2  # inverterSet + storageSet, once each
    assert sum(1 for r in growatt.records if r.error.startswith("connection")) == 2


def test_latency_within_the_timeout_only_slows_things_down(growatt):
    plant = growatt.plants()[0]
    adapter = growatt.adapter()
    growatt.control.set_faults(latency_ms=150)

    command = ChargeDischarge("discharge", "duration", duration_min=30)
    (result,) = adapter.send(command, [growatt.target(plant)], request_id="slow-1").results

    assert result.outcome == Outcome.ACCEPTED
    assert all(r.duration_ms >= 140 for r in growatt.records)
    assert len(growatt.commands()) == 2  # the window, then arming it


def test_answers_slower_than_the_timeout_are_transient_and_a_resend_lands_once(growatt):
    plant = growatt.plants()[0]
    target = growatt.target(plant)
    growatt.control.set_speed(0)
    slow = growatt.adapter(timeout_s=0.3)
    growatt.control.set_faults(latency_ms=600, paths=["/v1/storageSet"])
    command = ChargeDischarge("charge", "duration", duration_min=30)

    with pytest.raises(TransientError):
        slow.send(command, [target], request_id="timeout-1")

    assert any(r.error.startswith("timeout") for r in growatt.records)
    growatt.control.clear_faults()
    (result,) = growatt.adapter().send(command, [target], request_id="timeout-1").results
    assert result.outcome == Outcome.ACCEPTED
    counts = Counter(tuple(sorted(c["params"].items())) for c in growatt.commands())
    assert len(counts) == 3 and max(counts.values()) == 1  # the late-landing first setting is not repeated


def test_a_wrong_token_is_auth_failed_and_not_retried(growatt):
    adapter = growatt.adapter(token="not-a-growatt-token")

    with pytest.raises(AuthFailed):
        adapter.list_plants()
    with pytest.raises(AuthFailed):
        adapter.send(DevicePower(on=True), [growatt.target(growatt.plants()[0])], request_id="tok-1")

    assert growatt.control.stats()["accounts"]["-"]["/v1/plant/list"]["requests"] == 1
    assert growatt.control.commands() == []


def test_a_withdrawn_token_is_auth_failed(growatt):
    adapter = growatt.adapter()
    assert adapter.list_plants()
    growatt.control.expire_sessions(["account-1"])  # the user cancelled the authorisation (Growatt 2.1)

    with pytest.raises(AuthFailed):
        adapter.send(DevicePower(on=False), [growatt.target(growatt.plants()[0])], request_id="tok-2")
    assert growatt.control.commands() == []


def test_the_observer_sees_every_exchange_without_the_token_and_cannot_break_a_call(growatt):
    plant = growatt.plants()[0]
    seen = []

    def flaky_observer(record):
        seen.append(record)
        raise RuntimeError("audit database is down")

    adapter = growatt.adapter(observer=flaky_observer)
    (result,) = adapter.send(DevicePower(on=True), [growatt.target(plant)], request_id="obs-1").results

    assert result.outcome == Outcome.ACCEPTED
    assert [r.endpoint for r in seen] == ["inverterSet", "storageSet"]
    token = growatt.sim.tokens[0]
    for record in seen:
        assert record.account_key == adapter.account.key and record.request_id == "obs-1"
        assert record.http_status == 200 and record.vendor_code == "0"
        assert str(plant["plant_id"]) in record.targets
        assert token not in repr(record)
        assert len(record.response_excerpt) <= 2000
    assert seen[0].params == {
        "device_sn": plant["inverter_sn"],
        "paramId": "pv_on_off",
        "command_1": "0101",
        "command_2": "",
    }
