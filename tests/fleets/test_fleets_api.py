"""Fleets through the API: create by hand and by filter, read, change, add and remove plants, delete."""

import pytest

from fleets.models import Fleet
from tests.factories import FleetFactory, PlantFactory, VendorAccountFactory


@pytest.fixture
def account(org):
    return VendorAccountFactory(organization=org, vendor="huawei")


@pytest.mark.django_db
def test_create_a_dynamic_fleet_and_list_its_plants(bob_api, account):
    big = PlantFactory(vendor_account=account, battery_usable_kwh=15, name="Big")
    PlantFactory(vendor_account=account, battery_usable_kwh=5, name="Small")
    response = bob_api.post(
        "/api/v1/fleets",
        {"name": "Big batteries", "filter": {"vendor": "huawei", "battery_usable_kwh_min": 10}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    fleet = response.json()
    assert fleet["plant_count"] == 1
    assert fleet["filter"]["battery_usable_kwh_min"] == 10
    assert fleet["filter"]["vendor"] == "huawei"
    plants = bob_api.get(f"/api/v1/fleets/{fleet['id']}/plants").json()
    assert [p["id"] for p in plants["results"]] == [big.pk]


@pytest.mark.django_db
def test_create_by_hand_then_add_and_remove_plants(bob_api, account):
    a, b, c = PlantFactory.create_batch(3, vendor_account=account)
    fleet = bob_api.post("/api/v1/fleets", {"name": "North", "plant_ids": [a.pk]}, format="json").json()
    assert fleet["filter"] is None
    assert (fleet["plant_count"], fleet["manual_plant_count"]) == (1, 1)
    added = bob_api.post(
        f"/api/v1/fleets/{fleet['id']}/add-plants", {"plant_ids": [b.pk, c.pk]}, format="json"
    )
    assert added.json()["plant_count"] == 3
    removed = bob_api.post(
        f"/api/v1/fleets/{fleet['id']}/remove-plants", {"plant_ids": [a.pk]}, format="json"
    )
    assert removed.json()["plant_count"] == 2
    assert set(Fleet.objects.get(pk=fleet["id"]).plants.values_list("pk", flat=True)) == {b.pk, c.pk}


@pytest.mark.django_db
def test_patch_changes_only_what_is_sent_and_put_replaces(bob_api, account):
    a = PlantFactory(vendor_account=account)
    fleet = bob_api.post(
        "/api/v1/fleets", {"name": "F", "description": "d", "filter": {}, "plant_ids": [a.pk]}, format="json"
    ).json()
    patched = bob_api.patch(f"/api/v1/fleets/{fleet['id']}", {"name": "G"}, format="json").json()
    assert (patched["name"], patched["description"], patched["manual_plant_count"]) == ("G", "d", 1)
    assert patched["filter"] is not None
    replaced = bob_api.put(f"/api/v1/fleets/{fleet['id']}", {"name": "H"}, format="json").json()
    assert (
        replaced["name"],
        replaced["description"],
        replaced["filter"],
        replaced["manual_plant_count"],
    ) == (
        "H",
        "",
        None,
        0,
    )


@pytest.mark.django_db
def test_delete(bob_api, org):
    fleet = FleetFactory(organization=org)
    assert bob_api.delete(f"/api/v1/fleets/{fleet.pk}").status_code == 204
    assert not Fleet.objects.filter(pk=fleet.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "name", "required"),
        ({"name": ""}, "name", "blank"),
        ({"name": "Taken"}, "name", "unique"),
        ({"name": "X", "plant_ids": "1,2"}, "plant_ids", "not_a_list"),
        ({"name": "X", "plant_ids": ["a"]}, "plant_ids.0", "invalid"),
        ({"name": "X", "plant_ids": [999999]}, "plant_ids", "does_not_exist"),
        ({"name": "X", "filter": {"vendor": "sma"}}, "filter.vendor", "invalid_choice"),
        ({"name": "X", "filter": {"timezone": "Mars/Olympus"}}, "filter.timezone", "invalid_timezone"),
        (
            {"name": "X", "filter": {"battery_usable_kwh_min": -1}},
            "filter.battery_usable_kwh_min",
            "min_value",
        ),
        (
            {"name": "X", "filter": {"battery_usable_kwh_min": 9, "battery_usable_kwh_max": 3}},
            "filter.battery_usable_kwh_max",
            "invalid_range",
        ),
        ({"name": "X", "filter": {"vendor_account": 999999}}, "filter.vendor_account", "does_not_exist"),
        ({"name": "X", "filter": "huawei"}, "filter", "invalid"),
    ],
)
def test_bad_fleet_requests_are_400_naming_the_field_and_write_nothing(bob_api, org, body, field, code):
    FleetFactory(organization=org, name="Taken")
    response = bob_api.post("/api/v1/fleets", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["fields"][field][0]["code"] == code, response.json()
    assert Fleet.objects.count() == 1


@pytest.mark.django_db
def test_a_filter_cannot_name_another_organisations_account(bob_api, other_org):
    theirs = VendorAccountFactory(organization=other_org)
    response = bob_api.post(
        "/api/v1/fleets", {"name": "X", "filter": {"vendor_account": theirs.pk}}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["filter.vendor_account"][0]["code"] == "does_not_exist"
    assert not Fleet.objects.exists()


@pytest.mark.django_db
def test_adding_another_organisations_plant_is_refused_and_writes_nothing(bob_api, org, other_org, account):
    mine = PlantFactory(vendor_account=account)
    theirs = PlantFactory(vendor_account=VendorAccountFactory(organization=other_org))
    fleet = FleetFactory(organization=org)
    response = bob_api.post(
        f"/api/v1/fleets/{fleet.pk}/add-plants", {"plant_ids": [mine.pk, theirs.pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["plant_ids"][0]["code"] == "does_not_exist"
    assert not fleet.plants.exists()
