"""GET /plants/{id}/telemetry?from=&to=: the plant's time series for charts, in time order."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from tests.factories import PlantFactory, PlantTelemetryFactory, VendorAccountFactory


@pytest.fixture
def plant(org):
    plant = PlantFactory(vendor_account=VendorAccountFactory(organization=org))
    now = timezone.now()
    for minutes in (5, 65, 125, 60 * 30):
        PlantTelemetryFactory(plant=plant, measured_at=now - timedelta(minutes=minutes), soc_pct=minutes)
    other = PlantFactory(vendor_account=plant.vendor_account)
    PlantTelemetryFactory(plant=other, measured_at=now - timedelta(minutes=10))
    return plant


@pytest.mark.django_db
def test_default_is_the_last_24_hours_oldest_first(bob_api, plant):
    body = bob_api.get(f"/api/v1/plants/{plant.pk}/telemetry").json()
    assert body["plant"] == plant.pk
    assert [p["soc_pct"] for p in body["points"]] == [125, 65, 5]
    assert set(body["points"][0]) == {
        "measured_at",
        "soc_pct",
        "battery_power_w",
        "pv_power_w",
        "load_power_w",
        "meter_power_w",
        "health",
    }


@pytest.mark.django_db
def test_a_window(bob_api, plant):
    now = timezone.now()
    query = urlencode(
        {"from": (now - timedelta(hours=3)).isoformat(), "to": (now - timedelta(hours=1)).isoformat()}
    )
    body = bob_api.get(f"/api/v1/plants/{plant.pk}/telemetry?{query}").json()
    assert [p["soc_pct"] for p in body["points"]] == [125, 65]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ({"from": "yesterday"}, "from", "invalid"),
        ({"to": "2026-13-01T00:00:00Z"}, "to", "invalid"),
        ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from", "invalid_range"),
        ({"from": "2025-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "from", "range_too_long"),
    ],
)
def test_bad_windows_are_400_naming_the_parameter(bob_api, plant, query, field, code):
    response = bob_api.get(f"/api/v1/plants/{plant.pk}/telemetry?{urlencode(query)}")
    assert response.status_code == 400
    assert response.json()["fields"][field][0]["code"] == code
