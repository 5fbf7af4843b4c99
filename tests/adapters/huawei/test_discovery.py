"""Plants (NBI V7 9.2.1 + 9.3.1), devices (9.2.2), rated data (9.6.1.5) and real-time KPIs (9.3.2)."""

from __future__ import annotations

import pytest

from tests.adapters.huawei.helpers import plant_states, rate_limited, targets
from vendors.base import ChargeDischarge


def test_list_plants_pages_through_the_account_with_battery_and_inverter_data(make_adapter, sim):
    truth = {s["plantCode"]: s for s in plant_states(sim)}

    plants = make_adapter().list_plants()

    assert len(truth) > 100  # two pages of 100
    assert {p.plant_code for p in plants} == set(truth)
    for plant in plants[:5] + plants[-5:]:
        state = truth[plant.plant_code]
        assert plant.name == state["plantName"]
        assert plant.pv_capacity_kwp == state["capacityKwp"]
        assert plant.battery_rated_kwh == state["battery"]["ratedKwh"]
        assert plant.inverter_rated_power_w and plant.inverter_rated_power_w > 0
        assert plant.latitude == pytest.approx(state["latitude"])
    assert rate_limited(sim) == 0


@pytest.mark.parametrize("v6_rows", [False, True], ids=["v7-ids", "v6-ids-null-sn"])
def test_list_devices_maps_vendor_device_types(make_adapter, sim, v6_rows):
    """Also with the field's V6 type ids and null SNs (FIELD_NOTES H20): the same kinds, SN "" not None."""
    plants = plant_states(sim)[:120]
    codes = [p["plantCode"] for p in plants]
    sim.set_field(v6_device_rows=v6_rows)

    devices = make_adapter().list_devices(codes)

    truth = {d["dn"]: (p["plantCode"], d["deviceTypeId"]) for p in plants for d in p["devices"]}
    assert {d.dn for d in devices} == set(truth)  # two requests (100 + 20 plants), pages of 100
    kinds = {20815: "battery", 20822: "inverter", 20821: "logger", 20819: "logger", 20816: "meter"}
    for device in devices:
        assert device.plant_code == truth[device.dn][0]
        assert device.device_type == kinds[truth[device.dn][1]]
    battery = next(d for d in devices if d.device_type == "battery")
    assert battery.extra["ratedCapacity"] > 0
    inverter = next(d for d in devices if d.device_type == "inverter")
    assert inverter.rated_power_w and inverter.rated_power_w >= 1000  # kW -> W
    assert all(isinstance(d.sn, str) for d in devices) and all(
        d.sn for d in devices if d.device_type == "inverter"
    )
    blank = {d.device_type for d in devices if d.sn == ""}
    assert blank == ({"logger", "meter"} & {d.device_type for d in devices} if v6_rows else set())


def test_rated_data_in_watts(make_adapter, sim):
    adapter = make_adapter()
    (plant,) = plant_states(sim)[:1]

    (rated,) = adapter.rated_data([plant["plantCode"]])
    inverters = [d for d in adapter.list_devices([plant["plantCode"]]) if d.device_type == "inverter"]

    assert rated.plant_code == plant["plantCode"]
    assert rated.rated_active_power_w == pytest.approx(sum(d.rated_power_w for d in inverters))
    assert rated.rated_apparent_power_va > rated.rated_active_power_w


def test_realtime_kpis_use_our_sign_conventions(make_adapter, sim):
    adapter = make_adapter()
    charging, discharging = targets(sim, 2, where=lambda s: 30 < s["battery"]["soc"] < 70)
    adapter.send(
        ChargeDischarge("charge", "duration", duration_min=600, power_w=2000), [charging], request_id="1"
    )
    adapter.send(
        ChargeDischarge("discharge", "duration", duration_min=600, power_w=2000),
        [discharging],
        request_id="2",
    )
    sim.advance(60)
    everything = [s["plantCode"] for s in plant_states(sim)]  # 120 plants: two requests

    kpis = {k.plant_code: k for k in adapter.realtime_kpis(everything)}

    assert set(kpis) == set(everything)
    # vendors.base.PlantKpi: battery > 0 charging (the vendor's batteryPower > 0 means discharging).
    assert kpis[charging.plant_code].battery_power_w == pytest.approx(2000)
    assert kpis[discharging.plant_code].battery_power_w == pytest.approx(-2000)
    kpi = kpis[charging.plant_code]
    truth = sim.plant(charging.plant_code)
    assert kpi.soc_pct == pytest.approx(truth["battery"]["soc"], abs=2)  # read a few sim seconds apart
    assert kpi.health == "ok" and kpi.measured_at is not None
    # meter > 0 exporting: PV + battery discharge - load - battery charge, in W.
    assert kpi.meter_power_w == pytest.approx(kpi.pv_power_w - kpi.battery_power_w - kpi.load_power_w, abs=2)
    assert rate_limited(sim) == 0


def test_realtime_kpis_learn_the_plant_count_before_spending_the_per_5_minute_budget(
    make_adapter, sim, harness
):
    adapter = make_adapter()
    everything = [s["plantCode"] for s in plant_states(sim)]

    adapter.realtime_kpis(everything)  # 120 plants: Roundup(120/100) = 2 calls per 5 minutes
    endpoints = [r.endpoint for r in harness.records]

    assert endpoints.count("plants") == 1  # the count comes from 9.2.1's total, once
    assert endpoints.count("plantRealtimeKpi") == 2
    assert rate_limited(sim) == 0
