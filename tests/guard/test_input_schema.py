"""The served OpenAPI schema says what the API answers: nullable where an answer can be null, every error an
operation can answer documented with the error shape, old field names marked deprecated, ids with their
bigint range, orderings as the list of terms the endpoint takes."""

from __future__ import annotations

import pytest

from vpp.api_fields import ID_MAX

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_documents_its_errors_in_the_error_shape(schema):
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"401", "403", "429"}
        if "{id}" in path:
            expected.add("404")
        if method in {"post", "put", "patch"}:
            expected |= {"413", "415"}
        if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
            expected.add("400")
        assert expected <= set(responses), (method, path, sorted(responses))
        for code, response in responses.items():
            if code[0] == "4":  # (health's 503 answers its own report, documented as such)
                assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}, (path, code)
    error = schema["components"]["schemas"]["Error"]
    assert {"error", "detail", "fields"} <= set(error["properties"])


def test_the_conflicts_and_idempotency_answers_stay_documented(schema):
    create = schema["paths"]["/api/v1/dispatches"]["post"]["responses"]
    assert {"200", "201", "400", "409", "422"} <= set(create)


def test_answers_that_can_be_null_are_nullable(schema):
    components = schema["components"]["schemas"]
    item = components["EnrolmentItem"]["properties"]
    assert item["plant"].get("nullable") is True
    assert item["plant_code"].get("nullable") is True
    enrolment = components["Enrolment"]["properties"]
    assert enrolment["created_by"].get("nullable") is True
    assert components["CampaignRun"]["properties"]["job_state"].get("nullable") is True
    assert components["Campaign"]["properties"]["created_by"].get("nullable") is True


def test_old_field_names_are_marked_deprecated(schema):
    components = schema["components"]["schemas"]
    assert components["Fleet"]["properties"]["plant_ids"].get("deprecated") is True
    assert components["FleetPlants"]["properties"]["plant_ids"].get("deprecated") is True
    assert components["Campaign"]["properties"]["command_kind"].get("deprecated") is True
    assert components["Enrolment"]["properties"]["requested_by"].get("deprecated") is True


def test_ids_carry_the_bigint_range_and_orderings_list_their_terms(schema):
    create = schema["components"]["schemas"]["DispatchCreate"]["properties"]
    assert create["plants"]["items"]["maximum"] == ID_MAX and create["plants"]["items"]["minimum"] == 1
    assert create["fleet"]["maximum"] == ID_MAX
    plants = {p["name"]: p for p in schema["paths"]["/api/v1/plants"]["get"]["parameters"]}
    assert plants["fleet"]["schema"]["maximum"] == ID_MAX
    assert {"name", "-name"} <= set(plants["ordering"]["schema"]["items"]["enum"])
    assert plants["ordering"]["explode"] is False
    jobs = {p["name"] for p in schema["paths"]["/api/v1/dispatches"]["get"]["parameters"]}
    assert {"created_after", "created_before", "fleet", "command", "state"} <= jobs


def test_each_command_params_variant_takes_only_its_own_keys(schema):
    components = schema["components"]["schemas"]
    variants = [ref["$ref"].rsplit("/", 1)[1] for ref in components["DispatchParams"]["oneOf"]]
    for name in variants:
        if name != "RawSetterParams":
            assert components[name].get("additionalProperties") is False, name
