"""Vendor account health (vendors.health) in the API: the account's `health`, its plants' `account_health`,
and the reset only admins may do. The record is what the adapters write to the shared vendor state store."""

from __future__ import annotations

import time

import pytest

from fleets.adapters import account_key, shared_state_store
from tests.factories import PlantFactory, VendorAccountFactory
from vendors import health


@pytest.fixture
def refused(org):
    """An account whose password the vendor refused, as the Huawei adapter records it, with one plant."""
    account = VendorAccountFactory(organization=org, vendor="huawei", username="nbi_user_1")
    PlantFactory(organization=org, vendor_account=account)
    health.health_refused(shared_state_store(), account_key(account), "login refused (empty body)")
    return account


@pytest.mark.django_db
def test_an_account_shows_its_health_to_every_member(alice_api, bob_api, org):
    account = VendorAccountFactory(organization=org)
    store, key = shared_state_store(), account_key(account)
    health.health_success(store, key)
    until = time.time() + 600
    health.health_rate_limited(store, key, until, "407 ACCESS_FREQUENCY_IS_TOO_HIGH")
    health.health_budget(store, key, 12)

    for client in (alice_api, bob_api):
        body = client.get(f"/api/v1/vendor-accounts/{account.pk}").json()["health"]
        assert body["status"] == "rate_limited" and body["budget_left_today"] == 12
        assert body["last_error"] == "407 ACCESS_FREQUENCY_IS_TOO_HIGH"
        assert body["rate_limited_until"].endswith("Z") and body["last_success_at"] is not None
    listed = alice_api.get("/api/v1/vendor-accounts").json()["results"]
    assert [a["health"]["status"] for a in listed if a["id"] == account.pk] == ["rate_limited"]


@pytest.mark.django_db
def test_an_account_nobody_called_yet_is_ok(alice_api, org):
    account = VendorAccountFactory(organization=org)
    body = alice_api.get(f"/api/v1/vendor-accounts/{account.pk}").json()["health"]
    assert body == {
        "status": "ok",
        "locked_until": None,
        "blocked_until": None,
        "rate_limited_until": None,
        "budget_left_today": None,
        "last_error": "",
        "last_error_at": None,
        "last_success_at": None,
    }


@pytest.mark.django_db
def test_plants_of_a_refused_account_say_so(bob_api, refused):
    plant = refused.plants.get()
    assert bob_api.get(f"/api/v1/plants/{plant.pk}").json()["account_health"] == "credentials_refused"
    listed = bob_api.get("/api/v1/plants").json()["results"]
    assert [p["account_health"] for p in listed] == ["credentials_refused"]


@pytest.mark.django_db
def test_only_an_admin_resets_the_health(alice_api, bob_api, charlie_api, refused):
    path = f"/api/v1/vendor-accounts/{refused.pk}/reset-health"
    assert charlie_api.post(path).status_code == 404  # another organisation's account does not exist
    assert bob_api.post(path).status_code == 403  # operators may not
    assert health.health_read(shared_state_store(), account_key(refused)).status == "credentials_refused"

    response = alice_api.post(path)

    assert response.status_code == 200 and response.json()["health"]["status"] == "ok"
    assert health.health_read(shared_state_store(), account_key(refused)).status == "ok"


@pytest.mark.django_db(transaction=True)
def test_a_new_secret_resets_the_refusal(alice_api, refused):
    response = alice_api.patch(f"/api/v1/vendor-accounts/{refused.pk}", {"secret": "x"}, format="json")
    assert response.status_code == 200
    assert health.health_read(shared_state_store(), account_key(refused)).status == "ok"


@pytest.mark.django_db(transaction=True)
def test_changing_something_else_keeps_the_refusal(alice_api, refused):
    response = alice_api.patch(f"/api/v1/vendor-accounts/{refused.pk}", {"enabled": False}, format="json")
    assert response.status_code == 200
    assert health.health_read(shared_state_store(), account_key(refused)).status == "credentials_refused"


@pytest.mark.django_db
def test_the_admin_shows_the_health_and_resets_it(client, alice, refused):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client.force_login(alice)
    page = client.get("/admin/fleets/vendoraccount/")
    assert page.status_code == 200 and "credentials_refused" in page.content.decode()
    detail = client.get(f"/admin/fleets/vendoraccount/{refused.pk}/change/")
    assert "login refused (empty body)" in detail.content.decode()

    client.post(
        "/admin/fleets/vendoraccount/",
        {"action": "reset_health", "_selected_action": [refused.pk]},
    )

    assert health.health_read(shared_state_store(), account_key(refused)).status == "ok"


@pytest.mark.django_db(transaction=True)
def test_a_growatt_token_the_vendor_refuses_shows_in_the_api(growatt_enrol_sim, org, alice_api):
    """The Growatt adapter writes its health record where the API reads it (the shared prefix)."""
    from fleets.discovery import vendor_account_sync
    from tests.plugins.fleet_sims import vendor_account_on

    account = vendor_account_on(growatt_enrol_sim, org, secret="not-the-token")
    assert vendor_account_sync(account_id=account.pk).error
    body = alice_api.get(f"/api/v1/vendor-accounts/{account.pk}").json()["health"]
    assert body["status"] == "credentials_refused" and body["last_error"]
