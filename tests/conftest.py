"""Root fixtures: the three users every API test needs, and API clients for them.

As in healthchecks' BaseTestCase: alice is an admin of "Acme Grid", bob an operator there, and charlie an
operator of another organisation who must never see or move Acme's things. Fixtures that start real
servers and processes live in tests/plugins/.
"""

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from fleets.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory, token_for

pytest_plugins = [
    "tests.plugins.huawei_sim",
    "tests.plugins.growatt_sim",
    "tests.plugins.celery_worker",
    "tests.plugins.fleet_sims",
]


@pytest.fixture(autouse=True, scope="session")
def _plain_static_files():
    """Pages render {% static %} without a collectstatic run here: the hashed-manifest storage of production
    (settings.STORAGES) needs its manifest, so tests name files plainly and serve them from the apps' folders.
    tests/console/test_static_files.py runs collectstatic with the real storage."""
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}):
        yield


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Acme Grid")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Rival Energy")


@pytest.fixture
def alice(org):
    return MembershipFactory(
        user=UserFactory(username="alice"), organization=org, role=Membership.Role.ADMIN
    ).user


@pytest.fixture
def bob(org):
    return MembershipFactory(user=UserFactory(username="bob"), organization=org).user


@pytest.fixture
def charlie(other_org):
    return MembershipFactory(user=UserFactory(username="charlie"), organization=other_org).user


def _client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@pytest.fixture
def alice_api(alice):
    return _client_for(alice)


@pytest.fixture
def bob_api(bob):
    return _client_for(bob)


@pytest.fixture
def charlie_api(charlie):
    return _client_for(charlie)
