"""Enrolment by device SN (NBI V7 9.6.1.1) and by authorisation code (9.6.1.2)."""

from __future__ import annotations

from tests.adapters.huawei.helpers import plant_states
from vendors.base import SnEnrolment


def waiting(sim) -> list[dict]:
    return sim.plants(enrolled=False, limit=1000)


def test_enrol_by_sn_with_each_owner_identity_and_the_documented_failures(make_adapter, sim):
    adapter = make_adapter()
    a, b, c, d = waiting(sim)[:4]
    items = [
        SnEnrolment(sn=a["enrolmentSns"][0], username=a["owner"]["username"]),
        SnEnrolment(sn=b["enrolmentSns"][0], email=b["owner"]["email"]),
        SnEnrolment(sn=c["enrolmentSns"][0], phone=c["owner"]["phone"]),
        SnEnrolment(sn=d["enrolmentSns"][0], email="someone.else@example.com"),  # not the owner
        SnEnrolment(sn=d["enrolmentSns"][0]),  # no identity at all
        SnEnrolment(sn="HV9999999999", username=a["owner"]["username"]),  # unknown SN
    ]

    results = adapter.enrol_by_sn(items)

    assert [r.key for r in results] == [i.sn for i in items]
    assert [r.success for r in results] == [True, True, True, False, False, False]
    assert [r.plant_code for r in results[:3]] == [a["plantCode"], b["plantCode"], c["plantCode"]]
    assert results[0].plant_name == a["plantName"]
    assert "No SN/username, email, or phone number is found" in results[3].error
    assert "username, email or phone" in results[4].error  # refused here: never sent to the vendor
    assert "No SN" in results[5].error
    assert {sim.plant(p["plantCode"])["account"] for p in (a, b, c)} == {"nbi_user_1"}
    assert sim.plant(d["plantCode"])["account"] is None
    (logged,) = [c for c in sim.commands() if c["endpoint"].endswith("/snEnrolment")]
    assert len(logged["params"]["sns"]) == 5


def test_enrol_by_authorisation_code_and_again_harmlessly(make_adapter, sim):
    adapter = make_adapter()
    a, b = waiting(sim)[:2]
    (other_accounts,) = plant_states(sim, "nbi_user_2")[:1]

    codes = [
        a["authorizationCode"],
        b["authorizationCode"],
        "00000000000",
        other_accounts["authorizationCode"],
    ]
    first = adapter.enrol_by_ac(codes)
    again = adapter.enrol_by_ac(codes[:1])

    assert [r.success for r in first] == [True, True, False, False]
    assert [r.plant_code for r in first[:2]] == [a["plantCode"], b["plantCode"]]
    assert first[2].error == "Not found authorization code"
    assert "another northbound user" in first[3].error
    assert again[0].success and again[0].plant_code == a["plantCode"]
