"""Campaigns that carry a power target: validated when saved as POST /dispatches validates one, and each
run a power-target job planned from the fleet's telemetry at that time, fanned out as the API's would be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from dispatch.campaigns.models import Campaign, CampaignRun
from dispatch.campaigns.services import campaigns_schedule_due
from dispatch.engine.codec import command_from_json
from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from dispatch.powertargets.models import PowerTarget, PowerTargetPlant
from fleets.models import Vendor
from tests.dispatch.api.conftest import row_counts
from tests.factories import CampaignFactory, FleetFactory, PlantFactory, VendorAccountFactory

URL = "/api/v1/campaigns"
TARGET = {"direction": "discharge", "power_kw": 60, "duration_min": 60, "soc_floor_pct": 20}


def _north(org, *, read_at: datetime | None = None):
    """20 Huawei plants on two accounts and 4 Growatt plants (5 kW and 3 kW: 112 kW at most), at 80 %."""
    read_at = read_at or timezone.now() - timedelta(minutes=1)
    huawei = [VendorAccountFactory(organization=org, vendor=Vendor.HUAWEI) for _ in range(2)]
    growatt = VendorAccountFactory(organization=org, vendor=Vendor.GROWATT, username="")
    seen = {"soc_pct": 80.0, "battery_power_w": 0.0, "telemetry_at": read_at}
    plants = [PlantFactory(vendor_account=huawei[i % 2], **seen) for i in range(20)]
    plants += [PlantFactory(vendor_account=growatt, battery_max_discharge_w=3000, **seen) for _ in range(4)]
    fleet = FleetFactory(organization=org, name="North")
    fleet.plants.set(plants)
    return fleet


@pytest.fixture
def north(org):
    return _north(org)


def _body(fleet, **params) -> dict:
    return {
        "name": "Evening target",
        "fleet": fleet.pk,
        "command": "power_target",
        "params": {**TARGET, **params},
        "recurrence_kind": "cron",
        "recurrence": "0 17 * * 1-5",
        "timezone": "Europe/Berlin",
        "start_date": "2026-01-01",
    }


def _counts() -> tuple:
    return (
        Campaign.objects.count(),
        *row_counts(),
        PowerTarget.objects.count(),
        PowerTargetPlant.objects.count(),
    )


@pytest.mark.django_db
def test_a_campaign_carries_a_power_target(bob_api, north):
    response = bob_api.post(URL, _body(north, soc_ceiling_pct=95), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["command"] == "power_target"
    assert body["params"] == {**TARGET, "soc_ceiling_pct": 95}
    assert len(body["next_runs"]) == 5
    assert Campaign.objects.get(pk=body["id"]).command_kind == "power_target"
    listed = bob_api.get(f"{URL}?command=power_target").json()
    assert [c["id"] for c in listed["results"]] == [body["id"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"power_kw": 0}, "params.power_kw", "not_positive"),
        ({"power_kw": -5}, "params.power_kw", "not_positive"),
        ({"power_kw": 500}, "params.power_kw", "above_fleet_max"),  # 20 x 5 kW + 4 x 3 kW = 112 kW
        ({"power_kw": "60"}, "params.power_kw", "invalid"),
        ({"duration_min": 0}, "params.duration_min", "min_value"),
        ({"duration_min": 1441}, "params.duration_min", "max_value"),
        ({"direction": "sideways"}, "params.direction", "invalid_choice"),
        ({"soc_floor_pct": 60, "soc_ceiling_pct": 50}, "params.soc_floor_pct", "floor_above_ceiling"),
        ({"soc_floor_pct": 101}, "params.soc_floor_pct", "max_value"),
        ({"target_soc": 5}, "params.target_soc", "unknown_field"),
    ],
)
def test_bad_power_target_params_are_a_400_naming_the_field_as_for_a_dispatch_and_write_nothing(
    bob_api, north, params, field, code
):
    before = _counts()
    response = bob_api.post(URL, _body(north, **params), format="json")
    assert response.status_code == 400, response.content
    assert [e["code"] for e in response.json()["fields"][field]] == [code]
    # The same body as a dispatch is refused on the same field with the same rule.
    dispatch = bob_api.post(
        "/api/v1/dispatches",
        {"command": "power_target", "fleet": north.pk, "params": {**TARGET, **params}},
        format="json",
    )
    assert dispatch.status_code == 400, dispatch.content
    assert [e["code"] for e in dispatch.json()["fields"][field]] == [code]
    assert _counts() == before


@pytest.mark.django_db
def test_a_fleet_without_batteries_is_refused_on_fleet(bob_api, org):
    account = VendorAccountFactory(organization=org)
    fleet = FleetFactory(organization=org)
    fleet.plants.set([PlantFactory(vendor_account=account, battery_usable_kwh=None, battery_rated_kwh=None)])
    before = _counts()
    response = bob_api.post(URL, _body(fleet, power_kw=1), format="json")
    assert response.status_code == 400, response.content
    assert [e["code"] for e in response.json()["fields"]["fleet"]] == ["no_battery"]
    assert _counts() == before


@pytest.mark.django_db
def test_an_update_is_checked_against_the_fleet_and_a_bad_one_changes_nothing(bob_api, org, north):
    campaign = bob_api.post(URL, _body(north), format="json").json()
    url = f"{URL}/{campaign['id']}"
    too_much = bob_api.patch(url, {"params": {**TARGET, "power_kw": 113}}, format="json")
    assert too_much.status_code == 400, too_much.content
    assert [e["code"] for e in too_much.json()["fields"]["params.power_kw"]] == ["above_fleet_max"]
    # Moving the campaign to a fleet its power is above is refused the same way.
    small = FleetFactory(organization=org)
    small.plants.set(list(north.plants.all()[:2]))
    moved = bob_api.patch(url, {"fleet": small.pk}, format="json")
    assert moved.status_code == 400, moved.content
    assert [e["code"] for e in moved.json()["fields"]["params.power_kw"]] == ["above_fleet_max"]
    # Another command's params are refused field by field.
    plain = bob_api.patch(url, {"params": {**TARGET, "action": "discharge"}}, format="json")
    assert plain.status_code == 400, plain.content
    assert [e["code"] for e in plain.json()["fields"]["params.action"]] == ["unknown_field"]
    stored = Campaign.objects.get(pk=campaign["id"])
    assert stored.fleet == north and stored.params == TARGET
    fine = bob_api.patch(url, {"params": {**TARGET, "power_kw": 100}}, format="json")
    assert fine.status_code == 200, fine.content
    stored.refresh_from_db()
    assert stored.params["power_kw"] == 100


@pytest.mark.django_db
def test_each_run_creates_a_power_target_job_planned_and_fanned_out_as_a_dispatch(org, alice):
    # A run at 17:00 Berlin (16:00 UTC in winter); the plants were read a minute before.
    run_at = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    fleet = _north(org, read_at=run_at - timedelta(minutes=1))
    campaign = CampaignFactory(
        organization=org,
        fleet=fleet,
        created_by=alice,
        command_kind="power_target",
        params=TARGET,
        now=run_at - timedelta(hours=1),
    )
    with time_machine.travel(run_at + timedelta(seconds=5), tick=False):
        assert campaigns_schedule_due(now=timezone.now()) == 1
    run = CampaignRun.objects.get(campaign=campaign)
    assert run.state == CampaignRun.State.STARTED, run.reason
    job = DispatchJob.objects.get(pk=run.job_id)
    assert job.command_kind == "charge_discharge" and job.fleet == fleet
    assert job.idempotency_key == f"campaign:{campaign.pk}:{run_at.isoformat()}"
    target = PowerTarget.objects.get(job=job)
    assert (target.direction, target.power_kw, target.duration_min) == ("discharge", 60, 60)
    assert target.soc_floor_pct == 20
    assert target.plan["summary"]["planned_kw"] == pytest.approx(60, rel=0.05)
    # One task per allocated plant, each in a request whose command carries the plan's power and duration.
    allocations = {p.plant_id: p for p in PowerTargetPlant.objects.filter(target=target)}
    tasks = DispatchTask.objects.filter(job=job).select_related("request")
    assert {t.plant_id for t in tasks} == set(allocations)
    for task in tasks:
        command = command_from_json(task.request.command)
        allocation = allocations[task.plant_id]
        assert command.action == "discharge" and command.control == "duration"
        assert command.power_w == allocation.command_power_w
        assert command.duration_min == allocation.duration_min
        assert task.request.not_before == allocation.send_at
    huawei = VendorRequest.objects.filter(job=job, vendor_account__vendor="huawei")
    assert huawei.exists() and all(r.tasks.count() <= 100 for r in huawei)


@pytest.mark.django_db
def test_a_run_that_cannot_be_planned_is_recorded_as_failed_with_the_reason(org, alice):
    run_at = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    fleet = _north(org, read_at=run_at - timedelta(minutes=1))
    campaign = CampaignFactory(
        organization=org,
        fleet=fleet,
        created_by=alice,
        command_kind="power_target",
        params=TARGET,
        now=run_at - timedelta(hours=1),
    )
    fleet.plants.set(list(fleet.plants.all()[:2]))  # the fleet shrank after the campaign was saved
    before = row_counts()
    with time_machine.travel(run_at + timedelta(seconds=5), tick=False):
        assert campaigns_schedule_due(now=timezone.now()) == 0
    run = CampaignRun.objects.get(campaign=campaign)
    assert run.state == CampaignRun.State.FAILED and run.job is None
    assert "could ever discharge" in run.reason
    assert row_counts() == before and PowerTarget.objects.count() == 0
