"""fleet_plants(fleet), the membership dispatch relies on: hand-picked plants, plus plants matching the
saved filter when it is enabled (so plants enrolled later join), minus plants removed by hand; active only."""

import pytest

from fleets.models import Plant
from fleets.selectors import fleet_list, fleet_plants
from fleets.services import fleet_create, fleet_plants_add, fleet_plants_remove, fleet_update
from tests.factories import PlantFactory, VendorAccountFactory


@pytest.fixture
def accounts(org):
    return {
        "huawei": VendorAccountFactory(organization=org, vendor="huawei"),
        "growatt": VendorAccountFactory(organization=org, vendor="growatt", username=""),
    }


def members(fleet):
    return set(fleet_plants(fleet).values_list("name", flat=True))


@pytest.mark.django_db
def test_hand_picked_fleet_holds_exactly_its_plants(org, accounts):
    a, b = PlantFactory.create_batch(2, vendor_account=accounts["huawei"])
    PlantFactory(vendor_account=accounts["huawei"])
    fleet = fleet_create(organization=org, name="Picked", plant_ids=[a.pk, b.pk])
    assert members(fleet) == {a.name, b.name}


@pytest.mark.django_db
def test_filter_membership_is_dynamic_and_combines_with_hand_picked_plants(org, accounts):
    big = PlantFactory(vendor_account=accounts["huawei"], battery_usable_kwh=15, region="North")
    small = PlantFactory(vendor_account=accounts["huawei"], battery_usable_kwh=5, region="North")
    growatt_big = PlantFactory(vendor_account=accounts["growatt"], battery_usable_kwh=15, region="North")
    fleet = fleet_create(
        organization=org,
        name="Big Huawei",
        criteria={"vendor": "huawei", "battery_usable_kwh_min": 10, "region": "north"},
        plant_ids=[small.pk],
    )
    assert members(fleet) == {big.name, small.name}
    later = PlantFactory(vendor_account=accounts["huawei"], battery_usable_kwh=20, region="North")
    assert members(fleet) == {big.name, small.name, later.name}
    assert growatt_big.name not in members(fleet)


@pytest.mark.django_db
def test_removing_a_filter_matched_plant_excludes_it_until_added_again(org, accounts):
    a, b = PlantFactory.create_batch(2, vendor_account=accounts["huawei"])
    fleet = fleet_create(organization=org, name="All", criteria={})
    fleet_plants_remove(fleet=fleet, plant_ids=[a.pk])
    assert members(fleet) == {b.name}
    fleet_plants_add(fleet=fleet, plant_ids=[a.pk])
    assert members(fleet) == {a.name, b.name}


@pytest.mark.django_db
def test_inactive_plants_are_never_members_unless_asked(org, accounts):
    active = PlantFactory(vendor_account=accounts["huawei"])
    disabled = PlantFactory(vendor_account=accounts["huawei"], state=Plant.State.DISABLED)
    removed = PlantFactory(vendor_account=accounts["huawei"], state=Plant.State.REMOVED)
    fleet = fleet_create(organization=org, name="All", criteria={}, plant_ids=[disabled.pk])
    assert members(fleet) == {active.name}
    everything = set(fleet_plants(fleet, include_inactive=True).values_list("pk", flat=True))
    assert everything == {active.pk, disabled.pk, removed.pk}


@pytest.mark.django_db
def test_another_organisations_plants_never_match_a_filter(org, other_org, accounts):
    mine = PlantFactory(vendor_account=accounts["huawei"])
    PlantFactory(vendor_account=VendorAccountFactory(organization=other_org))
    fleet = fleet_create(organization=org, name="All", criteria={})
    assert members(fleet) == {mine.name}


@pytest.mark.django_db
def test_turning_the_filter_off_leaves_the_hand_picked_plants(org, accounts):
    a, b = PlantFactory.create_batch(2, vendor_account=accounts["huawei"])
    fleet = fleet_create(organization=org, name="All", criteria={}, plant_ids=[a.pk])
    fleet_update(fleet=fleet, criteria=None)
    assert members(fleet) == {a.name}


@pytest.mark.django_db
def test_list_counts_agree_with_fleet_plants_for_every_kind_of_fleet(org, accounts):
    plants = [
        PlantFactory(vendor_account=accounts["huawei"], battery_usable_kwh=kwh, region=region, timezone=tz)
        for kwh, region, tz in [
            (5, "North", "Europe/Berlin"),
            (10, "North", "Europe/Berlin"),
            (15, "South", "Australia/Sydney"),
            (None, "South", "Australia/Sydney"),
        ]
    ]
    PlantFactory(vendor_account=accounts["growatt"], battery_usable_kwh=12, region="North")
    PlantFactory(vendor_account=accounts["huawei"], state=Plant.State.DISABLED)
    fleets = [
        fleet_create(organization=org, name="manual", plant_ids=[plants[0].pk, plants[1].pk]),
        fleet_create(organization=org, name="all", criteria={}),
        fleet_create(organization=org, name="vendor", criteria={"vendor": "growatt"}),
        fleet_create(organization=org, name="account", criteria={"vendor_account": accounts["huawei"]}),
        fleet_create(
            organization=org,
            name="range",
            criteria={"battery_usable_kwh_min": 6, "battery_usable_kwh_max": 14},
        ),
        fleet_create(
            organization=org, name="tz", criteria={"timezone": "Australia/Sydney"}, plant_ids=[plants[0].pk]
        ),
        fleet_create(organization=org, name="region", criteria={"region": "NORTH"}),
    ]
    fleet_plants_remove(fleet=fleets[1], plant_ids=[plants[2].pk])
    counts = dict(fleet_list(organization=org).values_list("name", "plant_count"))
    expected = {fleet.name: fleet_plants(fleet).count() for fleet in fleets}
    assert counts == expected
    assert expected == {"manual": 2, "all": 4, "vendor": 1, "account": 4, "range": 2, "tz": 3, "region": 3}
