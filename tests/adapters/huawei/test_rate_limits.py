"""The shared limiter before every call: wait for a slot or give up with retry_after; 407 is an error."""

from __future__ import annotations

import pytest

from tests.adapters.huawei.helpers import rate_limited, targets
from vendors.base import ChargeDischarge
from vendors.errors import RateLimited

CHARGE = ChargeDischarge("charge", "soc", target_soc_pct=90)


def test_no_slot_within_the_wait_budget_raises_rate_limited_without_calling(make_adapter, sim, harness):
    adapter = make_adapter(max_wait_s=0)
    first, second = targets(sim, 2)
    adapter.send(CHARGE, [first], request_id="1")
    calls = len(harness.records)

    with pytest.raises(RateLimited) as limited:
        adapter.send(CHARGE, [second], request_id="2")  # chargeAndDischarge: once a minute (NBI V7 9.3.4)

    assert not limited.value.vendor_said
    (rule,) = adapter.calls.limits()["chargeAndDischarge"]  # the vendor's minute, scaled, plus margins
    assert 0 < limited.value.retry_after_s <= rule.window_s
    assert len(harness.records) == calls
    assert rate_limited(sim) == 0


def test_calls_wait_for_their_slot_instead_of_provoking_407(make_adapter, sim, harness):
    adapter = make_adapter(max_wait_s=5)
    plants = targets(sim, 5)

    for n, plant in enumerate(plants):
        adapter.send(CHARGE, [plant], request_id=str(10 + n))

    assert rate_limited(sim) == 0
    assert len([c for c in sim.commands() if c["endpoint"].endswith("chargeAndDischarge")]) == 5


def test_a_407_all_the_same_is_rate_limited_said_by_the_vendor(make_adapter, sim):
    # An account override looser than the vendor's real limit: our limiter lets the second call through.
    adapter = make_adapter(rate_limit_overrides={"chargeAndDischarge": [(10, 60.0)]})
    first, second = targets(sim, 2)
    adapter.send(CHARGE, [first], request_id="1")

    with pytest.raises(RateLimited) as limited:
        adapter.send(CHARGE, [second], request_id="2")

    assert limited.value.vendor_said
    assert rate_limited(sim) == 1


def test_a_407_is_not_retried_and_a_retry_inside_the_window_stays_refused(make_adapter, sim):
    """FIELD_NOTES H18: the live quota counts the refused call too. The adapter sends the refused call once
    (no retry inside the call); a try 25 s later is still refused although the first accepted call left the
    window, and one a full window after the refusal goes through."""
    adapter = make_adapter(rate_limit_overrides={"chargeAndDischarge": [(10, 60.0)]})  # ours lets it through
    plants = targets(sim, 4)
    sim.set_speed(0)  # vendor time moves only by advance(): the windows below are exact
    adapter.send(CHARGE, [plants[0]], request_id="1")
    sim.advance(40)
    with pytest.raises(RateLimited) as limited:
        adapter.send(CHARGE, [plants[1]], request_id="2")
    assert limited.value.vendor_said and rate_limited(sim) == 1
    sim.advance(25)  # 65 s after the accepted call, 25 s after the refused one
    with pytest.raises(RateLimited):
        adapter.send(CHARGE, [plants[2]], request_id="3")
    assert rate_limited(sim) == 2
    sim.advance(61)
    adapter.send(CHARGE, [plants[3]], request_id="4")
    sent = [c for c in sim.commands() if c["endpoint"].endswith("chargeAndDischarge")]
    assert len(sent) == 2 and rate_limited(sim) == 2
