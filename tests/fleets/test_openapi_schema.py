"""The fleets API is fully described in the OpenAPI 3 schema (drf-spectacular): every route, valid, with no
generator warnings (an untyped field or a guessed enum would be one)."""

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


@pytest.mark.django_db
def test_fleets_schema_is_complete_valid_and_warning_free():
    GENERATOR_STATS.reset()
    patterns = [path("api/v1/", include(("fleets.api.urls", "api"), namespace="api"))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache
    paths = schema["paths"]
    assert set(paths) == {
        "/api/v1/plants",
        "/api/v1/plants/{id}",
        "/api/v1/plants/{id}/telemetry",
        "/api/v1/fleets",
        "/api/v1/fleets/{id}",
        "/api/v1/fleets/{id}/add-plants",
        "/api/v1/fleets/{id}/remove-plants",
        "/api/v1/fleets/{id}/plants",
        "/api/v1/enrolments",
        "/api/v1/enrolments/{id}",
        "/api/v1/vendor-accounts",
        "/api/v1/vendor-accounts/{id}",
        "/api/v1/vendor-accounts/{id}/sync",
        "/api/v1/vendor-accounts/{id}/enrolments",
        "/api/v1/vendor-accounts/{id}/reset-health",
    }
    assert "202" in paths["/api/v1/enrolments"]["post"]["responses"]
    plant_filters = {p["name"] for p in paths["/api/v1/plants"]["get"]["parameters"]}
    assert {
        "vendor",
        "state",
        "region",
        "timezone",
        "battery_usable_kwh_min",
        "battery_usable_kwh_max",
        "fleet",
        "vendor_account",
        "search",
        "ordering",
        "page",
        "page_size",
    } <= plant_filters
    account = schema["components"]["schemas"]["VendorAccount"]["properties"]
    assert account["secret"].get("writeOnly") is True
    assert account["health"]["allOf"][0]["$ref"].endswith("/AccountHealth")  # vendors.health, typed
    plant = schema["components"]["schemas"]["Plant"]["properties"]
    assert plant["account_health"]["allOf"][0]["$ref"].endswith("/AccountHealthStatusEnum")


def test_the_served_schema_includes_the_fleets_api(client, django_user_model):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/enrolments" in response.content
