"""POST /api/v1/dispatches with command power_target: validation, dry run, and the job it writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.engine.codec import command_from_json
from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from dispatch.powertargets.models import PowerTarget, PowerTargetPlant
from fleets.models import Plant, Vendor
from tests.dispatch.api.conftest import make_job, row_counts
from tests.factories import FleetFactory, PlantFactory, VendorAccountFactory

URL = "/api/v1/dispatches"


@pytest.fixture
def north(org):
    """30 Huawei plants on two accounts and 6 Growatt plants, read a minute ago at 80 % SOC."""
    now = timezone.now()
    huawei = [VendorAccountFactory(organization=org, vendor=Vendor.HUAWEI) for _ in range(2)]
    growatt = VendorAccountFactory(organization=org, vendor=Vendor.GROWATT, username="")
    seen = {"soc_pct": 80.0, "battery_power_w": 0.0, "telemetry_at": now - timedelta(minutes=1)}
    plants = [PlantFactory(vendor_account=huawei[i % 2], **seen) for i in range(30)]
    plants += [PlantFactory(vendor_account=growatt, battery_max_discharge_w=3000, **seen) for _ in range(6)]
    fleet = FleetFactory(organization=org, name="North")
    fleet.plants.set(plants)
    return fleet


def target_body(fleet, **params) -> dict:
    base = {"direction": "discharge", "power_kw": 100, "duration_min": 60, "soc_floor_pct": 20}
    return {"command": "power_target", "fleet": fleet.pk, "params": {**base, **params}}


def counts() -> tuple:
    return (*row_counts(), PowerTarget.objects.count(), PowerTargetPlant.objects.count())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"power_kw": 0}, "params.power_kw", "not_positive"),
        ({"power_kw": -5}, "params.power_kw", "not_positive"),
        ({"power_kw": 500}, "params.power_kw", "above_fleet_max"),  # 30 x 5 kW + 6 x 3 kW = 168 kW
        ({"power_kw": "100"}, "params.power_kw", "invalid"),
        ({"duration_min": 0}, "params.duration_min", "min_value"),
        ({"duration_min": 1441}, "params.duration_min", "max_value"),
        ({"direction": "sideways"}, "params.direction", "invalid_choice"),
        ({"soc_floor_pct": 60, "soc_ceiling_pct": 50}, "params.soc_floor_pct", "floor_above_ceiling"),
        ({"soc_floor_pct": 101}, "params.soc_floor_pct", "max_value"),
        ({"target_soc": 5}, "params.target_soc", "unknown_field"),
    ],
)
def test_bad_power_target_input_is_a_400_naming_the_field_and_writes_nothing(
    bob_api, north, params, field, code
):
    before = counts()
    for dry_run in (False, True):
        response = bob_api.post(URL, {**target_body(north, **params), "dry_run": dry_run}, format="json")
        assert response.status_code == 400, response.content
        assert [e["code"] for e in response.json()["fields"][field]] == [code]
    assert counts() == before


@pytest.mark.django_db
def test_a_fleet_without_batteries_is_refused(org, bob_api):
    account = VendorAccountFactory(organization=org)
    fleet = FleetFactory(organization=org)
    fleet.plants.set([PlantFactory(vendor_account=account, battery_usable_kwh=None, battery_rated_kwh=None)])
    before = counts()
    response = bob_api.post(URL, target_body(fleet, power_kw=1), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["fields"]["fleet"][0]["code"] == "no_battery"
    assert counts() == before


@pytest.mark.django_db
def test_a_dry_run_returns_the_plan_and_writes_nothing(bob_api, north):
    start = timezone.now() + timedelta(minutes=30)
    before = counts()
    body = {**target_body(north), "start_at": start.isoformat(), "dry_run": True}
    response = bob_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="dry-1")
    assert response.status_code == 200, response.content
    plan = response.json()
    assert counts() == before
    assert plan["dry_run"] is True and plan["command"] == "power_target"
    assert plan["summary"]["planned_kw"] == pytest.approx(100, abs=0.1)
    assert plan["summary"]["energy_above_floor_kwh"] == pytest.approx(36 * 9.5 * 0.6, abs=0.01)
    assert len(plan["intervals"]) == 12
    assert all(i["planned_kw"] == pytest.approx(100, abs=0.1) for i in plan["intervals"])
    # Growatt first (no ramp: 6 x 3 kW), Huawei fills the rest; every plant is allocated or left out.
    allocated = {a["plant"] for a in plan["allocations"]}
    assert {a["vendor"] for a in plan["allocations"]} == {"huawei", "growatt"}
    left_out = {e["plant"] for e in plan["excluded"]}
    assert allocated | left_out == set(north.plants.values_list("pk", flat=True))
    assert all(a["eta"] for a in plan["allocations"])
    # The same key later creates a job: the dry run did not spend it.
    response = bob_api.post(URL, {**body, "dry_run": False}, format="json", HTTP_IDEMPOTENCY_KEY="dry-1")
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_a_target_above_what_is_available_now_is_accepted_with_the_warning(bob_api, north):
    Plant.objects.filter(pk__in=north.plants.values("pk")).update(soc_pct=25.0)  # 0.475 kWh above the floor
    response = bob_api.post(URL, {**target_body(north, power_kw=100), "dry_run": True}, format="json")
    assert response.status_code == 200, response.content
    warning = next(w for w in response.json()["warnings"] if w["code"] == "target_above_available")
    assert warning["shortfall_kw"] > 80
    response = bob_api.post(URL, target_body(north, power_kw=100), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["power_target"]["warnings"][0]["code"] == "target_above_available"


@pytest.mark.django_db
def test_the_job_follows_the_dry_runs_plan(bob_api, north):
    start = timezone.now() + timedelta(minutes=30)
    body = {**target_body(north, power_kw=120), "start_at": start.isoformat()}
    plan = bob_api.post(URL, {**body, "dry_run": True}, format="json").json()
    response = bob_api.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    job = DispatchJob.objects.get(pk=response.json()["id"])
    assert response.json()["command"] == "power_target"
    assert job.command_kind == "charge_discharge" and job.fleet == north
    # One task per allocated plant, each in a request whose command carries the plan's power and duration.
    allocations = {a["plant"]: a for a in plan["allocations"]}
    tasks = DispatchTask.objects.filter(job=job).select_related("request")
    assert {t.plant_id for t in tasks} == set(allocations)
    for task in tasks:
        command = command_from_json(task.request.command)
        allocation = allocations[task.plant_id]
        assert command.action == "discharge" and command.control == "duration"
        assert command.power_w == allocation["command_power_w"]
        assert command.duration_min == allocation["duration_min"]
        assert task.request.not_before.isoformat() == allocation["send_at"]
    huawei = VendorRequest.objects.filter(job=job, vendor_account__vendor="huawei")
    assert all(r.tasks.count() <= 100 for r in huawei)
    stored = PowerTarget.objects.get(job=job)
    assert stored.plan["intervals"] == plan["intervals"]
    assert PowerTargetPlant.objects.filter(target=stored).count() == len(allocations)


@pytest.mark.django_db
def test_a_plain_command_gets_a_dry_run_with_eta_and_unsupported_plants(bob_api, north):
    before = counts()
    body = {"command": "dod", "params": {"dod_pct": 80}, "fleet": north.pk, "dry_run": True}
    response = bob_api.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert counts() == before
    assert answer["summary"]["plants_unsupported"] == 6  # Growatt has no DoD
    assert {row["reason"] for row in answer["unsupported"]} == {"unsupported"}
    assert answer["summary"]["plants_reached"] == 30 and answer["summary"]["requests"] == 2


@pytest.mark.django_db
def test_charlie_cannot_plan_on_acmes_fleet(charlie_api, north):
    response = charlie_api.post(URL, {**target_body(north), "dry_run": True}, format="json")
    assert response.status_code == 400
    assert "fleet" in response.json()["fields"]


@pytest.mark.django_db
def test_the_list_filters_power_targets_by_the_command_as_asked(org, alice, bob_api, north):
    created = bob_api.post(URL, target_body(north, power_kw=20), format="json")
    assert created.status_code == 201, created.content
    account = VendorAccountFactory(organization=org)
    plain = make_job(org, alice, [PlantFactory(vendor_account=account)])
    listed = bob_api.get(f"{URL}?command=power_target").json()["results"]
    assert [job["id"] for job in listed] == [created.json()["id"]]
    listed = bob_api.get(f"{URL}?command=charge_discharge").json()["results"]
    assert [job["id"] for job in listed] == [plain.pk]


@pytest.mark.django_db
def test_a_dry_run_reports_the_conflicts_the_real_dispatch_would_hit_and_writes_nothing(
    org, alice, bob_api, north
):
    plan = bob_api.post(URL, {**target_body(north), "dry_run": True}, format="json").json()
    assert plan["conflicts"]["plants"] == 0 and plan["conflicts"]["effect"] is None
    busy = sorted(a["plant"] for a in plan["allocations"])[:3]
    running = make_job(org, alice, list(Plant.objects.filter(pk__in=busy)), states=["accepted"])
    before = counts()

    answer = bob_api.post(URL, {**target_body(north), "dry_run": True}, format="json").json()
    assert counts() == before
    conflicts = answer["conflicts"]
    assert conflicts["effect"] == "rejected" and conflicts["plants"] == 3
    assert {(t["plant"], t["job"]) for t in conflicts["tasks"]} == {(pk, running.pk) for pk in busy}
    assert "conflict" in [w["code"] for w in answer["warnings"]]
    # It is what the real dispatch answers: 409 naming those plants, nothing written.
    real = bob_api.post(URL, target_body(north), format="json")
    assert real.status_code == 409 and counts() == before

    replace = {**target_body(north), "on_conflict": "replace", "dry_run": True}
    assert bob_api.post(URL, replace, format="json").json()["conflicts"]["effect"] == "replaced"
    assert counts() == before


@pytest.mark.django_db
def test_a_plain_commands_dry_run_reports_its_conflicts(org, alice, bob_api, north):
    plants = list(north.plants.order_by("pk")[:2])
    make_job(org, alice, plants, command_kind="dod", params={"dod_pct": 70}, states=["accepted"])
    make_job(org, alice, plants[:1], states=["accepted"])  # a charge does not conflict with a DoD setting
    body = {"command": "dod", "params": {"dod_pct": 80}, "fleet": north.pk, "dry_run": True}
    conflicts = bob_api.post(URL, body, format="json").json()["conflicts"]
    assert conflicts["effect"] == "rejected"
    assert sorted(t["plant"] for t in conflicts["tasks"]) == sorted(p.pk for p in plants)
    assert bob_api.post(URL, {**body, "dry_run": False}, format="json").status_code == 409
