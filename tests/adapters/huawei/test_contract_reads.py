"""Contract: login, plant list, device list, basic data, rated data and realtime KPIs (NBI V7 9.1.1, 9.2.1,
9.2.2, 9.3.1, 9.6.1.5, 9.3.2) in the field's shapes (tests/fixtures/huawei), through the real adapter, and
the simulator's answers in the same shapes."""

from __future__ import annotations

import pytest

from tests.adapters.huawei.replay import TOKEN, fixture, shape_mismatches
from vendors.errors import AuthFailed, RateLimited


def test_login_token_in_a_cookie_and_a_bare_expiry_form_cost_one_relogin(cloud, replayed):
    cloud.answer("vpp/plantRatedData", fixture("expired_306.json"), fixture("plant_rated_data.json"))

    rated = replayed.rated_data(["NE=33554433", "NE=33554465"])

    assert [r.rated_active_power_w for r in rated] == [5000.0, 3000.0]
    assert len(cloud.calls("login")) == 2  # the first session, and one after the 306
    assert [t for n, _, t in cloud.requests if n == "vpp/plantRatedData"] == [TOKEN, TOKEN]


def test_an_empty_login_answer_is_refused_once_and_not_repeated(cloud, replayed):
    cloud.answer("login", "")  # FIELD_NOTES H1
    for _ in range(3):
        with pytest.raises(AuthFailed):
            replayed.rated_data(["NE=33554433"])
    assert len(cloud.calls("login")) == 1


def test_plant_list_and_basic_data(cloud, replayed, served):
    cloud.answer("plants", fixture("plants.json"))
    cloud.answer("vpp/plants", fixture("vpp_plants.json"))
    cloud.answer("vpp/plantRatedData", fixture("plant_rated_data.json"))

    berlin, blank = replayed.list_plants()

    assert (berlin.latitude, berlin.longitude, berlin.pv_capacity_kwp) == (52.550471, 13.215046, 5.03)
    assert (berlin.battery_rated_kwh, berlin.inverter_rated_power_w) == (20.0, 5000.0)
    assert (blank.latitude, blank.longitude) == (None, None)  # "" in both lists (H13)
    assert blank.inverter_rated_power_w == 3000.0  # no inverterPower: the rated active power (9.6.1.5)

    codes = ",".join(p["plantCode"] for p in served.plants()[:2])
    for name, interface, body in (
        ("plants.json", "plants", {"pageNo": 1, "pageSize": 100}),
        ("vpp_plants.json", "vpp/plants", {"plantCodes": codes}),
        ("plant_rated_data.json", "vpp/plantRatedData", {"plantCodes": codes}),
    ):
        assert shape_mismatches(fixture(name), served(interface, body)) == [], name


def test_device_list(cloud, replayed, served):
    cloud.answer("devices", fixture("devices.json"))

    devices = replayed.list_devices(["NE=33554433"])

    assert [(d.dn, d.device_type) for d in devices] == [
        ("NE=33554434", "inverter"),
        ("NE=33554435", "logger"),
        ("NE=33554436", "battery"),
        ("NE=33554437", "battery"),  # a V6 type id (39) with a null SN (H20)
    ]
    assert devices[0].rated_power_w == 5000.0 and devices[3].sn == ""
    code = served.plants()[0]["plantCode"]
    answer = served("devices", {"plantCodes": code, "pageNo": 1, "pageSize": 100})
    assert shape_mismatches(fixture("devices.json"), answer) == []


def test_realtime_kpis_in_every_value_form(cloud, replayed, served):
    cloud.answer("vpp/plantRealtimeKpi", fixture("plant_realtime_kpi.json"))
    replayed.calls.learn_plant_count(4)

    kpis = {k.plant_code: k for k in replayed.realtime_kpis(["NE=33554433", "NE=33554465"])}

    live, offline, odd, document = (
        kpis["NE=33554433"], kpis["NE=33554465"], kpis["NE=33554441"], kpis["NE=33554449"]
    )  # fmt: skip
    assert (live.soc_pct, live.pv_power_w, live.load_power_w, live.health) == (24.6, 1250.0, 2700.0, "ok")
    assert live.battery_power_w == 500.0  # the vendor's -0.5 kW (charging) is +500 W in ours
    assert (offline.pv_power_w, offline.battery_power_w, offline.health) == (None, None, "offline")
    assert (odd.soc_pct, odd.pv_power_w, odd.meter_power_w, odd.health) == (None, None, None, "fault")
    assert odd.battery_power_w == 0.0 and odd.load_power_w == 400.0
    assert (document.soc_pct, document.health) == (80.0, "ok")  # the document's plain numbers, 0 healthy

    codes = ",".join(p["plantCode"] for p in served.plants()[:2])
    answer = served("vpp/plantRealtimeKpi", {"plantCodes": codes})
    assert shape_mismatches(fixture("plant_realtime_kpi.json"), answer) == []
    assert {row["dataItemMap"]["healthState"] for row in answer["data"]} == {"3"}


def test_a_407_with_its_reason_in_data_and_a_quota_403(cloud, replayed):
    cloud.answer("vpp/plantRatedData", fixture("rate_limited_407.json"))
    with pytest.raises(RateLimited, match="ACCESS_FREQUENCY_IS_TOO_HIGH"):
        replayed.rated_data(["NE=33554433"])
    cloud.answer("vpp/plantRatedData", fixture("quota_403.json"), status=403)
    with pytest.raises(RateLimited, match="quotaControl"):
        replayed.rated_data(["NE=33554433"])
    assert len(cloud.calls("vpp/plantRatedData")) == 2  # neither was repeated
