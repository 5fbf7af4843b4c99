"""The simulator's field profile (the default, vendors/huawei/FIELD_NOTES.md): each recorded behaviour is
on, can be switched and provoked from /_sim/field, and the document's answers stay one switch away."""

from __future__ import annotations

import httpx
import pytest

from tests.simulators.huawei.helpers import codes_csv


@pytest.fixture
def field(huawei_sim):
    huawei_sim.control.set_speed(0)
    assert huawei_sim.control.field()["profile"] == "field"  # the default, after the fixture's reset
    return huawei_sim


@pytest.fixture
def plants(field):
    return field.control.plants(account="nbi_user_1", limit=1000)


def test_a_refused_login_is_an_empty_200(field):
    with field.client() as client:
        wrong = client.post("/login", json={"username": "nbi_user_1", "password": "nope"})
        unknown = client.post("/login", json={"username": "nobody", "password": "nope"})
    assert (wrong.status_code, wrong.content) == (200, b"")  # H1
    assert (unknown.status_code, unknown.content) == (200, b"")


def test_expired_sessions_answer_the_bare_forms(field, plants):
    with field.login(0) as client:
        field.control.expire_sessions()
        listed = client.post("/plants", json={"pageNo": 1, "pageSize": 10})
        kpis = client.post("/vpp/plantRealtimeKpi", json={"plantCodes": plants[0]["plantCode"]})
        field.control.set_field(expiry_form="relogin306")
        other = client.post("/plants", json={"pageNo": 1, "pageSize": 10})
    assert listed.json() == {"failCode": 305, "immediately": True, "message": "USER_MUST_RELOGIN"}  # H2
    assert (kpis.status_code, kpis.content) == (200, b"")  # H4
    assert other.json() == {"failCode": 306, "immediately": True, "message": "USER_MUST_RELOGIN"}  # H3


def test_kpis_come_as_strings_healthy_is_3_and_missing_is_na(field, plants):
    field.control.plants_offline([plants[1]["plantCode"]])
    with field.login(0) as client:
        answer = client.post("/vpp/plantRealtimeKpi", json={"plantCodes": codes_csv(plants[:2])}).json()
    live, offline = (row["dataItemMap"] for row in answer["data"])
    assert live["healthState"] == "3" and live["batteryDOD"] == "90.0"  # H5, H7
    assert float(live["batterySOC"]) == pytest.approx(plants[0]["battery"]["soc"], abs=0.05)  # H6
    assert (offline["healthState"], offline["pvPower"]) == ("1", "N/A")
    assert answer["params"]["plantCodes"] == codes_csv(plants[:2])  # H12


def test_a_407_says_why_in_data(field, plants):
    body = {"plantCodes": plants[0]["plantCode"]}
    with field.login(0) as client:
        for _ in range(2):
            client.post("/vpp/plantRealtimeKpi", json=body)
        refused = client.post("/vpp/plantRealtimeKpi", json=body).json()
    assert (refused["failCode"], refused["data"], refused["message"]) == (
        407,
        "ACCESS_FREQUENCY_IS_TOO_HIGH",
        None,
    )


def test_every_seventh_plant_lists_blank_coordinates(field, plants):
    with field.login(0) as client:
        rows = client.post("/plants", json={"pageNo": 1, "pageSize": 100}).json()["data"]["list"]
    blank = [r for r in rows if r["latitude"] == ""]
    assert blank and all(int(r["plantCode"].removeprefix("NE=")) % 7 == 0 for r in blank)  # H13
    assert all(r["longitude"] == "" for r in blank)


@pytest.mark.parametrize(
    ("kind", "status", "starts"),
    [("quota403", 403, '{"errorCode": "49401021002"'), ("html", 200, "<!DOCTYPE html>"), ("empty", 200, "")],
)
def test_provoked_answers_hit_the_next_calls_only(field, kind, status, starts):
    field.control.provoke(kind, ["/devices"], count=1)
    with field.login(0) as client:
        body = {"plantCodes": field.control.plants(account="nbi_user_1", limit=1)[0]["plantCode"]}
        first = client.post("/devices", json={**body, "pageNo": 1, "pageSize": 100})
        field.control.advance(61)
        second = client.post("/devices", json={**body, "pageNo": 1, "pageSize": 100})
    assert first.status_code == status and first.text.startswith(starts)
    assert second.json()["failCode"] == 0
    assert field.control.field()["provocations"] == [{"kind": kind, "paths": ["/devices"], "remaining": 0}]


def test_the_document_profile_and_bad_switches(field):
    control = field.control
    assert control.set_field(profile="document")["profile"] == "document"
    with field.client() as client:
        wrong = client.post("/login", json={"username": "nbi_user_1", "password": "nope"}).json()
    assert wrong["failCode"] == 20400
    for bad in ({"expiry_form": "sometimes"}, {"healthy_state": -1}, {"no_such_switch": True}):
        response = httpx.post(f"{field.base_url}/_sim/field", json=bad)
        assert response.status_code == 400
    assert control.field()["switches"]["expiry_form"] == "envelope"  # nothing changed
    response = httpx.post(f"{field.base_url}/_sim/field/provoke", json={"kind": "meteor"})
    assert response.status_code == 400 and control.field()["provocations"] == []
    control.reset()
    assert control.field()["profile"] == "field"


def test_a_login_can_be_refused_with_30029(field, plants):
    """H16: provoked, the next login answers failCode 30029 in the envelope; the one after logs in."""
    field.control.provoke("auth30029")
    with field.client() as client:
        user, password = field.accounts[0]
        refused = client.post("/login", json={"username": user, "password": password})
        again = client.post("/login", json={"username": user, "password": password})
        listed = client.post("/plants", json={"pageNo": 1, "pageSize": 10})  # not a login: never hit
    assert refused.json()["failCode"] == 30029 and refused.json()["success"] is False
    assert again.json()["failCode"] == 0
    assert listed.json().get("failCode") != 30029
    assert [p["remaining"] for p in field.control.field()["provocations"]] == [0]


def test_a_refused_call_counts_toward_the_quota_in_the_field(field, plants):
    """H18: a once-a-minute read retried 30 s after its 407 is still refused 61 s after the first call (the
    retry counted); in the document only accepted calls count."""

    def codes_at(offsets):
        out = []
        with field.login(0) as client:
            last = 0
            for at in offsets:
                field.control.advance(at - last)
                last = at
                out.append(client.post("/plants", json={"pageNo": 1, "pageSize": 10}).json()["failCode"])
        return out

    assert codes_at([0, 30, 61, 122]) == [0, 407, 407, 0]
    field.control.reset()
    field.control.set_speed(0)
    field.control.set_field(quota_counts_refused=False)
    assert codes_at([0, 30, 61]) == [0, 407, 0]


def test_device_rows_in_the_v6_form(field, plants):
    """H20: /thirdData/getDevList always, 9.2.2 when switched: V6 type ids, no SN on dongles and meters."""
    code = next(p["plantCode"] for p in plants if p["battery"] is not None)
    with field.login(0) as client:
        v7 = client.post("/devices", json={"plantCodes": code, "pageNo": 1, "pageSize": 100}).json()
        token = client.headers["XSRF-TOKEN"]
    field.control.advance(61)  # both lists share 9.2.2's once a minute
    with httpx.Client(base_url=field.base_url, headers={"XSRF-TOKEN": token}) as v6_client:
        v6 = v6_client.post("/thirdData/getDevList", json={"stationCodes": code}).json()
    assert v7["failCode"] == 0 and v6["failCode"] == 0, (v7, v6)
    assert {r["deviceTypeId"] for r in v7["data"]["list"]} <= {20822, 20815, 20821, 20819, 20816}
    types = {r["devTypeId"] for r in v6["data"]}
    assert 1 in types and 39 in types and types <= {1, 39, 2, 62, 47}
    assert all(r["esnCode"] is None for r in v6["data"] if r["devTypeId"] in (62, 47))
    assert all(r["esnCode"] for r in v6["data"] if r["devTypeId"] == 1)
    field.control.set_field(v6_device_rows=True)
    field.control.advance(61)
    with field.login(0) as client:
        rows = client.post("/devices", json={"plantCodes": code, "pageNo": 1, "pageSize": 100}).json()
    assert {r["deviceTypeId"] for r in rows["data"]["list"]} == types
