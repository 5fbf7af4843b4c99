"""Brute force on the admin login: django-axes locks a user name from an address out after
AXES_FAILURE_LIMIT failures, the right password included, until AXES_COOLOFF_MIN has passed.

Time is driven with time-machine (axes compares attempt times with django.utils.timezone.now()).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from fleets.models import Membership
from tests.factories import MembershipFactory, UserFactory, token_for

PASSWORD = "correct horse battery staple"
LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def ada(org, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # 31 logins, not 31 s
    user = UserFactory(username="ada", is_staff=True, password=PASSWORD)
    MembershipFactory(user=user, organization=org, role=Membership.Role.ADMIN)
    return user


def _login(client, password: str):
    return client.post(LOGIN, {"username": "ada", "password": password, "next": "/admin/"})


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_thirty_wrong_passwords_lock_the_login_and_the_right_one_fails_until_the_cool_off(client, ada):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        answers = [_login(client, f"guess-{n}").status_code for n in range(30)]
        # The form again (200) until the limit; from there on the lockout answer (429).
        limit = settings.AXES_FAILURE_LIMIT
        assert answers[: limit - 1] == [200] * (limit - 1)
        assert set(answers[limit:]) == {429}
        locked = _login(client, PASSWORD)
        assert locked.status_code == 429
        assert not _logged_in(client)

        clock.shift(settings.AXES_COOLOFF_TIME - timedelta(seconds=30))
        assert _login(client, PASSWORD).status_code == 429  # still within the cool-off...
        assert not _logged_in(client)

        # ... and an attempt while locked out starts the cool-off again (axes counts from the last one).
        clock.shift(timedelta(seconds=60))
        assert _login(client, PASSWORD).status_code == 429
        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        assert _login(client, PASSWORD).status_code == 302  # cooled off: the right password works
        assert _logged_in(client)


@pytest.mark.django_db
def test_a_lockout_is_per_user_name_and_leaves_api_tokens_alone(client, ada, alice):
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"guess-{n}")
    assert _login(client, PASSWORD).status_code == 429
    # Another user from the same address still logs in; the locked user's API token still works.
    alice.set_password(PASSWORD)
    alice.is_staff = True
    alice.save()
    answer = client.post(LOGIN, {"username": "alice", "password": PASSWORD, "next": "/admin/"})
    assert answer.status_code == 302
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_for(ada)}")
    assert api.get("/api/v1/plants").status_code == 200


@pytest.mark.django_db
def test_a_successful_login_resets_the_count(client, ada):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, f"guess-{n}")
    assert _login(client, PASSWORD).status_code == 302
    client.logout()
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, f"guess-{n}")
    assert _login(client, PASSWORD).status_code == 302


SQLITE_LOCKOUT = """
import django
django.setup()
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No collectstatic here: name static files plainly, as tests/conftest.py does for in-process tests.
plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
settings.STORAGES = {**settings.STORAGES, "staticfiles": plain}
call_command("migrate", verbosity=0)
get_user_model().objects.create_user("ada", password="right-password", is_staff=True)
client = Client()
form = {"username": "ada", "next": "/admin/"}
codes = [client.post("/admin/login/", {**form, "password": "wrong"}).status_code for _ in range(30)]
right = client.post("/admin/login/", {**form, "password": "right-password"}).status_code
print(settings.DATABASES["default"]["ENGINE"], codes[-1], right)
"""


def test_the_lockout_works_on_the_embedded_sqlite_database_too(tmp_path):
    """The demo's database: the same 30 wrong passwords, then the right one refused (a fresh process on
    SQLite under a temporary VPP_VAR_DIR)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update(
        VPP_VAR_DIR=str(tmp_path), VPP_DEMO="1", DJANGO_SETTINGS_MODULE="vpp.settings", LOG_LEVEL="WARNING"
    )
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_LOCKOUT],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["django.db.backends.sqlite3", "429", "429"]
