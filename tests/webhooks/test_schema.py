"""The webhooks API is fully described in the OpenAPI 3 schema, valid and without generator warnings."""

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


@pytest.mark.django_db
def test_webhooks_schema_is_complete_valid_and_warning_free():
    GENERATOR_STATS.reset()
    patterns = [path("api/v1/", include(("webhooks.urls", "api"), namespace="api"))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache
    assert set(schema["paths"]) == {
        "/api/v1/webhooks",
        "/api/v1/webhooks/{id}",
        "/api/v1/webhooks/{id}/rotate-secret",
        "/api/v1/webhooks/{id}/deliveries",
        "/api/v1/webhooks/deliveries/{id}",
        "/api/v1/webhooks/deliveries/{id}/replay",
    }
    created = schema["paths"]["/api/v1/webhooks"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["$ref"].endswith("/WebhookCreated")
    listed = schema["components"]["schemas"]["WebhookSubscription"]["properties"]
    assert "secret" not in listed
