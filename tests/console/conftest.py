"""Fixtures of the console tests: Acme's plants and fleet, Django session clients for alice, bob, a viewer
and charlie (another organisation)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from fleets.models import Membership, Vendor
from tests.factories import FleetFactory, MembershipFactory, PlantFactory, UserFactory, VendorAccountFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def session_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer(org):
    return MembershipFactory(
        user=UserFactory(username="vera"), organization=org, role=Membership.Role.VIEWER
    ).user


@pytest.fixture
def acme(org):
    huawei = VendorAccountFactory(organization=org, vendor=Vendor.HUAWEI, name="huawei main")
    growatt = VendorAccountFactory(organization=org, vendor=Vendor.GROWATT, username="", name="growatt main")
    plants = [PlantFactory(vendor_account=huawei, soc_pct=15 + 20 * i) for i in range(3)]
    plants.append(PlantFactory(vendor_account=growatt, soc_pct=95, timezone="Australia/Sydney"))
    fleet = FleetFactory(organization=org, name="North")
    fleet.plants.set(plants)
    return {"huawei": huawei, "growatt": growatt, "plants": plants, "fleet": fleet}


# The engine's fixtures (real workers and beat, a world built from the simulators) for the browser test.
from tests.dispatch.engine.conftest import engine_settings, start_engine, world  # noqa: E402, F401


def make_power_target(*, org, fleet, plants, user, now=None):
    """A power target half way through its window, as the service and the engine would have left it,
    built without a worker: 15 kW of discharge for 60 minutes from three plants of 5 kW, started 30
    minutes ago; the vendor took every command at the window's start; telemetry every 5 minutes shows
    each plant discharging 5 kW since, after an hour of charging 1 kW (the baseline)."""
    from dispatch.engine.codec import command_to_json
    from dispatch.models import DispatchTask
    from dispatch.powertargets.models import PowerTarget, PowerTargetPlant
    from fleets.models import PlantTelemetry
    from tests.factories import DispatchJobFactory, DispatchTaskFactory
    from vendors.base import ChargeDischarge

    now = now or timezone.now()
    start = now - timedelta(minutes=30)
    params = {"direction": "discharge", "power_kw": 15.0, "duration_min": 60, "soc_floor_pct": 20.0}
    job = DispatchJobFactory(
        organization=org,
        created_by=user,
        fleet=fleet,
        params=params,
        command=command_to_json(ChargeDischarge(action="discharge", control="duration", duration_min=60)),
        start_at=start,
        started_at=start,
        task_count=len(plants),
    )
    plan = {
        "intervals": [
            {"start": (start + timedelta(minutes=5 * k)).isoformat(), "planned_kw": 15.0 if k else 10.0}
            for k in range(12)
        ]
    }
    target = PowerTarget.objects.create(
        job=job, direction="discharge", power_kw=15.0, duration_min=60, soc_floor_pct=20.0,
        window_start=start, window_end=start + timedelta(minutes=60), plan=plan,
    )  # fmt: skip
    rows = []
    for plant in plants:
        task = DispatchTaskFactory(job=job, plant=plant, state=DispatchTask.State.IN_PROGRESS, sent_at=start)
        PowerTargetPlant.objects.create(
            target=target, plant=plant, task=task, allocated_kw=5.0, command_power_w=5000,
            duration_min=60, send_at=start, eta=start, energy_headroom_kwh=8.0,
        )  # fmt: skip
        for minute in range(-55, 0, 5):  # the hour before: charging 1 kW
            rows.append(
                PlantTelemetry(
                    plant=plant, measured_at=start + timedelta(minutes=minute), battery_power_w=1000
                )
            )
        for minute in range(1, 30, 5):  # the window: discharging 5 kW
            rows.append(
                PlantTelemetry(
                    plant=plant, measured_at=start + timedelta(minutes=minute), battery_power_w=-5000
                )
            )
    PlantTelemetry.objects.bulk_create(rows)
    return target


@pytest.fixture
def power_target(acme, org, bob):
    huawei = acme["plants"][:3]
    return make_power_target(org=org, fleet=acme["fleet"], plants=huawei, user=bob)
