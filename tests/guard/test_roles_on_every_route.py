"""Every route under /api/ x every method its view allows x every kind of caller gets the documented answer.

The routes come from the URL configuration (tests/guard/routes.py), the rules from RULES below, the one
place that says who may do what (README "Roles"):
- anonymous: 401, except on the public schema and docs;
- the organisation's viewer, operator and admin: the rule's answer when their role may, else 403;
- another organisation's admin: 404 on every object route (Acme's objects do not exist for them), and on
  collection routes only their own organisation's things.
A rejected call writes nothing (every row of every model compared). A new route, or a new method on one,
has no rule and fails here until RULES says who may call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import reverse

from fleets.models import Membership
from tests.guard.conftest import CALLERS, client_for, snapshot
from tests.guard.routes import CHOSEN_METHODS, WRITE_METHODS, api_routes
from vpp.permissions import CanAdminister, CanOperate
from vpp.routers import IdConverter

MEMBERS = frozenset({"viewer", "operator", "admin"})
OPERATORS = frozenset({"operator", "admin"})
ADMINS = frozenset({"admin"})
PUBLIC = frozenset({"anonymous", "other_admin", *MEMBERS})

CHARGE = {"action": "charge", "control": "soc", "target_soc_pct": 90, "power_w": 3000}
ITEM = {"sn": "HV0000000001", "email": "owner@example.com"}
WEBHOOK = {"url": "https://8.8.8.8/hooks", "events": ["job.finished"]}


def _account(w) -> dict:
    return {"name": "Acme north", "vendor": "huawei", "base_url": "http://127.0.0.1:1", "username": "nbi_n"}


def _campaign(w) -> dict:
    return {
        "name": "Morning charge",
        "fleet": w["fleet"].pk,
        "command_kind": "charge_discharge",
        "params": {"action": "charge", "control": "soc", "target_soc_pct": 80},
        "recurrence_kind": "cron",
        "recurrence": "0 6 * * *",
        "timezone": "Europe/Berlin",
        "start_date": "2026-01-01",
    }


@dataclass(frozen=True)
class Rule:
    who: frozenset[str]  # which callers may (the organisation's roles; "anonymous" on public routes)
    ok: int  # what they get
    obj: str | None = None  # the world's object whose id fills the path
    body: Callable[[dict], dict] | None = None  # a valid body, so allowed callers really change things


R = Rule
RULES: dict[tuple[str, str], Rule] = {
    ("api:health", "GET"): R(MEMBERS, 200),
    ("api:plant-list", "GET"): R(MEMBERS, 200),
    ("api:plant-detail", "GET"): R(MEMBERS, 200, "plant"),
    ("api:plant-detail", "PATCH"): R(OPERATORS, 200, "plant", lambda w: {"region": "South"}),
    ("api:plant-telemetry", "GET"): R(MEMBERS, 200, "plant"),
    ("api:fleet-list", "GET"): R(MEMBERS, 200),
    ("api:fleet-list", "POST"): R(OPERATORS, 201, body=lambda w: {"name": "New fleet"}),
    ("api:fleet-detail", "GET"): R(MEMBERS, 200, "fleet"),
    ("api:fleet-detail", "PUT"): R(OPERATORS, 200, "fleet", lambda w: {"name": "Renamed"}),
    ("api:fleet-detail", "PATCH"): R(OPERATORS, 200, "fleet", lambda w: {"name": "Renamed"}),
    ("api:fleet-detail", "DELETE"): R(OPERATORS, 204, "fleet"),
    ("api:fleet-add-plants", "POST"): R(OPERATORS, 200, "fleet", lambda w: {"plant_ids": [w["spare"].pk]}),
    ("api:fleet-remove-plants", "POST"): R(OPERATORS, 200, "fleet", lambda w: {"plant_ids": [w["plant"].pk]}),
    ("api:fleet-plants", "GET"): R(MEMBERS, 200, "fleet"),
    ("api:enrolment-list", "GET"): R(MEMBERS, 200),
    ("api:enrolment-list", "POST"): R(
        OPERATORS, 202, body=lambda w: {"vendor_account": w["account"].pk, "method": "sn", "items": [ITEM]}
    ),
    ("api:enrolment-detail", "GET"): R(MEMBERS, 200, "enrolment"),
    ("api:vendor-account-list", "GET"): R(MEMBERS, 200),
    ("api:vendor-account-list", "POST"): R(ADMINS, 201, body=lambda w: {**_account(w), "secret": "s3cret"}),
    ("api:vendor-account-detail", "GET"): R(MEMBERS, 200, "account"),
    ("api:vendor-account-detail", "PUT"): R(ADMINS, 200, "account", _account),
    ("api:vendor-account-detail", "PATCH"): R(ADMINS, 200, "account", lambda w: {"name": "Renamed"}),
    ("api:vendor-account-detail", "DELETE"): R(ADMINS, 204, "empty_account"),
    ("api:vendor-account-sync", "POST"): R(OPERATORS, 202, "account"),
    ("api:vendor-account-reset-health", "POST"): R(ADMINS, 200, "account"),
    ("api:vendor-account-enrolments", "POST"): R(
        OPERATORS, 202, "account", lambda w: {"method": "sn", "items": [ITEM]}
    ),
    ("api:dispatch-list", "GET"): R(MEMBERS, 200),
    ("api:dispatch-list", "POST"): R(
        OPERATORS,
        201,
        body=lambda w: {"command": "charge_discharge", "plants": [w["spare"].pk], "params": CHARGE},
    ),
    ("api:dispatch-detail", "GET"): R(MEMBERS, 200, "job"),
    ("api:dispatch-tasks", "GET"): R(MEMBERS, 200, "job"),
    ("api:dispatch-cancel", "POST"): R(OPERATORS, 202, "job"),
    ("api:dispatch-delivery", "GET"): R(MEMBERS, 200, "power_target_job"),
    ("api:campaign-list", "GET"): R(MEMBERS, 200),
    ("api:campaign-list", "POST"): R(OPERATORS, 201, body=_campaign),
    ("api:campaign-detail", "GET"): R(MEMBERS, 200, "campaign"),
    ("api:campaign-detail", "PUT"): R(OPERATORS, 200, "campaign", _campaign),
    ("api:campaign-detail", "PATCH"): R(OPERATORS, 200, "campaign", lambda w: {"name": "Renamed"}),
    ("api:campaign-detail", "DELETE"): R(OPERATORS, 204, "campaign"),
    ("api:campaign-pause", "POST"): R(OPERATORS, 200, "campaign"),
    ("api:campaign-resume", "POST"): R(OPERATORS, 200, "campaign"),
    ("api:campaign-runs", "GET"): R(MEMBERS, 200, "campaign"),
    ("api:campaign-preview", "GET"): R(MEMBERS, 200, "campaign"),
    ("api:webhook-list", "GET"): R(MEMBERS, 200),
    ("api:webhook-list", "POST"): R(ADMINS, 201, body=lambda w: WEBHOOK),
    ("api:webhook-detail", "GET"): R(MEMBERS, 200, "webhook"),
    ("api:webhook-detail", "PUT"): R(ADMINS, 200, "webhook", lambda w: WEBHOOK),
    ("api:webhook-detail", "PATCH"): R(ADMINS, 200, "webhook", lambda w: {"description": "Ops"}),
    ("api:webhook-detail", "DELETE"): R(ADMINS, 204, "webhook"),
    ("api:webhook-rotate-secret", "POST"): R(ADMINS, 200, "webhook"),
    ("api:webhook-deliveries", "GET"): R(MEMBERS, 200, "webhook"),
    ("api:webhook-delivery-detail", "GET"): R(MEMBERS, 200, "webhook_delivery"),
    ("api:webhook-delivery-replay", "POST"): R(OPERATORS, 200, "webhook_delivery"),
    ("schema", "GET"): R(PUBLIC, 200),
    ("docs", "GET"): R(PUBLIC, 200),
}

ROUTES = api_routes()
CASES = [(route, method) for route in ROUTES for method in route.methods]


def rule_for(name: str, method: str) -> Rule:
    """HEAD and OPTIONS follow GET's rule (OPTIONS describes a route, so any route's callers may ask)."""
    if method == "HEAD":
        return RULES[(name, "GET")]
    if method == "OPTIONS":
        base = RULES.get((name, "GET")) or next(r for (n, _), r in RULES.items() if n == name)
        return Rule(base.who | MEMBERS, 200, base.obj)
    return RULES[(name, method)]


def expected_status(rule: Rule, caller: str) -> int | None:
    """The answer the caller must get; None: another organisation's admin on a collection route, which
    serves their own organisation (any answer but 401, 403, 404 or a 5xx)."""
    if caller in rule.who:
        return rule.ok
    if caller == "anonymous":
        return 401
    if caller == "other_admin":
        return 404 if rule.obj else None
    return 403


ERROR_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


def route_methods(routes) -> set[tuple[str, str]]:
    return {(route.name, m) for route in routes for m in route.methods if m in CHOSEN_METHODS}


def test_every_api_route_and_method_has_a_rule_and_every_rule_a_route():
    """The property that makes a new endpoint without a rule fail the suite, and a stale rule too."""
    chosen = route_methods(ROUTES)
    assert chosen - RULES.keys() == set(), "routes with no rule in RULES: say who may call them"
    assert RULES.keys() - chosen == set(), "rules for routes the URL configuration no longer has"
    assert {route.name for route in ROUTES if route.is_object_route} == {
        name for (name, _), rule in RULES.items() if rule.obj
    }, "a rule's obj must fill exactly the routes that take an id"


def test_a_new_endpoint_without_a_rule_is_caught(settings):
    """The check above, shown to work: a URL configuration with one more API route (and a new method on
    an old one) yields exactly those as having no rule."""
    settings.ROOT_URLCONF = "tests.guard.urls_with_a_new_endpoint"
    assert route_methods(api_routes()) - RULES.keys() == {
        ("api-new:thing-list", "GET"),
        ("api-new:thing-list", "POST"),
        ("api-new:thing-detail", "GET"),
        ("api-new:thing-detail", "DELETE"),
    }


def test_every_path_id_is_a_bigint_id():
    """/x/abc and /x/2**63 never reach a view (and the database), for every route that takes an id."""
    for route in ROUTES:
        for kwarg in route.kwargs:
            assert isinstance(route.converters.get(kwarg), IdConverter), f"{route.route}: <{kwarg}>"


def test_the_role_names_are_the_membership_roles():
    assert CanOperate.roles | CanAdminister.roles <= set(Membership.Role.values)
    assert set(Membership.Role.values) == MEMBERS


def _call(client, method: str, url: str, body):
    send = getattr(client, method.lower())
    return send(url, body, format="json") if body is not None and method in WRITE_METHODS else send(url)


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), CASES, ids=[f"{m} {r.name}" for r, m in CASES])
def test_each_caller_gets_the_documented_answer(world, route, method):
    assert route.methods, route
    if method not in ("HEAD", "OPTIONS"):
        assert (route.name, method) in RULES, f"no rule for {method} {route.route}: add one to RULES"
    rule = rule_for(route.name, method)
    url = reverse(route.name, kwargs={"pk": world[rule.obj].pk} if rule.obj else None)
    body = rule.body(world) if rule.body and method not in ("HEAD", "OPTIONS") else None
    clients = {caller: client_for(world, caller) for caller in CALLERS}
    for caller in CALLERS:
        with transaction.atomic():  # each caller meets the same world: what one wrote is undone after it
            before = snapshot()
            response = _call(clients[caller], method, url, body)
            status = response.status_code
            want = expected_status(rule, caller)
            where = f"{caller} {method} {url} -> {status}: {response.content[:300]!r}"
            if want is None:
                assert status < 500 and status not in (401, 403, 404), where
                _assert_only_own_rows_written(before, snapshot(), world)
            else:
                assert status == want, where
            if status in ERROR_CODES:
                assert snapshot() == before, f"{where} wrote rows"
                if method != "HEAD":
                    answer = response.json()
                    assert answer["error"] == ERROR_CODES[status], where
                    assert answer["detail"] and answer["fields"] == {}, where
            transaction.set_rollback(True)


def _assert_only_own_rows_written(before: dict, after: dict, world) -> None:
    """Another organisation's admin on a collection route: Acme's rows unchanged; new rows not Acme's."""
    acme = world["fleet"].organization_id
    for label, rows in before.items():
        kept = after[label]
        assert all(row in kept for row in rows), f"{label}: a row of before changed or went"
        assert all(row.get("organization_id") != acme for row in kept if row not in rows), label


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_methods_a_route_does_not_have_answer_405_json_with_allow(world, route):
    rule = next(r for (n, _), r in RULES.items() if n == route.name)
    url = reverse(route.name, kwargs={"pk": world[rule.obj].pk} if rule.obj else None)
    client = client_for(world, "admin")
    before = snapshot()
    for method in set(CHOSEN_METHODS) - set(route.methods):
        response = _call(client, method, url, {})
        assert response.status_code == 405, f"{method} {url}: {response.status_code}"
        assert response.json()["error"] == "method_not_allowed"
        assert set(response["Allow"].replace(" ", "").split(",")) >= set(route.methods) - {"HEAD"}
    assert snapshot() == before
