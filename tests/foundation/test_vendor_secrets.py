"""Vendor secrets are encrypted at rest and never shown: not in the database, a dump, or the admin."""

import json
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.db import connection

from fleets.models import VendorAccount
from tests.factories import VendorAccountFactory

SECRET = "hunter2-plaintext-vendor-password"


@pytest.mark.django_db
def test_secret_round_trips_but_the_column_holds_only_ciphertext():
    account = VendorAccountFactory(secret=SECRET)
    assert VendorAccount.objects.get(pk=account.pk).secret == SECRET
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM fleets_vendoraccount WHERE id = %s", [account.pk])
        (stored,) = cursor.fetchone()
    assert SECRET not in stored
    assert stored.startswith("gAAAA")  # a Fernet token


@pytest.mark.django_db(transaction=True)
def test_secret_is_unreadable_in_a_pg_dump():
    if connection.vendor != "postgresql" or not shutil.which("pg_dump"):
        pytest.fail("this test needs PostgreSQL and pg_dump (make test provides both)")
    VendorAccountFactory(secret=SECRET)
    db = connection.settings_dict
    dump = subprocess.run(
        [
            "pg_dump",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-p",
            str(db["PORT"] or 5432),
            "-U",
            db["USER"],
            "--data-only",
            "-t",
            "fleets_vendoraccount",
            db["NAME"],
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "fleets_vendoraccount" in dump.stdout
    assert SECRET not in dump.stdout


@pytest.mark.django_db
def test_dumpdata_writes_ciphertext_and_loaddata_restores_the_secret(tmp_path):
    account = VendorAccountFactory(secret=SECRET)
    out = tmp_path / "accounts.json"
    call_command("dumpdata", "fleets.vendoraccount", "--output", str(out))
    assert SECRET not in out.read_text()
    VendorAccount.objects.filter(pk=account.pk).update(username="changed")
    call_command("loaddata", str(out))
    restored = VendorAccount.objects.get(pk=account.pk)
    assert restored.secret == SECRET
    assert json.loads(out.read_text())[0]["fields"]["username"] == restored.username


@pytest.mark.django_db
def test_admin_pages_never_show_the_secret(admin_client):
    account = VendorAccountFactory(secret=SECRET)
    for url in ["/admin/fleets/vendoraccount/", f"/admin/fleets/vendoraccount/{account.pk}/change/"]:
        page = admin_client.get(url)
        assert page.status_code == 200
        assert SECRET not in page.content.decode()


@pytest.mark.django_db
def test_admin_keeps_the_stored_secret_when_the_field_is_left_empty(admin_client):
    account = VendorAccountFactory(secret=SECRET)
    form = {
        "organization": account.organization_id,
        "vendor": account.vendor,
        "name": "renamed",
        "base_url": account.base_url,
        "username": account.username,
        "secret": "",
        "enabled": "on",
        "clock_speed": "1.0",
        "rate_limit_overrides": "{}",
    }
    response = admin_client.post(f"/admin/fleets/vendoraccount/{account.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert (account.name, account.secret) == ("renamed", SECRET)
