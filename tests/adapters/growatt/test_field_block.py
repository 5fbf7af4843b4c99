"""Growatt blocks an account for 24 h after too many queries or failed logins (FIELD_NOTES "24 h block"):
the adapter recognises the answer, records it (the shared state and the account's health) and makes no
call at all until it ends, from any process; then it carries on by itself.
"""

from __future__ import annotations

import time

import pytest
import time_machine

from vendors.base import ChargeDischarge
from vendors.errors import RateLimited
from vendors.health import health_read


def test_a_24_hour_block_is_recorded_and_waited_out_without_calls(growatt):
    plant = growatt.plants()[0]
    code = str(plant["plant_id"])
    adapter = growatt.adapter()
    growatt.control.block(["account-1"], hours=24)

    with pytest.raises(RateLimited) as blocked:
        adapter.realtime_kpis([code])
    assert blocked.value.vendor_said is True
    day = 86_400 / growatt.sim.speed  # the vendor's 24 h in our seconds
    assert day * 0.9 < blocked.value.retry_after_s <= day
    health = health_read(adapter.calls._health_store, adapter.account.key)
    assert health["state"] == "blocked" and health["blocked_until"] > time.time()
    assert "locked for 24 hours" in health["last_error"]

    calls = len(growatt.records)
    other = growatt.adapter()  # another process of the same account knows it too
    for call in (
        lambda: adapter.realtime_kpis([code]),
        lambda: other.list_plants(),
        lambda: other.send(ChargeDischarge("charge", "duration", duration_min=30), [growatt.target(plant)],
                           request_id="during-block"),
    ):  # fmt: skip
        with pytest.raises(RateLimited) as again:
            call()
        assert again.value.vendor_said is False and again.value.retry_after_s > 0
    assert len(growatt.records) == calls  # not one HTTP exchange while blocked

    growatt.control.advance(86_400)  # the vendor's day passes ...
    with time_machine.travel(health["blocked_until"] + 1, tick=True):  # ... and ours
        (kpi,) = adapter.realtime_kpis([code])
        assert kpi.soc_pct is not None
        assert health_read(adapter.calls._health_store, adapter.account.key)["state"] == "ok"
    assert len(growatt.records) > calls
