"""charlie (Rival Energy) can neither list, read, enrol into, nor modify Acme's plants, fleets, enrolments or
vendor accounts: every one of Acme's objects is "not found" for him (404, never a 403 that would confirm it
exists), lists never show them, and nothing of Acme's changes."""

import pytest

from fleets.models import Enrolment, Fleet, Plant, VendorAccount
from tests.factories import (
    DeviceFactory,
    EnrolmentFactory,
    EnrolmentItemFactory,
    FleetFactory,
    PlantFactory,
    PlantTelemetryFactory,
    VendorAccountFactory,
)


@pytest.fixture
def acme(org, other_org):
    account = VendorAccountFactory(organization=org, vendor="huawei", name="Acme Huawei")
    plant = PlantFactory(vendor_account=account, name="Acme plant", region="North")
    DeviceFactory(plant=plant, sn="ACMESN0001")
    PlantTelemetryFactory(plant=plant)
    fleet = FleetFactory(organization=org, name="Acme fleet")
    fleet.plants.add(plant)
    enrolment = EnrolmentFactory(vendor_account=account)
    EnrolmentItemFactory(enrolment=enrolment)
    # charlie's own things, so his lists are not empty by accident
    rival = VendorAccountFactory(organization=other_org, name="Rival Huawei")
    PlantFactory(vendor_account=rival, name="Rival plant")
    FleetFactory(organization=other_org, name="Rival fleet")
    return {"account": account, "plant": plant, "fleet": fleet, "enrolment": enrolment}


def snapshot():
    return (
        list(Plant.objects.order_by("pk").values()),
        list(Fleet.objects.order_by("pk").values()),
        list(Fleet.plants.through.objects.order_by("pk").values()),
        list(VendorAccount.objects.order_by("pk").values("pk", "name", "enabled", "base_url")),
        Enrolment.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "kept"),
    [
        ("/api/v1/plants", "Rival plant"),
        ("/api/v1/plants?search=ACMESN", None),
        ("/api/v1/fleets", "Rival fleet"),
        ("/api/v1/enrolments", None),
        ("/api/v1/vendor-accounts", "Rival Huawei"),
    ],
)
def test_lists_show_only_his_own_organisation(charlie_api, acme, path, kept):
    response = charlie_api.get(path)
    assert response.status_code == 200
    names = [row.get("name") for row in response.json()["results"]]
    assert names == ([kept] if kept else [])


@pytest.mark.django_db
def test_filters_naming_acmes_objects_are_refused_like_unknown_ids(charlie_api, acme):
    for query in (f"fleet={acme['fleet'].pk}", f"vendor_account={acme['account'].pk}"):
        response = charlie_api.get(f"/api/v1/plants?{query}")
        assert response.status_code == 400
        assert "does not exist" in str(response.json()["fields"]) or response.json()["fields"]


READS = [
    "/api/v1/plants/{plant}",
    "/api/v1/plants/{plant}/telemetry",
    "/api/v1/fleets/{fleet}",
    "/api/v1/fleets/{fleet}/plants",
    "/api/v1/enrolments/{enrolment}",
    "/api/v1/vendor-accounts/{account}",
]

WRITES = [
    ("patch", "/api/v1/plants/{plant}", {"region": "Stolen"}),
    ("patch", "/api/v1/fleets/{fleet}", {"name": "Stolen"}),
    ("put", "/api/v1/fleets/{fleet}", {"name": "Stolen"}),
    ("delete", "/api/v1/fleets/{fleet}", None),
    ("post", "/api/v1/fleets/{fleet}/add-plants", {"plant_ids": [1]}),
    ("post", "/api/v1/fleets/{fleet}/remove-plants", {"plant_ids": [1]}),
    ("patch", "/api/v1/vendor-accounts/{account}", {"enabled": False}),
    (
        "put",
        "/api/v1/vendor-accounts/{account}",
        {"name": "x", "vendor": "huawei", "base_url": "http://x", "username": "u", "secret": "s"},
    ),
    ("delete", "/api/v1/vendor-accounts/{account}", None),
    ("post", "/api/v1/vendor-accounts/{account}/sync", None),
    (
        "post",
        "/api/v1/vendor-accounts/{account}/enrolments",
        {"method": "sn", "items": [{"sn": "HV1", "email": "a@example.com"}]},
    ),
]


def _url(template, acme):
    return template.format(**{k: v.pk for k, v in acme.items()})


@pytest.mark.django_db
@pytest.mark.parametrize("path", READS)
def test_reading_acmes_objects_is_404(charlie_api, acme, path):
    response = charlie_api.get(_url(path, acme))
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
def test_changing_acmes_objects_is_404_and_changes_nothing(charlie_api, acme, method, path, body):
    before = snapshot()
    response = getattr(charlie_api, method)(_url(path, acme), body, format="json")
    assert response.status_code == 404, response.content
    assert snapshot() == before


@pytest.mark.django_db
def test_enrolling_into_acmes_account_through_the_collection_is_refused_like_an_unknown_account(
    charlie_api, acme
):
    """The account is named in the body here, so the answer is the 400 an unknown account gets: the same
    answer whether or not the id exists, which leaks nothing (the URL form above answers 404)."""
    before = snapshot()
    body = {
        "vendor_account": acme["account"].pk,
        "method": "sn",
        "items": [{"sn": "HV1", "email": "a@example.com"}],
    }
    response = charlie_api.post("/api/v1/enrolments", body, format="json")
    unknown = charlie_api.post("/api/v1/enrolments", {**body, "vendor_account": 987654321}, format="json")
    assert response.status_code == unknown.status_code == 400
    assert response.json() == unknown.json()
    assert response.json()["fields"]["vendor_account"][0]["code"] == "does_not_exist"
    assert snapshot() == before


@pytest.mark.django_db
def test_charlie_cannot_put_acmes_plants_into_his_fleet(charlie_api, acme, other_org):
    fleet = FleetFactory(organization=other_org, name="Grab")
    response = charlie_api.post(
        f"/api/v1/fleets/{fleet.pk}/add-plants", {"plant_ids": [acme["plant"].pk]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["plant_ids"][0]["code"] == "does_not_exist"
    assert not fleet.plants.exists()


@pytest.mark.django_db
def test_a_user_without_organisation_sees_nothing(acme):
    from rest_framework.test import APIClient

    from tests.factories import UserFactory, token_for

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(UserFactory(username='nobody'))}")
    assert client.get("/api/v1/plants").status_code == 403
    assert APIClient().get("/api/v1/plants").status_code == 401
