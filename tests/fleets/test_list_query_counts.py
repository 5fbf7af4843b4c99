"""Every list endpoint answers in a number of SQL queries that does not grow with the page size."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

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
def many(org, bob):
    accounts = [
        VendorAccountFactory(organization=org, vendor=v, username="u") for v in ("huawei", "growatt")
    ] * 30
    plants = []
    for i in range(60):
        plant = PlantFactory(vendor_account=accounts[i % 2], region=f"R{i % 3}")
        DeviceFactory.create_batch(2, plant=plant)
        plants.append(plant)
    for i in range(60):
        fleet = FleetFactory(organization=org, filter_enabled=i % 2 == 0, filter_region="R1")
        fleet.plants.add(*plants[i : i + 3])
        fleet.excluded_plants.add(plants[(i + 5) % 60])
    for _ in range(60):
        enrolment = EnrolmentFactory(vendor_account=accounts[0], requested_by=bob)
        EnrolmentItemFactory.create_batch(2, enrolment=enrolment)
    for i in range(58):
        VendorAccountFactory(organization=org, name=f"extra {i}")
    PlantTelemetryFactory.create_batch(3, plant=plants[0])
    return plants


def queries(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/plants?page_size={n}",
        "/api/v1/plants?page_size={n}&search=SN&ordering=-battery_usable_kwh",
        "/api/v1/fleets?page_size={n}",
        "/api/v1/enrolments?page_size={n}",
        "/api/v1/vendor-accounts?page_size={n}",
        "/api/v1/fleets/{fleet}/plants?page_size={n}",
        "/api/v1/plants?page_size={n}&fleet={fleet}",
    ],
)
def test_list_query_count_does_not_grow_with_page_size(bob_api, many, org, path):
    fleet = FleetFactory(organization=org, name="everything", filter_enabled=True)
    small = queries(bob_api, path.format(n=5, fleet=fleet.pk))
    large = queries(bob_api, path.format(n=50, fleet=fleet.pk))
    assert small == large
    assert large <= 8


@pytest.mark.django_db
def test_detail_query_counts_do_not_grow_with_items_devices_or_points(bob_api, many, org):
    enrolment = EnrolmentFactory(vendor_account=many[0].vendor_account)
    EnrolmentItemFactory.create_batch(5, enrolment=enrolment)
    few = queries(bob_api, f"/api/v1/enrolments/{enrolment.pk}")
    EnrolmentItemFactory.create_batch(200, enrolment=enrolment)
    assert queries(bob_api, f"/api/v1/enrolments/{enrolment.pk}") == few

    plant = many[1]
    few = queries(bob_api, f"/api/v1/plants/{plant.pk}")
    DeviceFactory.create_batch(20, plant=plant)
    FleetFactory.create_batch(20, organization=org, filter_enabled=True)
    assert queries(bob_api, f"/api/v1/plants/{plant.pk}") == few

    now = timezone.now()
    few = queries(bob_api, f"/api/v1/plants/{plant.pk}/telemetry")
    for minutes in range(0, 600, 5):
        PlantTelemetryFactory(plant=plant, measured_at=now - timedelta(minutes=minutes))
    assert queries(bob_api, f"/api/v1/plants/{plant.pk}/telemetry") == few
