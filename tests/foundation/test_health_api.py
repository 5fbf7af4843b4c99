import pytest
from django.core.management import call_command
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_health_answers_the_callers_organization(bob_api):
    response = bob_api.get("/api/v1/health")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["organization"] == "Acme Grid"
    assert body["user"] == "bob"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True


@pytest.mark.django_db
def test_health_refuses_anonymous_callers_with_json():
    response = APIClient().get("/api/v1/health")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"


@pytest.mark.django_db
def test_health_refuses_a_bad_token():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/health").status_code == 401


@pytest.mark.django_db
def test_a_user_without_organization_gets_nothing():
    from tests.factories import UserFactory, token_for

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(UserFactory(username='drifter'))}")
    response = client.get("/api/v1/health")
    assert response.status_code == 403
    assert "organization" in response.json()["detail"]


@pytest.mark.django_db
def test_create_operator_command_prints_a_token_that_authenticates(capsys):
    call_command("vpp_create_operator", "--organization", "North Grid", "--username", "nora")
    token = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["organization"] == "North Grid"

    # Running it again is harmless and returns the same token.
    call_command("vpp_create_operator", "--organization", "North Grid", "--username", "nora")
    assert capsys.readouterr().out.strip() == token


@pytest.mark.django_db
def test_openapi_schema_is_served(bob_api):
    response = bob_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/health" in response.json()["paths"]
