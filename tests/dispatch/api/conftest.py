"""Fixtures of the dispatch API tests: Acme's plants and fleet (alice, bob), Rival's (charlie), and helpers.

Jobs made here with the ORM are "created but not sent": no worker runs, nothing talks to a vendor.
"""

from __future__ import annotations

import itertools

import pytest

from dispatch.engine.codec import command_to_json
from dispatch.kinds import validate_command
from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from fleets.models import Vendor

# The engine's fixtures (real workers and beat, a world built from the simulators) for the end-to-end test.
from tests.dispatch.engine.conftest import engine_settings, start_engine, world  # noqa: F401
from tests.factories import FleetFactory, PlantFactory, VendorAccountFactory

CHARGE = {"action": "charge", "control": "soc", "target_soc_pct": 90, "power_w": 3000}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """alice, bob and charlie get passwords: hashing them with PBKDF2 costs seconds a test on a busy CPU."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def acme_plants(org):
    huawei = VendorAccountFactory(organization=org, vendor=Vendor.HUAWEI)
    growatt = VendorAccountFactory(organization=org, vendor=Vendor.GROWATT, username="")
    return [PlantFactory(vendor_account=huawei) for _ in range(3)] + [PlantFactory(vendor_account=growatt)]


@pytest.fixture
def acme_fleet(org, acme_plants):
    fleet = FleetFactory(organization=org, name="North")
    fleet.plants.set(acme_plants)
    return fleet


@pytest.fixture
def rival_plants(other_org):
    account = VendorAccountFactory(organization=other_org)
    return [PlantFactory(vendor_account=account) for _ in range(2)]


@pytest.fixture
def rival_fleet(other_org, rival_plants):
    fleet = FleetFactory(organization=other_org, name="Rival South")
    fleet.plants.set(rival_plants)
    return fleet


def row_counts() -> tuple[int, int, int]:
    return DispatchJob.objects.count(), DispatchTask.objects.count(), VendorRequest.objects.count()


@pytest.fixture
def nothing_written(db):
    """Assert, at the end of the test, that no job, task or vendor request row was written."""
    before = row_counts()
    yield
    assert row_counts() == before, "an invalid request wrote rows"


_counter = itertools.count()


def make_job(
    organization, user, plants, *, states=None, command_kind="charge_discharge", **fields
) -> DispatchJob:
    """A job and its tasks written directly (bulk), as the service would, without sending anything.

    `states` cycles over the tasks (default: all pending); completed charge tasks report 1.5 kWh charged.
    """
    params, command = validate_command(command_kind, fields.pop("params", CHARGE))
    job = DispatchJob.objects.create(
        organization=organization,
        created_by=user,
        command_kind=command_kind,
        params=params,
        command=command_to_json(command),
        task_count=len(plants),
        **fields,
    )
    states = itertools.cycle(states or [DispatchTask.State.PENDING])
    DispatchTask.objects.bulk_create(
        [
            DispatchTask(
                job=job,
                plant=plant,
                vendor_account_id=plant.vendor_account_id,
                state=(state := next(states)),
                charged_kwh=1.5 if state == DispatchTask.State.COMPLETED else None,
            )
            for plant in plants
        ],
        batch_size=2000,
    )
    return job
