"""The adapter against the field profile's answers (FIELD_NOTES H5-H15): values in every form read as
numbers or null, refusals say why, and an answer it cannot read ends the call with that answer."""

from __future__ import annotations

import pytest

from tests.adapters.huawei.helpers import plant_states, rate_limited, targets
from vendors import health
from vendors.base import ChargeDischarge
from vendors.errors import RateLimited, VendorAnswerInvalid, VendorRejected
from vendors.sessions import DEFAULT_PREFIX
from vendors.state import state_store_from_url


@pytest.fixture
def store(harness):
    store = state_store_from_url(harness.state_url, prefix=DEFAULT_PREFIX)
    yield store
    store.close()


def test_kpi_values_as_strings_parse_and_a_healthy_plant_is_ok(make_adapter, sim):
    truth = {s["plantCode"]: s for s in plant_states(sim)[:3]}
    (one, *_) = kpis = make_adapter().realtime_kpis(list(truth))

    assert {k.health for k in kpis} == {"ok"}  # healthState "3" (H5)
    assert one.soc_pct == pytest.approx(truth[one.plant_code]["battery"]["soc"], abs=0.05)  # "57.5" (H6)
    assert isinstance(one.load_power_w, float) and one.load_power_w > 0


@pytest.mark.parametrize("missing", ["N/A", "empty", "object", "null"])
def test_a_value_the_cloud_lacks_is_null_in_every_form(make_adapter, sim, missing):
    sim.set_field(missing_value=missing)
    (plant,) = targets(sim, 1)
    sim.plants_offline([plant.plant_code])

    (kpi,) = make_adapter().realtime_kpis([plant.plant_code])

    assert kpi.health == "offline"
    assert (kpi.pv_power_w, kpi.battery_power_w, kpi.load_power_w, kpi.meter_power_w) == (None,) * 4
    assert kpi.soc_pct is not None  # the last SOC it heard


def test_plants_listed_without_coordinates_take_them_from_the_basic_data_or_none(make_adapter, sim):
    every = sim.field()["switches"]["blank_coordinates_every"]
    truth = {s["plantCode"]: s for s in plant_states(sim)}
    blank = [c for c in truth if int(c.removeprefix("NE=")) % every == 0]
    assert blank, 'the field profile lists some plants with latitude and longitude "" (H13)'

    plants = {p.plant_code: p for p in make_adapter().list_plants()}
    assert plants[blank[0]].latitude == pytest.approx(truth[blank[0]]["latitude"])  # from 9.3.1

    sim.set_field(blank_coordinates_in_details=True)
    (plant,) = make_adapter().plant_details([blank[0]])
    assert (plant.latitude, plant.longitude) == (None, None)


def test_a_407_says_why_and_is_recorded_in_the_account_health(make_adapter, sim, harness, store):
    (plant,) = targets(sim, 1)
    adapter = make_adapter(rate_limit_overrides={"plantRealtimeKpi": [[10, 1]]})  # our limiter lets it by
    adapter.calls.learn_plant_count(120)
    adapter.realtime_kpis([plant.plant_code])
    adapter.realtime_kpis([plant.plant_code])

    with pytest.raises(RateLimited, match="ACCESS_FREQUENCY_IS_TOO_HIGH") as caught:
        adapter.realtime_kpis([plant.plant_code])  # the vendor's third in 5 minutes: 407

    assert caught.value.vendor_said and rate_limited(sim) == 1
    record = health.health_read(store, harness.account(0).key)
    assert record.status == health.RATE_LIMITED and record.rate_limited_until is not None


def test_a_quota_403_is_rate_limited_with_the_gateway_reason(make_adapter, sim, harness, store):
    (plant,) = targets(sim, 1)
    adapter = make_adapter()
    adapter.list_devices([plant.plant_code])
    sim.provoke("quota403", ["/devices"])

    with pytest.raises(RateLimited, match="quotaControl") as caught:
        adapter.list_devices([plant.plant_code])

    assert caught.value.vendor_said and caught.value.retry_after_s > 0
    assert health.health_read(store, harness.account(0).key).status == health.RATE_LIMITED


@pytest.mark.parametrize(
    ("kind", "shows"),
    [("html", "<!DOCTYPE html>"), ("truncated", '{"success"'), ("no_fail_code", '"data": []')],
)
def test_an_unreadable_answer_is_final_and_carries_the_answer(make_adapter, sim, harness, store, kind, shows):
    (plant,) = targets(sim, 1)
    adapter = make_adapter()
    adapter.list_devices([plant.plant_code])
    sim.provoke(kind, ["/devices"])

    with pytest.raises(VendorAnswerInvalid, match="devices") as caught:
        adapter.list_devices([plant.plant_code])

    assert shows in caught.value.message and caught.value.code == "bad_answer"
    assert shows in [r.response_excerpt for r in harness.records if r.endpoint == "devices"][-1]
    record = health.health_read(store, harness.account(0).key)
    assert record.status == health.ERROR and shows in record.last_error
    assert adapter.list_devices([plant.plant_code])  # one bad answer; the next call reads fine
    assert health.health_read(store, harness.account(0).key).status == health.OK


def test_data_of_the_wrong_type_is_an_unreadable_answer(make_adapter, sim):
    (plant,) = targets(sim, 1)
    adapter = make_adapter()
    adapter.calls.learn_plant_count(120)
    sim.provoke("wrong_type", ["plantRealtimeKpi"])

    with pytest.raises(VendorAnswerInvalid, match="data is str, not a list"):
        adapter.realtime_kpis([plant.plant_code])


def test_an_unknown_fail_code_refuses_the_command_with_that_code(make_adapter, sim):
    (plant,) = targets(sim, 1)
    adapter = make_adapter()
    adapter.list_devices([plant.plant_code])
    sim.provoke("unknown_code", ["chargeAndDischarge"])

    with pytest.raises(VendorRejected) as caught:
        adapter.send(ChargeDischarge("charge", "soc", target_soc_pct=90), [plant], request_id="91")

    assert caught.value.code == "29999"
    assert not [c for c in sim.commands() if c["endpoint"].endswith("/chargeAndDischarge")]
