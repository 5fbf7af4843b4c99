"""One vocabulary: `plants` for plant ids and `command` for the command kind on every endpoint, the old names
(`plant_ids` on fleets, `command_kind` on campaigns) still accepted alone; `created_by` on every answer that
says who made a thing. And the accepted edges of the strict rules: start_at within the grace, any zone."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.api.serializers import START_AT_GRACE_S
from dispatch.api.views import request_fingerprint
from dispatch.campaigns.models import Campaign
from dispatch.models import DispatchJob
from fleets.models import Fleet, Vendor
from tests.factories import EnrolmentFactory, FleetFactory, PlantFactory, VendorAccountFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def plants(org):
    account = VendorAccountFactory(organization=org, vendor=Vendor.HUAWEI)
    return [PlantFactory(vendor_account=account) for _ in range(3)]


def _hand_picked(fleet_id: int) -> set[int]:
    return set(Fleet.objects.get(pk=fleet_id).plants.values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["plants", "plant_ids"])
def test_fleets_take_plants_and_the_old_name_plant_ids(bob_api, plants, name):
    a, b, c = (p.pk for p in plants)
    fleet = bob_api.post("/api/v1/fleets", {"name": "North", name: [a]}, format="json")
    assert fleet.status_code == 201, fleet.content
    fleet_id = fleet.json()["id"]
    assert _hand_picked(fleet_id) == {a}
    added = bob_api.post(f"/api/v1/fleets/{fleet_id}/add-plants", {name: [b, c]}, format="json")
    assert added.status_code == 200, added.content
    assert added.json()["manual_plant_count"] == 3
    removed = bob_api.post(f"/api/v1/fleets/{fleet_id}/remove-plants", {name: [a]}, format="json")
    assert removed.status_code == 200 and _hand_picked(fleet_id) == {b, c}
    replaced = bob_api.patch(f"/api/v1/fleets/{fleet_id}", {name: [a]}, format="json")
    assert replaced.status_code == 200 and _hand_picked(fleet_id) == {a}


@pytest.mark.django_db
def test_a_dispatch_and_a_fleet_name_plant_ids_the_same_way(bob_api, plants):
    ids = [p.pk for p in plants]
    fleet = bob_api.post("/api/v1/fleets", {"name": "North", "plants": ids}, format="json").json()
    job = bob_api.post(
        "/api/v1/dispatches", {"command": "dod", "params": {"dod_pct": 10}, "plants": ids}, format="json"
    )
    assert job.status_code == 201, job.content
    assert job.json()["command"] == "dod"
    assert _hand_picked(fleet["id"]) == set(
        DispatchJob.objects.get().tasks.values_list("plant_id", flat=True)
    )


def _campaign(fleet, **fields):
    return {
        "name": "Evening",
        "fleet": fleet.pk,
        "params": {"action": "discharge", "control": "duration", "duration_min": 60},
        "recurrence_kind": "cron",
        "recurrence": "0 17 * * 1-5",
        "timezone": "Europe/Berlin",
        "start_date": "2026-01-01",
        **fields,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["command", "command_kind"])
def test_campaigns_take_command_and_the_old_name_command_kind(bob_api, org, name):
    response = bob_api.post(
        "/api/v1/campaigns",
        _campaign(FleetFactory(organization=org), **{name: "charge_discharge"}),
        format="json",
    )  # noqa: E501
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["command"] == body["command_kind"] == "charge_discharge"
    assert body["created_by"] == "bob"
    assert Campaign.objects.get().command_kind == "charge_discharge"
    changed = bob_api.patch(
        f"/api/v1/campaigns/{body['id']}", {name: "dod", "params": {"dod_pct": 20}}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["command"] == "dod" and changed.json()["created_by"] == "bob"


@pytest.mark.django_db
def test_enrolments_answer_created_by_like_dispatches(bob_api, bob, org):
    account = VendorAccountFactory(organization=org)
    EnrolmentFactory(vendor_account=account, requested_by=bob)
    item = bob_api.get("/api/v1/enrolments").json()["results"][0]
    assert item["created_by"] == item["requested_by"] == "bob"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "start_at",
    [
        lambda now: (now - timedelta(seconds=START_AT_GRACE_S // 2)).isoformat(),
        lambda now: (now + timedelta(hours=1)).astimezone(timezone.get_fixed_timezone(-300)).isoformat(),
        lambda now: (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
    ],
    ids=["within the grace", "an hour ahead at UTC-5", "an hour ahead in Z"],
)
def test_start_at_with_a_zone_and_within_the_grace_is_accepted(bob_api, plants, start_at):
    body = {
        "command": "dod",
        "params": {"dod_pct": 10},
        "plants": [plants[0].pk],
        "start_at": start_at(timezone.now()),
    }
    response = bob_api.post("/api/v1/dispatches", body, format="json")
    assert response.status_code == 201, response.content


def test_the_idempotency_fingerprint_never_raises_and_keeps_its_value_for_valid_bodies():
    assert request_fingerprint({"a": "\ud800"})  # a lone surrogate (refused before this runs) still hashes
    # The canonical form did not change: keys sorted, no spaces, UTF-8.
    assert request_fingerprint({"b": 1, "a": "é"}) == request_fingerprint({"a": "é", "b": 1})
    assert request_fingerprint({"a": "é"}) == hashlib.sha256('{"a":"é"}'.encode()).hexdigest()
