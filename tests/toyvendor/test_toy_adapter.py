"""The toy adapter against its simulator, with no Django: built through the registry as the workers build
it, it enrols, reads, charges to a target, treats a repeated request identity as accepted and answers what
it cannot do as unsupported."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.plugins.celery_worker import wait_for
from tests.toyvendor.spec import SPEC
from vendors import registry
from vendors.base import AccountConfig, ChargeDischarge, Outcome, PlantTarget, SentTask, SetDod, TaskState
from vendors.errors import AuthFailed
from vendors.ratelimit import SQLiteRateLimiter


@pytest.fixture
def make_adapter(toy_sim, tmp_path):
    made = []

    def make(secret: str | None = None):
        account = AccountConfig(
            key="toyvendor:test",
            vendor=SPEC.name,
            base_url=toy_sim.base_url,
            username="",
            secret=secret or toy_sim.api_key,
            clock_speed=toy_sim.speed,
            allow_private_network=True,
        )
        limiter = SQLiteRateLimiter(str(tmp_path / f"limits-{len(made)}.sqlite3"))
        adapter = registry.build_adapter(account, limiter=limiter, state_url=f"sqlite:///{tmp_path}/state")
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        adapter.close()


def test_enrol_read_charge_to_a_target_and_resend_the_same_request(make_adapter, toy_sim):
    adapter = make_adapter()
    codes = [p["auth_code"] for p in toy_sim.plants().values()]
    enrolled = adapter.enrol_by_ac(codes)
    assert all(r.success for r in enrolled) and len(enrolled) == 3
    (plant, *_) = adapter.list_plants()
    (kpi,) = adapter.realtime_kpis([plant.plant_code])
    assert {d.device_type for d in adapter.list_devices([plant.plant_code])} == {"inverter", "battery"}

    target = PlantTarget(plant_code=plant.plant_code)
    charge = ChargeDischarge(action="charge", control="soc", target_soc_pct=kpi.soc_pct + 5, power_w=4000)
    sent = adapter.send(charge, [target], request_id="4242")
    (result,) = sent.results
    assert result.outcome == Outcome.ACCEPTED and result.remote_id and not sent.duplicate
    again = adapter.send(charge, [target], request_id="4242")  # a retry after a lost answer
    assert again.duplicate and again.results[0].remote_id == result.remote_id
    assert len(toy_sim.control.commands()) == 1  # the battery got one command

    task = SentTask(target=target, remote_id=result.remote_id, sent_at=datetime.now(UTC))
    done = wait_for(
        lambda: [s for s in adapter.poll(charge, "4242", [task]) if s.state == TaskState.COMPLETED],
        timeout_s=60,
        message="the charge to reach its target",
    )
    expected_kwh = 5 / 100 * plant.battery_rated_kwh
    assert done[0].charged_kwh == pytest.approx(expected_kwh, abs=0.01)
    assert toy_sim.plants()[plant.plant_code]["soc"] == pytest.approx(kpi.soc_pct + 5, abs=0.01)

    (stop,) = adapter.send(ChargeDischarge(action="stop"), [target], request_id="4243").results
    assert stop.final and stop.state == TaskState.COMPLETED
    (dod,) = adapter.send(SetDod(dod_pct=80), [target], request_id="4244").results
    assert dod.outcome == Outcome.UNSUPPORTED


def test_an_unknown_key_is_refused_as_auth_failed(make_adapter):
    with pytest.raises(AuthFailed):
        make_adapter(secret="not-a-key").list_plants()
