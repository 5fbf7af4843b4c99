"""Power-target tests use the dispatch API's fixtures and, end to end, the engine's workers and world."""

from datetime import timedelta

from django.utils import timezone

from dispatch.powertargets.models import PowerTarget
from fleets.models import Vendor
from tests.dispatch.api.conftest import fast_password_hashing  # noqa: F401
from tests.dispatch.engine.conftest import engine_settings, start_engine, world  # noqa: F401
from tests.factories import FleetFactory, PlantFactory, VendorAccountFactory


def discharge_target_on_ten_plants(api, organization, *, start_in_min: int, duration_min: int) -> PowerTarget:
    """20 kW of discharge, through the API, from a fleet of 10 Huawei plants of 5 kW at 80 % SOC with fresh
    telemetry: four take part, six are the reserve."""
    account = VendorAccountFactory(organization=organization, vendor=Vendor.HUAWEI)
    now = timezone.now()
    plants = [
        PlantFactory(vendor_account=account, soc_pct=80.0, battery_power_w=0.0, telemetry_at=now)
        for _ in range(10)
    ]
    fleet = FleetFactory(organization=organization)
    fleet.plants.set(plants)
    body = {
        "command": "power_target",
        "fleet": fleet.pk,
        "start_at": (now + timedelta(minutes=start_in_min)).isoformat(),
        "params": {
            "direction": "discharge",
            "power_kw": 20,
            "duration_min": duration_min,
            "soc_floor_pct": 20,
        },
    }
    response = api.post("/api/v1/dispatches", body, format="json")
    assert response.status_code == 201, response.content
    return PowerTarget.objects.get(job_id=response.json()["id"])
