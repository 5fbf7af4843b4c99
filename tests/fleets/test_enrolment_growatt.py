"""Enrolling Growatt dataloggers by SN and check code (Growatt 4.3.10 validate, 4.3.2 add) against the
simulator over HTTP: each becomes a plant with its devices and timezone; a wrong check code or an unknown SN
fails with the vendor's reason; the simulator never refused a call as too frequent (10012)."""

import time

import pytest

from fleets.enrolments import enrolment_process
from fleets.models import Device, EnrolmentItem, Plant
from fleets.telemetry import telemetry_sync_account
from tests.plugins.fleet_sims import EnrolSim, vendor_account_on
from vendors.growatt.simulator.control import GrowattSimControl
from vendors.simkit.launcher import running_simulator


def run_to_the_end(enrolment_id: int, timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        outcome = enrolment_process(enrolment_id=enrolment_id)
        if outcome.retry_after_s is None:
            return
        time.sleep(outcome.retry_after_s)
    pytest.fail("the enrolment did not finish")


@pytest.mark.django_db(transaction=True)
def test_enrol_dataloggers_by_sn_and_check_code(growatt_enrol_sim, bob_api, org):
    sim = growatt_enrol_sim
    account = vendor_account_on(sim, org)
    waiting = sim.waiting(55)
    items = [
        {
            "sn": unit["datalogger_sn"],
            "check_code": unit["check_code"],
            "plant_name": f"Home {i}",
            "timezone": unit["timezone"],  # where the home is: the new plant runs its windows in it
        }
        for i, unit in enumerate(waiting[:50])
    ]
    wrong_code = [{"sn": unit["datalogger_sn"], "check_code": "ZZZZZZ"} for unit in waiting[50:55]]
    unknown = [{"sn": f"JPC99{i:05d}", "check_code": "ABCDEF"} for i in range(5)]
    response = bob_api.post(
        "/api/v1/enrolments",
        {"vendor_account": account.pk, "method": "sn", "items": items + wrong_code + unknown},
        format="json",
    )
    assert response.status_code == 202, response.json()
    run_to_the_end(response.json()["id"])

    detail = bob_api.get(f"/api/v1/enrolments/{response.json()['id']}").json()
    assert (detail["state"], detail["succeeded_count"], detail["failed_count"]) == ("completed", 50, 10)
    reasons = [item["reason"] for item in detail["items"][50:]]
    assert all(reason for reason in reasons)
    assert all("10002" in reason for reason in reasons[:5]), reasons  # 4.3.10: SN and check code do not match

    plants = Plant.objects.filter(vendor_account=account, enrolment_method="sn")
    assert plants.count() == 50
    assert set(plants.values_list("name", flat=True)) == {f"Home {i}" for i in range(50)}
    truth = {unit["datalogger_sn"]: unit for unit in waiting[:50]}
    for item in EnrolmentItem.objects.filter(enrolment_id=response.json()["id"], state="succeeded"):
        plant = item.plant
        unit = truth[item.sn]
        assert plant.timezone == unit["timezone"]
        sns = set(Device.objects.filter(plant=plant).values_list("sn", flat=True))
        assert {unit["datalogger_sn"], unit["inverter_sn"], unit["storage_sn"]} <= sns

    # Their realtime state, without one "too frequent" answer.
    outcome = telemetry_sync_account(account_id=account.pk)
    assert outcome.plants == Plant.objects.filter(vendor_account=account).count()
    assert not plants.filter(soc_pct__isnull=True).exists()
    assert sim.control.stats()["totals"]["rate_limited"] == 0


@pytest.mark.django_db(transaction=True)
def test_enrolled_hybrids_get_their_family_battery_size_and_capabilities(bob_api, org):
    """Dataloggers of an SP machine, a MIN, an SPH and an SPA: enrolment's discovery stores each family
    (device/list types 2, 7, 5, 6) and the hybrids' battery size (bmsGaugeFCC x vbat)."""
    # One plant already there: it tells enrolment the end user (c_user_id) new plants belong to.
    args = ("--plants", "1", "--accounts", "1", "--unenrolled", "4", "--speed", "600", "--seed", "31")
    with running_simulator(
        "vendors.growatt.simulator", *args, "--families", "storage,tlx,mix,spa"
    ) as process:
        _, base_url = process
        with GrowattSimControl(base_url) as control:
            owner = control.accounts()[0]
            sim = EnrolSim("growatt", base_url, control, 600.0, str(owner["user_name"]), owner["token"])
            waiting = sim.waiting(4)
            account = vendor_account_on(sim, org)
            items = [{"sn": u["datalogger_sn"], "check_code": u["check_code"], "plant_name": f"Hybrid {i}",
                      "timezone": u["timezone"]} for i, u in enumerate(waiting)]  # fmt: skip
            response = bob_api.post(
                "/api/v1/enrolments",
                {"vendor_account": account.pk, "method": "sn", "items": items},
                format="json",
            )
            assert response.status_code == 202, response.json()
            run_to_the_end(response.json()["id"])
    detail = bob_api.get(f"/api/v1/enrolments/{response.json()['id']}").json()
    assert detail["succeeded_count"] == 4, detail
    families = {}
    for unit in waiting:
        plant = Plant.objects.get(vendor_account=account, name=f"Hybrid {waiting.index(unit)}")
        shown = bob_api.get(f"/api/v1/plants/{plant.pk}").json()["capabilities"]
        families[unit["family"]] = ([c["family"] for c in shown], plant.battery_usable_kwh)
    assert families["storage"][0] == ["storage"]
    for family in ("tlx", "mix", "spa"):
        names, kwh = families[family]
        assert names == [family]
        true_kwh = next(u for u in waiting if u["family"] == family)["units"][0]["capacity_wh"] / 1000
        assert kwh == pytest.approx(true_kwh, rel=0.1)
