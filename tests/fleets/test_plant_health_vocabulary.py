"""One plant-health vocabulary across vendors (vendors.base.PLANT_HEALTH): whatever word a vendor's adapter
uses, the plant and its telemetry say ok, offline, fault or no_data."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fleets.models import PlantTelemetry
from fleets.telemetry import telemetry_record
from tests.factories import PlantFactory, VendorAccountFactory
from vendors.base import PLANT_HEALTH, PlantKpi, plant_health


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        ("ok", "ok"),  # Huawei (healthState 0 or 3) and Growatt
        ("healthy", "ok"),
        ("disconnected", "offline"),
        ("faulty", "fault"),
        ("fault", "fault"),  # Growatt
        ("no data", "no_data"),  # Growatt
        ("", ""),
    ],
)
def test_every_vendor_word_maps_onto_the_vocabulary(said, shown):
    assert plant_health(said) == shown
    assert shown in (*PLANT_HEALTH, "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("vendor", "said", "shown"), [("growatt", "no data", "no_data"), ("huawei", "ok", "ok")]
)
def test_telemetry_stores_the_shared_word(org, vendor, said, shown):
    account = VendorAccountFactory(organization=org, vendor=vendor)
    plant = PlantFactory(organization=org, vendor_account=account)
    now = timezone.now()

    telemetry_record(
        account=account,
        plant_codes=[plant.plant_code],
        kpis=[PlantKpi(plant.plant_code, soc_pct=50.0, health=said, measured_at=now)],
        now=now,
    )

    plant.refresh_from_db()
    assert plant.health == shown
    assert PlantTelemetry.objects.get(plant=plant).health == shown
