"""Schemathesis against the live schema (/api/schema/), through the real WSGI application: every operation,
with valid and invalid data generated from the schema, as an operator of an organisation that has plants,
fleets, jobs, campaigns, enrolments and vendor accounts (and next to another organisation that has them
too). Every answer must be no 5xx, a status code the operation documents, the documented content type, and
a body that conforms to the documented schema.

Bounded so it stays a small part of the suite: few examples an operation, derandomised (the same cases on
every run, so a failure reproduces), no deadline (the machine is loaded), no shrinking.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from dispatch.models import DispatchTask
from fleets.models import Membership, Vendor
from tests.dispatch.api.conftest import make_job
from tests.factories import (
    CampaignFactory,
    DeviceFactory,
    EnrolmentFactory,
    EnrolmentItemFactory,
    FleetFactory,
    MembershipFactory,
    OrganizationFactory,
    PlantFactory,
    PlantTelemetryFactory,
    UserFactory,
    VendorAccountFactory,
    token_for,
)
from vpp.wsgi import application

OURS, THEIRS = 7_000_001, 7_000_002  # every kind of object exists with these ids: ours and another's
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
MAX_EXAMPLES = 6


@schemathesis.hook
def before_generate_path_parameters(context, strategy):
    """Path ids: our object, another organisation's, or whatever the schema allows (mostly unknown)."""
    return st.one_of(st.just({"id": OURS}), st.just({"id": THEIRS}), strategy)


# The live schema, as /api/schema/ serves it (no database needed to build it).
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/", application, config=schemathesis.Config.from_dict({"generation": {"mode": "all"}})
)


def _organisation_with_everything(name: str, pk: int, *, user):
    org = OrganizationFactory(name=name)
    MembershipFactory(user=user, organization=org, role=Membership.Role.OPERATOR)
    huawei = VendorAccountFactory(id=pk, organization=org, vendor=Vendor.HUAWEI)
    growatt = VendorAccountFactory(organization=org, vendor=Vendor.GROWATT, username="")
    plants = [PlantFactory(id=pk, vendor_account=huawei), PlantFactory(vendor_account=growatt)]
    DeviceFactory(plant=plants[0])
    PlantTelemetryFactory(plant=plants[0])
    fleet = FleetFactory(id=pk, organization=org, filter_enabled=True, filter_vendor=Vendor.HUAWEI)
    fleet.plants.set(plants)
    CampaignFactory(id=pk, organization=org, fleet=fleet)
    states = [DispatchTask.State.COMPLETED, DispatchTask.State.PENDING]
    job = make_job(org, user, plants, id=pk, states=states)
    job.fleet = fleet
    job.save(update_fields=["fleet"])
    enrolment = EnrolmentFactory(id=pk, vendor_account=huawei)
    EnrolmentItemFactory(enrolment=enrolment)  # still pending: no plant yet (null in the answer)
    EnrolmentItemFactory(enrolment=enrolment, plant=plants[0], state="succeeded")
    return org


@pytest.fixture
def keep_test_transaction():
    """Django's test client does this: a WSGI request must not close the connection that holds the test's
    transaction (close_old_connections would, as autocommit is off inside it)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def operator_token(db, settings, keep_test_transaction):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    bob = UserFactory(username="bob")
    _organisation_with_everything("Acme Grid", OURS, user=bob)
    _organisation_with_everything("Rival Energy", THEIRS, user=UserFactory(username="charlie"))
    return token_for(bob)


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_every_operation_answers_as_documented(case, operator_token):
    case.call_and_validate(headers={"Authorization": f"Token {operator_token}"}, checks=CHECKS)
