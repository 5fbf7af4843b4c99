"""Cancelling a job over the API, and the OpenAPI schema documenting every dispatch body and answer."""

from __future__ import annotations

import pytest
from drf_spectacular.validation import validate_schema

from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from tests.dispatch.api.conftest import CHARGE


@pytest.mark.django_db
def test_cancelling_a_job_not_yet_sent_cancels_every_task_and_batch(bob, bob_api, acme_plants):
    created = bob_api.post(
        "/api/v1/dispatches",
        {"command": "charge_discharge", "params": CHARGE, "plants": [p.pk for p in acme_plants]},
        format="json",
    )
    job_id = created.json()["id"]

    response = bob_api.post(f"/api/v1/dispatches/{job_id}/cancel")

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["id"] == job_id
    assert body["cancel_requested_at"] is not None
    assert body["counts"]["by_state"]["cancelled"] == len(acme_plants)
    assert body["state"] == "cancelled"
    job = DispatchJob.objects.get(pk=job_id)
    assert job.cancelled_by == bob
    assert set(job.tasks.values_list("state", flat=True)) == {DispatchTask.State.CANCELLED}
    assert set(VendorRequest.objects.filter(job=job).values_list("state", flat=True)) == {"cancelled"}

    again = bob_api.post(f"/api/v1/dispatches/{job_id}/cancel")
    assert again.status_code == 409
    assert again.json()["error"] == "finished"


@pytest.mark.django_db
def test_cancel_of_an_unknown_job_is_a_404(bob_api):
    assert bob_api.post("/api/v1/dispatches/999999/cancel").status_code == 404


@pytest.mark.django_db
def test_the_schema_is_valid_and_documents_every_dispatch_body_and_answer(bob_api):
    response = bob_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document

    paths = schema["paths"]
    create = paths["/api/v1/dispatches"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/DispatchCreate")
    assert {"200", "201", "400", "409", "422"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in create["parameters"])

    listing = paths["/api/v1/dispatches"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {
        "state",
        "command",
        "fleet",
        "created_after",
        "created_before",
        "created_by",
        "page",
        "page_size",
    } <= names

    tasks = paths["/api/v1/dispatches/{id}/tasks"]["get"]
    assert {"state", "plant", "page"} <= {p["name"] for p in tasks["parameters"]}
    assert {"200", "404"} <= set(tasks["responses"])
    assert {"202", "404", "409"} <= set(paths["/api/v1/dispatches/{id}/cancel"]["post"]["responses"])
    assert "200" in paths["/api/v1/dispatches/{id}"]["get"]["responses"]

    components = schema["components"]["schemas"]
    job = components["DispatchJob"]["properties"]
    assert {"counts", "charged_kwh", "discharged_kwh", "state", "params"} <= set(job)
    # The params of each command kind are documented (oneOf over dispatch.commands' serializers).
    params = components["DispatchParams"]
    assert len(params["oneOf"]) >= 7
    assert "target_soc_pct" in components["ChargeDischargeParams"]["properties"]
    assert set(components["Error"]["properties"]) == {"error", "detail", "fields"}
