"""Enrolling 1,000 Huawei plants by SN and by authorisation code against the simulator over HTTP: every item
ends succeeded (plant created, devices discovered, capacities and timezone filled in) or failed with the
vendor's reason, the API shows it all, and the simulator never answered 407."""

import time

import pytest

from fleets.enrolments import enrolment_process
from fleets.models import Device, Enrolment, EnrolmentItem, Plant, VendorCall
from tests.plugins.fleet_sims import vendor_account_on


def run_to_the_end(enrolment_id: int, timeout_s: float = 240) -> tuple[float, int]:
    """Run the enrolment as its task would, honouring rate-limit pauses; returns (seconds, runs)."""
    started, runs = time.monotonic(), 0
    while time.monotonic() - started < timeout_s:
        outcome = enrolment_process(enrolment_id=enrolment_id)
        runs += 1
        if outcome.retry_after_s is None:
            return time.monotonic() - started, runs
        time.sleep(outcome.retry_after_s)
    pytest.fail("the enrolment did not finish")


def post(client, body):
    response = client.post("/api/v1/enrolments", body, format="json")
    assert response.status_code == 202, response.json()
    assert response.json()["state"] == "pending"
    assert len(response.json()["items"]) == len(body["items"])
    return response.json()["id"]


def identity(n: int, owner: dict) -> dict:
    """Rotate through the three identities the vendor accepts (NBI V7 9.6.1.1)."""
    key = ("email", "username", "phone")[n % 3]
    return {key: owner[key]}


def assert_no_407(sim):
    assert sim.control.stats()["totals"]["rate_limited"] == 0


@pytest.mark.django_db(transaction=True)
def test_enrol_1000_plants_by_sn_some_failing_for_the_vendors_reasons(huawei_enrol_sim, alice_api, org):
    sim = huawei_enrol_sim
    account = vendor_account_on(sim, org)
    waiting = sim.waiting(1000)
    items = [{"sn": p["enrolmentSns"][0], **identity(i, p["owner"])} for i, p in enumerate(waiting[:990])]
    wrong_owner = [
        {"sn": p["enrolmentSns"][0], "email": "somebody.else@example.com"} for p in waiting[990:995]
    ]
    unknown_sn = [{"sn": f"HV99999{i:05d}", "email": "owner_1@example.com"} for i in range(5)]
    enrolment_id = post(
        alice_api, {"vendor_account": account.pk, "method": "sn", "items": items + wrong_owner + unknown_sn}
    )

    seconds, runs = run_to_the_end(enrolment_id)

    enrolment = Enrolment.objects.get(pk=enrolment_id)
    assert enrolment.state == "completed", enrolment.error
    states = dict(EnrolmentItem.objects.filter(enrolment=enrolment).values_list("position", "state"))
    assert [states[i] for i in range(1000)] == ["succeeded"] * 990 + ["failed"] * 10
    reasons = set(
        EnrolmentItem.objects.filter(enrolment=enrolment, state="failed").values_list("reason", flat=True)
    )
    assert reasons == {"No SN/username, email, or phone number is found"}  # the vendor's errorMsg, verbatim

    truth = {p["plantCode"]: p for p in waiting[:990]}
    plants = {p.plant_code: p for p in Plant.objects.filter(vendor_account=account, enrolment_method="sn")}
    assert set(plants) == set(truth)
    for code, plant in plants.items():
        expected = truth[code]
        assert plant.name == expected["plantName"]
        assert plant.timezone == expected["timezone"]
        assert plant.battery_rated_kwh == expected["battery"]["ratedKwh"]
        assert 0 < plant.battery_usable_kwh <= plant.battery_rated_kwh
        assert plant.inverter_rated_power_w > 0
        assert plant.pv_capacity_kwp == expected["capacityKwp"]
        assert plant.synced_at is not None
    devices = Device.objects.filter(plant__vendor_account=account, plant__enrolment_method="sn")
    assert devices.count() == sum(len(p["devices"]) for p in waiting[:990])
    assert set(devices.values_list("device_type", flat=True)) >= {"inverter", "battery", "logger"}
    assert_no_407(sim)

    calls = VendorCall.objects.filter(context__enrolment=enrolment_id)
    print(
        f"\nenrolled 990/1000 plants by SN in {seconds:.1f} s real ({seconds * sim.speed / 60:.0f} vendor "
        f"minutes at speed {sim.speed:g}), {runs} run(s), {calls.count()} vendor calls "
        f"({calls.filter(endpoint__icontains='snEnrolment').count()} snEnrolment), 407s: 0"
    )


@pytest.mark.django_db(transaction=True)
def test_enrol_1000_plants_by_authorisation_code_and_see_them_through_the_api(
    huawei_enrol_sim, alice_api, org
):
    sim = huawei_enrol_sim
    account = vendor_account_on(sim, org)
    waiting = sim.waiting(1000)
    codes = [p["authorizationCode"] for p in waiting[:995]] + [f"NMI00000{i:03d}" for i in range(5)]
    enrolment_id = post(
        alice_api,
        {"vendor_account": account.pk, "method": "ac", "items": [{"authorization_code": c} for c in codes]},
    )
    run_to_the_end(enrolment_id)

    detail = alice_api.get(f"/api/v1/enrolments/{enrolment_id}").json()
    assert (detail["state"], detail["succeeded_count"], detail["failed_count"]) == ("completed", 995, 5)
    failed = [item for item in detail["items"] if item["state"] == "failed"]
    assert {item["authorization_code"] for item in failed} == set(codes[995:])
    assert {item["reason"] for item in failed} == {"Not found authorization code"}
    assert all(item["plant"] and item["plant_code"] for item in detail["items"][:995])

    listed = alice_api.get("/api/v1/plants?enrolment_method=ac&page_size=500").json()
    assert listed["count"] == 995
    assert all(p["device_count"] >= 3 and p["battery_usable_kwh"] > 0 for p in listed["results"])
    one = alice_api.get(f"/api/v1/plants/{listed['results'][0]['id']}").json()
    truth = sim.control.plant(one["plant_code"])
    assert sorted(d["sn"] for d in one["devices"]) == sorted(d["sn"] for d in truth["devices"])
    assert one["battery_rated_kwh"] == truth["battery"]["ratedKwh"]
    big = alice_api.get("/api/v1/plants?enrolment_method=ac&battery_usable_kwh_min=14&page_size=1").json()
    assert 0 < big["count"] < 995
    assert_no_407(sim)


@pytest.mark.django_db(transaction=True)
def test_re_enrolling_an_enrolled_plant_is_harmless(huawei_enrol_sim, alice_api, org):
    sim = huawei_enrol_sim
    account = vendor_account_on(sim, org)
    waiting = sim.waiting(3)
    first = post(
        alice_api,
        {
            "vendor_account": account.pk,
            "method": "sn",
            "items": [{"sn": p["enrolmentSns"][0], "email": p["owner"]["email"]} for p in waiting],
        },
    )
    run_to_the_end(first)
    plant_ids = set(Plant.objects.values_list("pk", flat=True))
    assert len(plant_ids) == 3

    # Another SN of the same plants, and then their authorisation codes.
    again = post(
        alice_api,
        {
            "vendor_account": account.pk,
            "method": "sn",
            "items": [{"sn": p["enrolmentSns"][-1], "phone": p["owner"]["phone"]} for p in waiting],
        },
    )
    run_to_the_end(again)
    by_ac = post(
        alice_api,
        {
            "vendor_account": account.pk,
            "method": "ac",
            "items": [{"authorization_code": p["authorizationCode"]} for p in waiting],
        },
    )
    run_to_the_end(by_ac)

    assert set(Plant.objects.values_list("pk", flat=True)) == plant_ids
    for enrolment_id in (again, by_ac):
        items = EnrolmentItem.objects.filter(enrolment_id=enrolment_id)
        assert {(i.state, i.already_enrolled) for i in items} == {("succeeded", True)}
        assert {i.plant_id for i in items} == plant_ids
    assert set(Plant.objects.values_list("enrolment_method", flat=True)) == {"sn"}  # the first method stays
    assert_no_407(sim)


@pytest.mark.django_db(transaction=True)
def test_running_the_same_enrolment_twice_does_nothing_twice(huawei_enrol_sim, alice_api, org):
    """A redelivered message (acks_late) or a second worker: the second run finds it claimed or done."""
    sim = huawei_enrol_sim
    account = vendor_account_on(sim, org)
    waiting = sim.waiting(2)
    enrolment_id = post(
        alice_api,
        {
            "vendor_account": account.pk,
            "method": "ac",
            "items": [{"authorization_code": p["authorizationCode"]} for p in waiting],
        },
    )
    run_to_the_end(enrolment_id)
    commands = len(sim.control.commands())
    calls = VendorCall.objects.count()
    assert enrolment_process(enrolment_id=enrolment_id).claimed is False
    assert (len(sim.control.commands()), VendorCall.objects.count()) == (commands, calls)


@pytest.mark.django_db(transaction=True)
def test_wrong_credentials_fail_the_enrolment_with_the_reason(huawei_enrol_sim, alice_api, org):
    sim = huawei_enrol_sim
    account = vendor_account_on(sim, org, secret="not-the-password")
    enrolment_id = post(
        alice_api,
        {"vendor_account": account.pk, "method": "ac", "items": [{"authorization_code": "41000000013"}]},
    )
    run_to_the_end(enrolment_id)
    enrolment = Enrolment.objects.get(pk=enrolment_id)
    assert (enrolment.state, enrolment.error_code) == ("failed", "auth_failed")
    item = EnrolmentItem.objects.get(enrolment=enrolment)
    assert item.state == "failed"
    assert "credentials" in item.reason
    assert not Plant.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rate_limited_enrolment_waits_for_its_slot_and_resumes(huawei_enrol_sim, alice_api, org, settings):
    """No slot now: nothing is sent, the enrolment is rescheduled for when the limiter says, and then runs."""
    sim = huawei_enrol_sim
    settings.VENDOR_MAX_WAIT_S = 0  # never wait in the worker: reschedule instead
    # One snEnrolment per 20 vendor minutes (2 s at the simulator's speed): stricter than the vendor's once a
    # minute, so the second request must wait for its slot.
    account = vendor_account_on(sim, org, rate_limit_overrides={"snEnrolment": [[1, 1200]]})
    first, second = sim.waiting(2)
    a = post(
        alice_api,
        {
            "vendor_account": account.pk,
            "method": "sn",
            "items": [{"sn": first["enrolmentSns"][0], "email": first["owner"]["email"]}],
        },
    )
    run_to_the_end(a)
    b = post(
        alice_api,
        {
            "vendor_account": account.pk,
            "method": "sn",
            "items": [{"sn": second["enrolmentSns"][0], "email": second["owner"]["email"]}],
        },
    )

    outcome = enrolment_process(enrolment_id=b)
    assert 0 < outcome.retry_after_s <= 2.5
    enrolment = Enrolment.objects.get(pk=b)
    assert (enrolment.state, enrolment.lease_until, enrolment.next_attempt_at is not None) == (
        "running",
        None,
        True,
    )
    assert EnrolmentItem.objects.get(enrolment_id=b).state == "pending"
    assert enrolment_process(enrolment_id=b).claimed is False  # not due yet: a redelivered message waits too

    time.sleep(outcome.retry_after_s)
    run_to_the_end(b)
    assert Enrolment.objects.get(pk=b).state == "completed"
    assert EnrolmentItem.objects.get(enrolment_id=b).state == "succeeded"
    assert len([c for c in sim.control.commands() if c["endpoint"].endswith("snEnrolment")]) == 2
    assert_no_407(sim)
