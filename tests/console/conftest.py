"""Fixtures of the console tests: Acme's plants and fleet, Django session clients for alice, bob, a viewer
and charlie (another organisation)."""

from __future__ import annotations

import pytest
from django.test import Client

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
