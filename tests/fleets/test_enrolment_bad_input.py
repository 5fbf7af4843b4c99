"""A bad enrolment request is a 400 that names the field and the rule, and writes nothing: no enrolment, no
item, no plant, and nothing is sent to a worker."""

import pytest

from fleets.models import Enrolment, EnrolmentItem, Plant
from tests.factories import VendorAccountFactory


@pytest.fixture
def accounts(org, other_org):
    return {
        "huawei": VendorAccountFactory(organization=org, vendor="huawei"),
        "growatt": VendorAccountFactory(organization=org, vendor="growatt", username=""),
        "disabled": VendorAccountFactory(organization=org, vendor="huawei", enabled=False),
        "theirs": VendorAccountFactory(organization=other_org, vendor="huawei"),
    }


def sn(n=1, **extra):
    return {"sn": f"HV{n:010d}", "email": f"owner_{n}@example.com", **extra}


CASES = [
    # (name, body builder (accounts -> body), field, code)
    ("empty body", lambda a: {}, "vendor_account", "required"),
    ("no method", lambda a: {"vendor_account": a["huawei"].pk, "items": [sn()]}, "method", "required"),
    ("no items", lambda a: {"vendor_account": a["huawei"].pk, "method": "sn"}, "items", "required"),
    (
        "empty items",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": []},
        "items",
        "min_length",
    ),
    (
        "1001 items",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": [sn(i) for i in range(1001)]},
        "items",
        "max_length",
    ),
    (
        "unknown account",
        lambda a: {"vendor_account": 999999, "method": "sn", "items": [sn()]},
        "vendor_account",
        "does_not_exist",
    ),
    (
        "another organisation's account",
        lambda a: {"vendor_account": a["theirs"].pk, "method": "sn", "items": [sn()]},
        "vendor_account",
        "does_not_exist",
    ),
    (
        "disabled account",
        lambda a: {"vendor_account": a["disabled"].pk, "method": "sn", "items": [sn()]},
        "vendor_account",
        "disabled",
    ),
    (
        "account as a string",
        lambda a: {"vendor_account": "huawei", "method": "sn", "items": [sn()]},
        "vendor_account",
        "incorrect_type",
    ),
    (
        "unknown method",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "qr", "items": [sn()]},
        "method",
        "invalid_choice",
    ),
    (
        "method as a number",
        lambda a: {"vendor_account": a["huawei"].pk, "method": 1, "items": [sn()]},
        "method",
        "invalid_choice",
    ),
    (
        "items as a string",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": "HV1,HV2"},
        "items",
        "not_a_list",
    ),
    (
        "items as an object",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": {"sn": "HV1"}},
        "items",
        "not_a_list",
    ),
    (
        "an item that is a string",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": [sn(), "HV0000000002"]},
        "items.1",
        "invalid",
    ),
    (
        "an item without sn",
        lambda a: {
            "vendor_account": a["huawei"].pk,
            "method": "sn",
            "items": [sn(), {"email": "x@example.com"}],
        },
        "items.1.sn",
        "required",
    ),
    (
        "an empty sn",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": [sn(sn="")]},
        "items.0.sn",
        "blank",
    ),
    (
        "an sn with a comma",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": [sn(sn="HV1,HV2")]},
        "items.0.sn",
        "invalid_format",
    ),
    (
        "an sn with spaces",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": [sn(sn="HV 0001")]},
        "items.0.sn",
        "invalid_format",
    ),
    (
        "an sn too long",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": [sn(sn="H" * 65)]},
        "items.0.sn",
        "max_length",
    ),
    (
        "an sn as a number",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": [sn(sn=["HV1"])]},
        "items.0.sn",
        "invalid",
    ),
    (
        "a duplicate sn",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": [sn(1), sn(1)]},
        "items.1.sn",
        "duplicate",
    ),
    (
        "a Huawei sn without owner",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": [sn(), {"sn": "HV0000000002"}]},
        "items.1",
        "owner_required",
    ),
    (
        "a bad email",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": [sn(email="not-an-email")]},
        "items.0.email",
        "invalid",
    ),
    (
        "a bad phone",
        lambda a: {
            "vendor_account": a["huawei"].pk,
            "method": "sn",
            "items": [{"sn": "HV1", "phone": "call me"}],
        },
        "items.0.phone",
        "invalid",
    ),
    (
        "an unknown item key",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "sn", "items": [sn(serial="x")]},
        "items.0.serial",
        "unknown_field",
    ),
    (
        "a Growatt sn without check code",
        lambda a: {"vendor_account": a["growatt"].pk, "method": "sn", "items": [{"sn": "DL0001"}]},
        "items.0.check_code",
        "required",
    ),
    (
        "a Growatt bad timezone",
        lambda a: {
            "vendor_account": a["growatt"].pk,
            "method": "sn",
            "items": [{"sn": "DL0001", "check_code": "AB12", "timezone": "Mars/X"}],
        },
        "items.0.timezone",
        "invalid_timezone",
    ),
    (
        "AC on Growatt",
        lambda a: {
            "vendor_account": a["growatt"].pk,
            "method": "ac",
            "items": [{"authorization_code": "123"}],
        },
        "method",
        "unsupported_by_vendor",
    ),
    (
        "AC item without code",
        lambda a: {"vendor_account": a["huawei"].pk, "method": "ac", "items": [sn()]},
        "items.0.authorization_code",
        "required",
    ),
    (
        "AC with a comma",
        lambda a: {
            "vendor_account": a["huawei"].pk,
            "method": "ac",
            "items": [{"authorization_code": "41000,41001"}],
        },
        "items.0.authorization_code",
        "invalid_format",
    ),
    (
        "AC with an sn as well",
        lambda a: {
            "vendor_account": a["huawei"].pk,
            "method": "ac",
            "items": [{"authorization_code": "4100000013", "sn": "HV1"}],
        },
        "items.0.sn",
        "not_allowed",
    ),
    (
        "a duplicate AC",
        lambda a: {
            "vendor_account": a["huawei"].pk,
            "method": "ac",
            "items": [{"authorization_code": "ab1"}, {"authorization_code": "AB1"}],
        },
        "items.1.authorization_code",
        "duplicate",
    ),
]


def counts():
    return Enrolment.objects.count(), EnrolmentItem.objects.count(), Plant.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "body", "field", "code"), CASES, ids=[c[0] for c in CASES])
def test_bad_enrolment_request_is_a_400_naming_the_field_and_writes_nothing(
    bob_api, accounts, name, body, field, code
):
    before = counts()
    response = bob_api.post("/api/v1/enrolments", body(accounts), format="json")
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["error"] == "invalid"
    assert field in error["fields"], error
    assert code in [problem["code"] for problem in error["fields"][field]], error
    assert counts() == before


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_400_and_writes_nothing(bob_api, accounts):
    response = bob_api.post("/api/v1/enrolments", "sn=HV1", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "parse_error"
    assert counts() == (0, 0, 0)


@pytest.mark.django_db
def test_every_bad_item_is_reported_at_once(bob_api, accounts):
    """Field rules first (each item's own fields), then the rules across items (owner, duplicates)."""
    huawei = accounts["huawei"].pk
    shape = [sn(1), {"sn": "HV 2", "email": "x@example.com"}, sn(3), {"sn": "HV4", "email": "nope"}]
    fields = bob_api.post(
        "/api/v1/enrolments", {"vendor_account": huawei, "method": "sn", "items": shape}, format="json"
    ).json()["fields"]
    assert set(fields) == {"items.1.sn", "items.3.email"}
    across = [sn(1), sn(2), {"sn": "HV4"}, sn(1), {"sn": "HV5"}]
    fields = bob_api.post(
        "/api/v1/enrolments", {"vendor_account": huawei, "method": "sn", "items": across}, format="json"
    ).json()["fields"]
    assert set(fields) == {"items.2", "items.3.sn", "items.4"}
    assert counts() == (0, 0, 0)
