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
