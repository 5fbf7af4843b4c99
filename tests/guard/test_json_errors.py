"""Every error under /api/ is JSON in the project's shape {error, detail, fields}, also the ones Django
decides before DRF sees the request, and no input reaches a view that would make it a 500."""

from __future__ import annotations

import json

import pytest
from django.http import HttpResponse, HttpResponseServerError
from django.test import RequestFactory

from tests.guard.conftest import client_for, snapshot
from tests.guard.routes import api_routes
from vpp.middleware import ApiErrorsMiddleware
from vpp.parsers import MAX_JSON_DEPTH

DISPATCHES = "/api/v1/dispatches"


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == {"error", "detail", "fields"}, body
    assert body["error"] == code, body
    assert body["detail"], body
    return body


def dispatch_body(world, **params) -> dict:
    return {
        "command": "charge_discharge",
        "plants": [world["spare"].pk],
        "params": {"action": "charge", "control": "soc", "target_soc_pct": 80, **params},
    }


def post_raw(client, path: str, text: str | bytes, content_type: str = "application/json", **headers):
    return client.generic("POST", path, text, content_type=content_type, **headers)


# --- URLs: unknown routes and path ids that are not ids --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/dispatches/", "/api/v2/plants", "/api/"])
def test_an_unknown_api_url_is_a_json_404(world, path):
    assert_error(client_for(world, "operator").get(path), 404, "not_found")


@pytest.mark.django_db
def test_an_unknown_api_url_is_json_even_with_debug_on(world, settings):
    settings.DEBUG = True  # Django would answer its technical 404 page
    assert_error(client_for(world, "operator").get("/api/v1/nope"), 404, "not_found")


@pytest.mark.django_db
def test_pages_outside_the_api_keep_djangos_html_404(world):
    response = client_for(world, "operator").get("/nope")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


OBJECT_ROUTES = [route for route in api_routes() if route.is_object_route]
NOT_IDS = ["abc", "1.5", "-1", "0x10", str(2**63), str(2**64), "9" * 30, "%20", "1e3"]


@pytest.mark.django_db
@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=[r.name for r in OBJECT_ROUTES])
def test_a_path_id_that_is_not_a_bigint_is_a_json_404_on_every_object_route(world, route):
    client = client_for(world, "admin")
    method = "get" if "GET" in route.methods else "post"
    before = snapshot()
    for not_id in [*NOT_IDS, str(2**63 - 1)]:  # the largest bigint is an id, of nothing
        path = "/" + route.route.replace("<id:pk>", not_id)
        assert_error(getattr(client, method)(path), 404, "not_found")
    assert snapshot() == before


@pytest.mark.django_db
def test_the_issues_examples(world):
    client = client_for(world, "operator")
    for path in ("/api/v1/dispatches/abc", "/api/v1/campaigns/abc/preview", f"/api/v1/plants/{2**63}"):
        assert_error(client.get(path), 404, "not_found")


# --- bodies: size, media type, syntax, nesting, surrogates -----------------------------------------------


@pytest.mark.django_db
def test_a_5_mb_body_is_a_json_413_and_writes_nothing(world, settings):
    text = json.dumps({**dispatch_body(world), "padding": "x" * 5_000_000})
    before = snapshot()
    response = post_raw(client_for(world, "operator"), DISPATCHES, text)
    body = assert_error(response, 413, "request_too_large")
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes" in body["detail"]
    assert response["X-Content-Type-Options"] == "nosniff"  # answered inside SecurityMiddleware
    assert snapshot() == before


@pytest.mark.django_db
def test_the_body_limit_is_the_setting(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    client = client_for(world, "operator")
    small = {"name": "Small fleet", "description": "d" * 3000}
    assert client.post("/api/v1/fleets", small, format="json").status_code == 201
    large = {"name": "Large fleet", "description": "d" * 4096}
    assert_error(client.post("/api/v1/fleets", large, format="json"), 413, "request_too_large")
    assert not world["fleet"].organization.fleets.filter(name="Large fleet").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content_type", "text"),
    [("text/plain", "{}"), ("application/x-www-form-urlencoded", "command=dod"), ("application/xml", "<a/>")],
)
def test_a_body_that_is_not_json_is_a_json_415(world, content_type, text):
    before = snapshot()
    for path in (DISPATCHES, "/api/v1/fleets", "/api/v1/campaigns", "/api/v1/enrolments"):
        response = post_raw(client_for(world, "operator"), path, text, content_type)
        assert_error(response, 415, "unsupported_media_type")
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("text", ['{"command": ', "[1,]", '{"a": NaN}', '{"a": Infinity}', b"\xff\xfe{}"])
def test_malformed_json_is_a_json_400(world, text):
    before = snapshot()
    assert_error(post_raw(client_for(world, "operator"), DISPATCHES, text), 400, "parse_error")
    assert snapshot() == before


def nested(depth: int) -> str:
    """A dispatch body whose params nest `depth` levels in all (the body itself is level 1)."""
    inner = "[" * (depth - 2) + "]" * (depth - 2)
    return '{"command": "charge_discharge", "plants": [1], "params": {"deep": ' + inner + "}}"


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_200, 100_000])
def test_json_nested_too_deep_is_a_json_400_naming_the_limit(world, depth):
    before = snapshot()
    response = post_raw(client_for(world, "operator"), DISPATCHES, nested(depth))
    body = assert_error(response, 400, "json_too_deep")
    assert f"at most {MAX_JSON_DEPTH} levels" in body["detail"]
    assert snapshot() == before


@pytest.mark.django_db
def test_json_as_deep_as_the_limit_is_parsed_and_validated(world):
    response = post_raw(client_for(world, "operator"), DISPATCHES, nested(MAX_JSON_DEPTH))
    # The serializer's answer (an unknown plant, unknown params), not the parser's.
    assert_error(response, 400, "invalid")


LONE = '"\\ud800"'  # JSON text: a backslash escape of a lone high surrogate


def _lone(template: str) -> str:
    return template.replace("LONE", LONE)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            _lone('{"command": "charge_discharge", "plants": [1], "params": {"action": LONE}}'),
            "params.action",
        ),
        ('{"command": "a\\udfffb", "plants": [1]}', "command"),
        (_lone('{"command": "dod", "params": {LONE: 1}}'), "params"),
        (_lone("{LONE: 1}"), "non_field_errors"),
        (_lone('{"command": "dod", "plants": [LONE]}'), "plants.0"),
    ],
)
def test_a_lone_surrogate_is_a_json_400_naming_where_it_is(world, text, where):
    before = snapshot()
    client = client_for(world, "operator")
    for headers in ({}, {"HTTP_IDEMPOTENCY_KEY": "surrogate-1"}):  # the fingerprint hashes the body
        body = assert_error(post_raw(client, DISPATCHES, text, **headers), 400, "invalid")
        assert [e["code"] for e in body["fields"][where]] == ["lone_surrogate"], body
    assert snapshot() == before


@pytest.mark.django_db
def test_a_surrogate_pair_is_one_character_and_is_accepted(world):
    text = json.dumps({"name": "Fleet \U0001f50b"})  # json.dumps writes it as the pair \ud83d\udd0b
    assert "\\ud83d\\udd0b" in text
    response = post_raw(client_for(world, "operator"), "/api/v1/fleets", text)
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Fleet \U0001f50b"


@pytest.mark.django_db
def test_djangos_own_400s_are_json_too(world):
    """Refusals Django raises inside the view, which DRF passes on as they are."""
    client = client_for(world, "operator")
    too_many_fields = "&".join(f"f{n}=1" for n in range(1_001))  # DATA_UPLOAD_MAX_NUMBER_FIELDS is 1,000
    assert_error(client.get(f"/api/v1/plants?{too_many_fields}"), 400, "bad_request")
    assert_error(client.get("/api/v1/plants", HTTP_HOST="evil.example"), 400, "bad_request")


# --- callers: no credentials, a wrong token ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_wrong_token_is_a_json_401_with_the_scheme_to_use(world):
    client = client_for(world, "anonymous")
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get("/api/v1/plants")
    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Token"


# --- the middleware on its own: any HTML error under /api/ becomes JSON -----------------------------------


@pytest.mark.parametrize(
    ("inner", "status", "code"),
    [
        (HttpResponseServerError("<h1>Server Error (500)</h1>"), 500, "server_error"),
        (HttpResponse("<h1>Bad Request (400)</h1>", status=400), 400, "bad_request"),
        (HttpResponse("<h1>403 Forbidden</h1>", status=403), 403, "permission_denied"),
        (HttpResponse("<h1>Gone</h1>", status=410), 410, "error"),
        (HttpResponse("odd", status=599), 599, "server_error"),
    ],
)
def test_an_html_error_page_under_api_is_turned_into_json(inner, status, code):
    middleware = ApiErrorsMiddleware(lambda request: inner)
    assert_error(middleware(RequestFactory().get("/api/v1/plants")), status, code)
    assert middleware(RequestFactory().get("/admin/")) is inner  # not the API's: left alone


def test_headers_a_client_needs_survive_the_conversion():
    page = HttpResponse("<h1>405</h1>", status=405)
    page["Allow"] = "GET, HEAD"
    answer = ApiErrorsMiddleware(lambda request: page)(RequestFactory().post("/api/v1/plants"))
    assert_error(answer, 405, "method_not_allowed")
    assert answer["Allow"] == "GET, HEAD"
