"""Bad input across the write endpoints: each request is a JSON 400 in the error shape that names the field
(and the rule), and no row of any model changes. Ids must be JSON integers in 1..2^63-1, datetimes carry a
zone, start_at is not in the past, numbers are finite (1e400 is infinity to the JSON parser), text is valid
Unicode, old field names are aliases that may not be given together with the new ones.

Some bodies are raw JSON text: Python's json.dumps cannot write 1e400 or a lone surrogate escape as such.
"""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.utils import timezone

from fleets.models import Vendor
from tests.factories import CampaignFactory, FleetFactory, PlantFactory, VendorAccountFactory

TOO_BIG = 2**63  # one past the database's bigint range
CHARGE = {"action": "charge", "control": "soc", "target_soc_pct": 80}


def every_row_count() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Before alice, bob and charlie get their passwords: PBKDF2 costs seconds a test on a busy CPU."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def t(org, other_org, alice, bob, charlie):
    account = VendorAccountFactory(organization=org, vendor=Vendor.HUAWEI)
    plants = [PlantFactory(vendor_account=account) for _ in range(2)]
    fleet = FleetFactory(organization=org, name="North")
    fleet.plants.set(plants)
    rival_plant = PlantFactory(vendor_account=VendorAccountFactory(organization=other_org))
    return SimpleNamespace(
        account=account,
        plants=plants,
        plant=plants[0].pk,
        fleet=fleet,
        campaign=CampaignFactory(organization=org, fleet=fleet),
        rival_plant=rival_plant.pk,
    )


def dispatch(t, **changes):
    return {"command": "charge_discharge", "params": CHARGE, "plants": [p.pk for p in t.plants], **changes}


def dispatch_raw(t, params_json: str, command: str = "charge_discharge") -> str:
    """A dispatch body whose params are written as JSON text."""
    plants = json.dumps([p.pk for p in t.plants])
    return f'{{"command": "{command}", "plants": {plants}, "params": {params_json}}}'


def campaign(t, **changes):
    body = {
        "name": "Evening",
        "fleet": t.fleet.pk,
        "command": "charge_discharge",
        "params": {"action": "discharge", "control": "duration", "duration_min": 60},
        "recurrence_kind": "cron",
        "recurrence": "0 17 * * 1-5",
        "timezone": "Europe/Berlin",
        "start_date": "2026-01-01",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def enrolment(t, **changes):
    item = {"sn": "HV0000000001", "email": "owner@example.com"}
    return {"vendor_account": t.account.pk, "method": "sn", "items": [item], **changes}


def account(**changes):
    return {"name": "Second", "vendor": "huawei", "base_url": "https://eu5.fusionsolar.huawei.com",
            "username": "nbi", "secret": "s3cret", **changes}  # fmt: skip


def _ago(**delta) -> str:
    return (timezone.now() - timedelta(**delta)).isoformat()


DISPATCHES = "/api/v1/dispatches"
CAMPAIGNS = "/api/v1/campaigns"
CAMPAIGN = "/api/v1/campaigns/{campaign}"
FLEETS = "/api/v1/fleets"
FLEET = "/api/v1/fleets/{fleet}"
ADD = "/api/v1/fleets/{fleet}/add-plants"
REMOVE = "/api/v1/fleets/{fleet}/remove-plants"
PLANT = "/api/v1/plants/{plant}"
ENROLMENTS = "/api/v1/enrolments"
ACCOUNTS = "/api/v1/vendor-accounts"
ACCOUNT = "/api/v1/vendor-accounts/{account}"

# (case id, caller, method, url, body builder (t -> dict or raw JSON text), field named, rule code or None)
CASES = [
    # --- POST /dispatches: ids, times, numbers, text
    (
        "dispatch plant id as a string",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, plants=[str(t.plant)]),
        "plants.0",
        "invalid",
    ),  # noqa: E501
    (
        "dispatch plant id as 10.0",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, plants=[float(t.plant)]),
        "plants.0",
        "invalid",
    ),  # noqa: E501
    (
        "dispatch plant id true",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, plants=[True]),
        "plants.0",
        "invalid",
    ),  # noqa: E501
    (
        "dispatch plant id 2^63",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, plants=[TOO_BIG]),
        "plants.0",
        "out_of_range",
    ),  # noqa: E501
    (
        "dispatch plant id 2^64+1",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, plants=[2**64 + 1]),
        "plants.0",
        "out_of_range",
    ),  # noqa: E501
    (
        "dispatch plant id 0",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, plants=[0]),
        "plants.0",
        "out_of_range",
    ),  # noqa: E501
    (
        "dispatch plant id -1",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, plants=[-1]),
        "plants.0",
        "out_of_range",
    ),  # noqa: E501
    (
        "dispatch fleet id as a string",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, plants=None, fleet=str(t.fleet.pk)),
        "fleet",
        "invalid",
    ),  # noqa: E501
    (
        "dispatch fleet id 2^63",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, plants=None, fleet=TOO_BIG),
        "fleet",
        "out_of_range",
    ),  # noqa: E501
    (
        "dispatch fleet id 1.5",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, plants=None, fleet=1.5),
        "fleet",
        "invalid",
    ),  # noqa: E501
    (
        "dispatch fleet id true",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, plants=None, fleet=True),
        "fleet",
        "invalid",
    ),  # noqa: E501
    (
        "dispatch start_at without a zone",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, start_at="2099-01-01T17:00:00"),
        "start_at",
        "timezone_required",
    ),  # noqa: E501
    (
        "dispatch start_at a bare date",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, start_at="2099-01-01"),
        "start_at",
        "timezone_required",
    ),  # noqa: E501
    (
        "dispatch start_at an hour ago",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, start_at=_ago(hours=1)),
        "start_at",
        "in_the_past",
    ),  # noqa: E501
    (
        "dispatch start_at 90 s ago",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, start_at=_ago(seconds=90)),
        "start_at",
        "in_the_past",
    ),  # noqa: E501
    (
        "dispatch deadline without a zone",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, deadline="2099-01-01T17:00:00"),
        "deadline",
        "timezone_required",
    ),  # noqa: E501
    (
        "dispatch target SOC 1e400",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch_raw(t, '{"action": "charge", "control": "soc", "target_soc_pct": 1e400}'),
        "params.target_soc_pct",
        "not_finite",
    ),  # noqa: E501
    (
        "dispatch target SOC -1e400",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch_raw(t, '{"action": "charge", "control": "soc", "target_soc_pct": -1e400}'),
        "params.target_soc_pct",
        "not_finite",
    ),  # noqa: E501
    (
        "dispatch power 1e400",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch_raw(
            t, '{"action": "charge", "control": "soc", "target_soc_pct": 50, "power_w": 1e400}'
        ),
        "params.power_w",
        "invalid",
    ),  # noqa: E501
    (
        "dispatch feed-in power 1e400 (no upper bound)",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch_raw(t, '{"max_feed_grid_power_kw": 1e400}', "default_setting"),
        "params.max_feed_grid_power_kw",
        "not_finite",
    ),  # noqa: E501
    (
        "dispatch DoD as a string",
        "bob",
        "post",
        DISPATCHES,
        lambda t: dispatch(t, command="dod", params={"dod_pct": "50"}),
        "params.dod_pct",
        "invalid",
    ),  # noqa: E501
    (
        "dispatch lone surrogate in a string",
        "bob",
        "post",
        DISPATCHES,
        lambda t: json.dumps(dispatch(t))[:-1] + ', "on_conflict": "\\ud800"}',
        "on_conflict",
        "lone_surrogate",
    ),  # noqa: E501
    # --- POST/PATCH /campaigns
    (
        "campaign fleet id as a string",
        "bob",
        "post",
        CAMPAIGNS,
        lambda t: campaign(t, fleet=str(t.fleet.pk)),
        "fleet",
        "incorrect_type",
    ),  # noqa: E501
    (
        "campaign fleet id 2^63",
        "bob",
        "post",
        CAMPAIGNS,
        lambda t: campaign(t, fleet=TOO_BIG),
        "fleet",
        "out_of_range",
    ),  # noqa: E501
    (
        "campaign fleet id 1.0",
        "bob",
        "post",
        CAMPAIGNS,
        lambda t: campaign(t, fleet=1.0),
        "fleet",
        "incorrect_type",
    ),  # noqa: E501
    (
        "campaign unknown command",
        "bob",
        "post",
        CAMPAIGNS,
        lambda t: campaign(t, command="teleport"),
        "command",
        "invalid_choice",
    ),  # noqa: E501
    (
        "campaign command and its old name",
        "bob",
        "post",
        CAMPAIGNS,
        lambda t: campaign(t, command_kind="charge_discharge"),
        "command_kind",
        "duplicate_alias",
    ),  # noqa: E501
    (
        "campaign without a command",
        "bob",
        "post",
        CAMPAIGNS,
        lambda t: campaign(t, command=...),
        "command",
        "required",
    ),  # noqa: E501
    (
        "campaign old name, bad params",
        "bob",
        "post",
        CAMPAIGNS,
        lambda t: campaign(t, command=..., command_kind="dod", params={"dod_pct": 101}),
        "params.dod_pct",
        None,
    ),  # noqa: E501
    (
        "campaign duration 1e400",
        "bob",
        "post",
        CAMPAIGNS,
        lambda t: json.dumps(campaign(t)).replace('"duration_min": 60', '"duration_min": 1e400'),
        "params.duration_min",
        None,
    ),  # noqa: E501
    (
        "campaign negative grace",
        "bob",
        "post",
        CAMPAIGNS,
        lambda t: campaign(t, missed_grace_min=-1),
        "missed_grace_min",
        "min_value",
    ),  # noqa: E501
    (
        "campaign PATCH fleet true",
        "bob",
        "patch",
        CAMPAIGN,
        lambda t: {"fleet": True},
        "fleet",
        "incorrect_type",
    ),  # noqa: E501
    (
        "campaign PATCH fleet of another organisation",
        "bob",
        "patch",
        CAMPAIGN,
        lambda t: {"fleet": FleetFactory().pk},
        "fleet",
        "does_not_exist",
    ),  # noqa: E501
    # --- fleets: create, replace, change, add and remove plants
    (
        "fleet plant id as a string",
        "bob",
        "post",
        FLEETS,
        lambda t: {"name": "X", "plants": [str(t.plant)]},
        "plants.0",
        "invalid",
    ),  # noqa: E501
    (
        "fleet plant id 2^63",
        "bob",
        "post",
        FLEETS,
        lambda t: {"name": "X", "plants": [TOO_BIG]},
        "plants.0",
        "out_of_range",
    ),  # noqa: E501
    (
        "fleet old name, plant id 1.0",
        "bob",
        "post",
        FLEETS,
        lambda t: {"name": "X", "plant_ids": [1.0]},
        "plant_ids.0",
        "invalid",
    ),  # noqa: E501
    (
        "fleet plants and its old name",
        "bob",
        "post",
        FLEETS,
        lambda t: {"name": "X", "plants": [t.plant], "plant_ids": [t.plant]},
        "plant_ids",
        "duplicate_alias",
    ),  # noqa: E501
    (
        "fleet plant of another organisation",
        "bob",
        "post",
        FLEETS,
        lambda t: {"name": "X", "plants": [t.rival_plant]},
        "plants",
        "does_not_exist",
    ),  # noqa: E501
    (
        "fleet filter kWh 1e400",
        "bob",
        "post",
        FLEETS,
        lambda t: '{"name": "X", "filter": {"battery_usable_kwh_min": 1e400}}',
        "filter.battery_usable_kwh_min",
        "not_finite",
    ),  # noqa: E501
    (
        "fleet filter kWh as a string",
        "bob",
        "post",
        FLEETS,
        lambda t: {"name": "X", "filter": {"battery_usable_kwh_min": "5"}},
        "filter.battery_usable_kwh_min",
        "invalid",
    ),  # noqa: E501
    (
        "fleet filter account id as a string",
        "bob",
        "post",
        FLEETS,
        lambda t: {"name": "X", "filter": {"vendor_account": str(t.account.pk)}},
        "filter.vendor_account",
        "incorrect_type",
    ),  # noqa: E501
    (
        "fleet filter account id 2^63",
        "bob",
        "post",
        FLEETS,
        lambda t: {"name": "X", "filter": {"vendor_account": TOO_BIG}},
        "filter.vendor_account",
        "out_of_range",
    ),  # noqa: E501
    (
        "fleet PUT plant id 0",
        "bob",
        "put",
        FLEET,
        lambda t: {"name": "North", "plants": [0]},
        "plants.0",
        "out_of_range",
    ),  # noqa: E501
    (
        "fleet PATCH plants not a list",
        "bob",
        "patch",
        FLEET,
        lambda t: {"plants": "1,2"},
        "plants",
        "not_a_list",
    ),  # noqa: E501
    (
        "fleet PATCH old name of another organisation",
        "bob",
        "patch",
        FLEET,
        lambda t: {"plant_ids": [t.rival_plant]},
        "plant_ids",
        "does_not_exist",
    ),  # noqa: E501
    (
        "add-plants id as a string",
        "bob",
        "post",
        ADD,
        lambda t: {"plants": [str(t.plant)]},
        "plants.0",
        "invalid",
    ),  # noqa: E501
    ("add-plants id 2^63", "bob", "post", ADD, lambda t: {"plants": [TOO_BIG]}, "plants.0", "out_of_range"),  # noqa: E501
    (
        "add-plants old name id 2^64",
        "bob",
        "post",
        ADD,
        lambda t: {"plant_ids": [2**64]},
        "plant_ids.0",
        "out_of_range",
    ),  # noqa: E501
    ("add-plants nothing", "bob", "post", ADD, lambda t: {}, "plants", "required"),
    (
        "add-plants plant of another organisation",
        "bob",
        "post",
        ADD,
        lambda t: {"plants": [t.rival_plant]},
        "plants",
        "does_not_exist",
    ),  # noqa: E501
    ("remove-plants id true", "bob", "post", REMOVE, lambda t: {"plants": [True]}, "plants.0", "invalid"),  # noqa: E501
    (
        "remove-plants plants and its old name",
        "bob",
        "post",
        REMOVE,
        lambda t: {"plants": [t.plant], "plant_ids": [t.plant]},
        "plant_ids",
        "duplicate_alias",
    ),  # noqa: E501
    ("remove-plants empty list", "bob", "post", REMOVE, lambda t: {"plants": []}, "plants", "min_length"),  # noqa: E501
    # --- PATCH /plants/{id}
    ("plant state removed", "bob", "patch", PLANT, lambda t: {"state": "removed"}, "state", "invalid_choice"),
    ("plant region too long", "bob", "patch", PLANT, lambda t: {"region": "x" * 101}, "region", "max_length"),
    ("plant read-only field", "bob", "patch", PLANT, lambda t: {"soc_pct": 50}, "soc_pct", "read_only"),
    (
        "plant region with a NUL",
        "bob",
        "patch",
        PLANT,
        lambda t: {"region": "North\x00"},
        "region",
        "null_characters_not_allowed",
    ),  # noqa: E501
    # --- POST /enrolments
    (
        "enrolment account id as a string",
        "bob",
        "post",
        ENROLMENTS,
        lambda t: enrolment(t, vendor_account=str(t.account.pk)),
        "vendor_account",
        "incorrect_type",
    ),  # noqa: E501
    (
        "enrolment account id 2^63",
        "bob",
        "post",
        ENROLMENTS,
        lambda t: enrolment(t, vendor_account=TOO_BIG),
        "vendor_account",
        "out_of_range",
    ),  # noqa: E501
    (
        "enrolment account id true",
        "bob",
        "post",
        ENROLMENTS,
        lambda t: enrolment(t, vendor_account=True),
        "vendor_account",
        "incorrect_type",
    ),  # noqa: E501
    (
        "enrolment no items",
        "bob",
        "post",
        ENROLMENTS,
        lambda t: enrolment(t, items=[]),
        "items",
        "min_length",
    ),
    # --- vendor accounts (admins)
    (
        "account rate-limit window 1e400",
        "alice",
        "post",
        ACCOUNTS,
        lambda t: json.dumps(account(rate_limit_overrides={"kpi": [[1, 60]]})).replace("60]", "1e400]"),
        "rate_limit_overrides",
        "invalid",
    ),  # noqa: E501
    (
        "account without a secret",
        "alice",
        "post",
        ACCOUNTS,
        lambda t: account(secret=""),
        "secret",
        "required",
    ),  # noqa: E501
    (
        "account PATCH vendor",
        "alice",
        "patch",
        ACCOUNT,
        lambda t: {"vendor": "growatt"},
        "vendor",
        "immutable",
    ),  # noqa: E501
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("case", "caller", "method", "url", "build", "field", "code"), CASES, ids=[c[0] for c in CASES]
)  # noqa: E501
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    request, t, case, caller, method, url, build, field, code
):
    assert len(CASES) >= 50
    client = request.getfixturevalue(f"{caller}_api")
    body = build(t)
    raw = body if isinstance(body, str) else json.dumps(body)
    path = url.format(fleet=t.fleet.pk, plant=t.plant, campaign=t.campaign.pk, account=t.account.pk)
    before = every_row_count()

    response = getattr(client, method)(path, raw, content_type="application/json")

    assert response.status_code == 400, response.content
    answer = response.json()
    assert set(answer) == {"error", "detail", "fields"}
    assert field in answer["fields"], answer
    if code is not None:
        assert code in [problem["code"] for problem in answer["fields"][field]], answer
    assert every_row_count() == before, "a refused request wrote rows"
