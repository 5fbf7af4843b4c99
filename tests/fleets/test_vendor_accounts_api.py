"""Vendor accounts: every member may list them (without secrets, ever); only admins add, change or delete
them; the secret is write-only."""

import json

import pytest

from fleets.models import VendorAccount
from tests.factories import PlantFactory, VendorAccountFactory

SECRET = "nbi-password-that-must-never-come-back"


def new_account(**extra):
    return {
        "name": "Huawei north",
        "vendor": "huawei",
        "base_url": "https://eu5.fusionsolar.huawei.com",
        "username": "nbi_north",
        "secret": SECRET,
        **extra,
    }


@pytest.mark.django_db
def test_admin_creates_an_account_and_the_secret_never_comes_back(alice_api, bob_api):
    response = alice_api.post("/api/v1/vendor-accounts", new_account(), format="json")
    assert response.status_code == 201, response.json()
    assert "secret" not in response.json()
    account = VendorAccount.objects.get(name="Huawei north")
    assert account.secret == SECRET
    for client in (alice_api, bob_api):
        for path in ("/api/v1/vendor-accounts", f"/api/v1/vendor-accounts/{account.pk}"):
            body = client.get(path)
            assert body.status_code == 200
            assert SECRET not in body.content.decode()
            assert "secret" not in json.dumps(body.json())


@pytest.mark.django_db
def test_updating_without_a_secret_keeps_it_and_with_one_replaces_it(alice_api, org):
    account = VendorAccountFactory(organization=org, secret=SECRET)
    alice_api.patch(f"/api/v1/vendor-accounts/{account.pk}", {"enabled": False}, format="json")
    account.refresh_from_db()
    assert (account.enabled, account.secret) == (False, SECRET)
    alice_api.patch(f"/api/v1/vendor-accounts/{account.pk}", {"secret": "new-one"}, format="json")
    account.refresh_from_db()
    assert account.secret == "new-one"


@pytest.mark.django_db
def test_operators_may_list_but_not_change_accounts(bob_api, org):
    account = VendorAccountFactory(organization=org, name="Kept")
    assert bob_api.post("/api/v1/vendor-accounts", new_account(), format="json").status_code == 403
    assert (
        bob_api.patch(f"/api/v1/vendor-accounts/{account.pk}", {"name": "X"}, format="json").status_code
        == 403
    )
    assert bob_api.delete(f"/api/v1/vendor-accounts/{account.pk}").status_code == 403
    assert list(VendorAccount.objects.values_list("name", flat=True)) == ["Kept"]


@pytest.mark.django_db
def test_an_account_with_plants_cannot_be_deleted(alice_api, org):
    plant = PlantFactory(vendor_account=VendorAccountFactory(organization=org))
    response = alice_api.delete(f"/api/v1/vendor-accounts/{plant.vendor_account_id}")
    assert response.status_code == 409
    assert response.json()["error"] == "in_use"
    assert VendorAccount.objects.filter(pk=plant.vendor_account_id).exists()
    empty = VendorAccountFactory(organization=org)
    assert alice_api.delete(f"/api/v1/vendor-accounts/{empty.pk}").status_code == 204


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (new_account(secret=""), "secret", "required"),
        ({k: v for k, v in new_account().items() if k != "secret"}, "secret", "required"),
        (new_account(vendor="sma"), "vendor", "invalid_choice"),
        (new_account(base_url="not a url"), "base_url", "invalid"),
        (new_account(username=""), "username", "required"),
        (new_account(clock_speed=1e308), "clock_speed", "not_allowed"),  # a simulator knob, not in the API
        (
            new_account(rate_limit_overrides={"chargeAndDischarge": [[0, 60]]}),
            "rate_limit_overrides",
            "invalid",
        ),
        (new_account(rate_limit_overrides=[1]), "rate_limit_overrides", "invalid"),
        (new_account(name="Taken"), "name", "unique"),
    ],
)
def test_bad_accounts_are_400_naming_the_field_and_write_nothing(alice_api, org, body, field, code):
    VendorAccountFactory(organization=org, name="Taken")
    response = alice_api.post("/api/v1/vendor-accounts", body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["fields"][field][0]["code"] == code
    assert VendorAccount.objects.count() == 1


@pytest.mark.django_db
def test_the_vendor_of_an_account_cannot_change(alice_api, org):
    account = VendorAccountFactory(organization=org, vendor="huawei")
    response = alice_api.patch(f"/api/v1/vendor-accounts/{account.pk}", {"vendor": "growatt"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["vendor"][0]["code"] == "immutable"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [
        {"chargeAndDischarge": [[2, 60]]},  # a burst of two where the vendor allows one a minute
        {"chargeAndDischarge": [[1, 30]]},  # one every 30 s: twice the vendor's rate
        {"login": [[10, 600], [20, 86400]]},  # a daily cap does not tighten the 10-minute burst
        {"plantRealtimeKpi": [[50, 300]]},  # 50 reads per 5 minutes for an account of no plants
        {"chargeAndDischargeStatuz": [[1, 60]]},  # a typo: no documented limit to be stricter than
    ],
)
def test_an_organisation_may_only_tighten_the_vendor_limits(alice_api, org, overrides):
    """Our limiter is what keeps the account inside the vendor's quota: an override that raises a limit
    is refused for the organisation's admins, through create and update alike, and nothing is written."""
    response = alice_api.post(
        "/api/v1/vendor-accounts", new_account(rate_limit_overrides=overrides), format="json"
    )
    assert response.status_code == 400, response.json()
    errors = response.json()["fields"]["rate_limit_overrides"]
    assert errors[0]["code"] == "not_stricter"
    assert next(iter(overrides)) in errors[0]["message"]
    assert not VendorAccount.objects.exists()

    account = VendorAccountFactory(organization=org, rate_limit_overrides={})
    response = alice_api.patch(
        f"/api/v1/vendor-accounts/{account.pk}", {"rate_limit_overrides": overrides}, format="json"
    )
    assert response.status_code == 400, response.json()
    account.refresh_from_db()
    assert account.rate_limit_overrides == {}


@pytest.mark.django_db
def test_a_stricter_override_is_taken_and_platform_staff_may_raise_one(alice_api, alice):
    stricter = {"chargeAndDischarge": [[1, 120]], "login": [[2, 600]]}
    response = alice_api.post(
        "/api/v1/vendor-accounts", new_account(rate_limit_overrides=stricter), format="json"
    )
    assert response.status_code == 201, response.json()
    assert VendorAccount.objects.get(pk=response.json()["id"]).rate_limit_overrides == stricter

    alice.is_superuser = True  # platform staff: a negotiated quota
    alice.save(update_fields=["is_superuser"])
    negotiated = {"chargeAndDischarge": [[5, 60]]}
    response = alice_api.patch(
        f"/api/v1/vendor-accounts/{response.json()['id']}",
        {"rate_limit_overrides": negotiated},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert VendorAccount.objects.get(pk=response.json()["id"]).rate_limit_overrides == negotiated
