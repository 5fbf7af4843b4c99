"""Operators find their plants: filter, search (name, code, device SN), order, paginate, read one with its
devices and fleets, and change what is theirs to change."""

import pytest

from fleets.models import Plant
from tests.factories import DeviceFactory, FleetFactory, PlantFactory, VendorAccountFactory


@pytest.fixture
def plants(org):
    huawei = VendorAccountFactory(organization=org, vendor="huawei", name="Huawei 1")
    growatt = VendorAccountFactory(organization=org, vendor="growatt", name="Growatt 1", username="")
    return {
        "berlin_small": PlantFactory(
            vendor_account=huawei,
            name="Alpha",
            region="Berlin",
            battery_usable_kwh=4.5,
            timezone="Europe/Berlin",
        ),
        "berlin_big": PlantFactory(
            vendor_account=huawei,
            name="Bravo",
            region="Berlin",
            battery_usable_kwh=14.0,
            timezone="Europe/Berlin",
        ),
        "sydney": PlantFactory(
            vendor_account=growatt,
            name="Charlie",
            region="Sydney NSW",
            battery_usable_kwh=9.0,
            timezone="Australia/Sydney",
        ),
        "disabled": PlantFactory(vendor_account=huawei, name="Delta", state=Plant.State.DISABLED),
    }


def names(response):
    assert response.status_code == 200, response.json()
    return [p["name"] for p in response.json()["results"]]


@pytest.mark.django_db
def test_list_shows_the_organisations_plants_with_vendor_and_capacities(bob_api, plants):
    DeviceFactory.create_batch(3, plant=plants["berlin_big"])
    body = bob_api.get("/api/v1/plants").json()
    assert body["count"] == 4
    bravo = next(p for p in body["results"] if p["name"] == "Bravo")
    assert bravo["vendor"] == "huawei"
    assert bravo["vendor_account"]["name"] == "Huawei 1"
    assert bravo["battery_usable_kwh"] == 14.0
    assert bravo["device_count"] == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("vendor=growatt", ["Charlie"]),
        ("region=berlin", ["Alpha", "Bravo"]),
        ("timezone=Australia/Sydney", ["Charlie"]),
        ("battery_usable_kwh_min=5&battery_usable_kwh_max=9.2", ["Charlie"]),
        ("battery_usable_kwh_min=9", ["Bravo", "Charlie", "Delta"]),
        ("state=disabled", ["Delta"]),
        ("search=brav", ["Bravo"]),
        ("ordering=-battery_usable_kwh&state=active", ["Bravo", "Charlie", "Alpha"]),
    ],
)
def test_filters_search_and_ordering(bob_api, plants, query, expected):
    assert names(bob_api.get(f"/api/v1/plants?{query}")) == expected


@pytest.mark.django_db
def test_search_finds_a_plant_by_device_sn_once(bob_api, plants):
    DeviceFactory(plant=plants["sydney"], sn="GRW123456789")
    DeviceFactory(plant=plants["sydney"], sn="GRW123456780")
    assert names(bob_api.get("/api/v1/plants?search=GRW1234567")) == ["Charlie"]


@pytest.mark.django_db
def test_filter_by_vendor_account_and_fleet(bob_api, plants, org):
    account = plants["sydney"].vendor_account
    assert names(bob_api.get(f"/api/v1/plants?vendor_account={account.pk}")) == ["Charlie"]
    fleet = FleetFactory(organization=org)
    fleet.plants.add(plants["berlin_small"])
    assert names(bob_api.get(f"/api/v1/plants?fleet={fleet.pk}")) == ["Alpha"]


@pytest.mark.django_db
def test_unknown_filter_values_are_a_400_naming_the_parameter(bob_api, plants):
    for query, field in [
        ("vendor=sma", "vendor"),
        ("fleet=999999", "fleet"),
        ("battery_usable_kwh_min=x", "battery_usable_kwh_min"),
    ]:
        response = bob_api.get(f"/api/v1/plants?{query}")
        assert response.status_code == 400, query
        assert field in response.json()["fields"], response.json()


@pytest.mark.django_db
def test_pagination(bob_api, plants):
    body = bob_api.get("/api/v1/plants?page_size=3&ordering=name").json()
    assert [p["name"] for p in body["results"]] == ["Alpha", "Bravo", "Charlie"]
    assert body["next"]
    assert names(bob_api.get("/api/v1/plants?page_size=3&ordering=name&page=2")) == ["Delta"]


@pytest.mark.django_db
def test_detail_has_devices_and_current_fleets(bob_api, plants, org):
    plant = plants["berlin_big"]
    DeviceFactory(plant=plant, device_type="battery", sn="HL0001", dn="NE=1")
    by_filter = FleetFactory(
        organization=org, name="Big batteries", filter_enabled=True, filter_battery_usable_kwh_min=10
    )
    FleetFactory(organization=org, name="Unrelated")
    body = bob_api.get(f"/api/v1/plants/{plant.pk}").json()
    assert [d["sn"] for d in body["devices"]] == ["HL0001"]
    assert body["fleets"] == [{"id": by_filter.pk, "name": "Big batteries"}]


@pytest.mark.django_db
def test_operator_changes_region_and_takes_a_plant_out_of_service(bob_api, plants):
    plant = plants["berlin_small"]
    response = bob_api.patch(
        f"/api/v1/plants/{plant.pk}", {"region": "Brandenburg", "state": "disabled"}, format="json"
    )
    assert response.status_code == 200, response.json()
    plant.refresh_from_db()
    assert (plant.region, plant.state) == ("Brandenburg", "disabled")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"state": "removed"}, "state", "invalid_choice"),
        ({"battery_usable_kwh": 100}, "battery_usable_kwh", "read_only"),
        ({"region": "x" * 101}, "region", "max_length"),
    ],
)
def test_plant_changes_are_validated_and_write_nothing(bob_api, plants, body, field, code):
    plant = plants["berlin_small"]
    response = bob_api.patch(f"/api/v1/plants/{plant.pk}", body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"][field][0]["code"] == code
    fresh = Plant.objects.get(pk=plant.pk)
    assert (fresh.region, fresh.state, fresh.battery_usable_kwh) == ("Berlin", "active", 4.5)


@pytest.mark.django_db
def test_viewers_read_but_cannot_change(plants, org):
    from rest_framework.test import APIClient

    from tests.factories import MembershipFactory, UserFactory, token_for

    viewer = MembershipFactory(user=UserFactory(username="vera"), organization=org, role="viewer").user
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(viewer)}")
    plant = plants["berlin_small"]
    assert client.get(f"/api/v1/plants/{plant.pk}").status_code == 200
    assert client.patch(f"/api/v1/plants/{plant.pk}", {"region": "X"}, format="json").status_code == 403
