"""Reading dispatch jobs: detail with counts and energy in a fixed number of queries, list with filters and
pagination, the tasks of a job, all scoped to the caller's organisation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dispatch.models import DispatchJob, DispatchTask
from fleets.models import Plant
from tests.dispatch.api.conftest import make_job

S = DispatchTask.State


def _bulk_plants(account, n: int) -> list[Plant]:
    return Plant.objects.bulk_create(
        [
            Plant(
                organization_id=account.organization_id,
                vendor_account=account,
                plant_code=f"NE={50_000_000 + i}",
                name=f"Bulk {i}",
                enrolment_method=Plant.EnrolmentMethod.BOUND,
            )
            for i in range(n)
        ],
        batch_size=2000,
    )


def _queries(client, url) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


@pytest.mark.django_db
def test_detail_of_a_10000_task_job_costs_the_same_few_queries_as_a_1_task_job(alice, alice_api, acme_plants):
    small = make_job(alice.membership.organization, alice, acme_plants[:1], states=[S.COMPLETED])
    plants = _bulk_plants(acme_plants[0].vendor_account, 10_000)
    states = [S.COMPLETED, S.COMPLETED, S.FAILED, S.IN_PROGRESS, S.TIMED_OUT]  # 4,000 completed
    big = make_job(alice.membership.organization, alice, plants, states=states)

    small_queries, _ = _queries(alice_api, f"/api/v1/dispatches/{small.pk}")
    big_queries, body = _queries(alice_api, f"/api/v1/dispatches/{big.pk}")

    assert big_queries == small_queries <= 5  # token+user, membership, organisation, job, one aggregate
    assert body["counts"]["total"] == 10_000
    assert body["counts"]["open"] == 2_000
    assert body["counts"]["by_state"] == {
        **{s.value: 0 for s in S},
        "completed": 4_000,
        "failed": 2_000,
        "in_progress": 2_000,
        "timed_out": 2_000,
    }
    assert body["charged_kwh"] == pytest.approx(6_000.0)
    assert body["discharged_kwh"] is None  # none reported


@pytest.mark.django_db
def test_detail_answers_the_job_as_asked(alice, bob_api, acme_plants):
    job = make_job(alice.membership.organization, alice, acme_plants)
    body = bob_api.get(f"/api/v1/dispatches/{job.pk}").json()
    assert body["id"] == job.pk
    assert body["command"] == "charge_discharge"
    assert body["params"] == {"action": "charge", "control": "soc", "target_soc_pct": 90, "power_w": 3000}
    assert body["created_by"] == "alice"
    assert body["state"] == job.state
    assert body["counts"]["by_state"]["pending"] == len(acme_plants)


@pytest.mark.django_db
def test_another_organisations_job_is_not_found_anywhere(alice, charlie_api, acme_plants):
    job = make_job(alice.membership.organization, alice, acme_plants)
    for url in (f"/api/v1/dispatches/{job.pk}", f"/api/v1/dispatches/{job.pk}/tasks"):
        response = charlie_api.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"] == "not_found"
    response = charlie_api.post(f"/api/v1/dispatches/{job.pk}/cancel")
    assert response.status_code == 404
    assert charlie_api.get("/api/v1/dispatches").json()["count"] == 0
    job.refresh_from_db()
    assert job.cancel_requested_at is None


@pytest.mark.django_db
def test_anonymous_callers_get_nothing(alice, acme_plants):
    from rest_framework.test import APIClient

    job = make_job(alice.membership.organization, alice, acme_plants)
    assert APIClient().get(f"/api/v1/dispatches/{job.pk}").status_code == 401
    assert APIClient().get("/api/v1/dispatches").status_code == 401


@pytest.mark.django_db
def test_list_filters_by_state_command_fleet_creator_and_creation_time(
    alice, bob, bob_api, acme_plants, acme_fleet
):
    org = alice.membership.organization
    a = make_job(org, alice, acme_plants, fleet=acme_fleet)
    b = make_job(
        org, bob, acme_plants, command_kind="dod", params={"dod_pct": 80}, state=DispatchJob.State.COMPLETED
    )
    c = make_job(org, bob, acme_plants[:1], state=DispatchJob.State.FAILED)
    DispatchJob.objects.filter(pk=a.pk).update(created_at=timezone.now() - timedelta(days=3))

    def ids(query: str) -> list[int]:
        response = bob_api.get(f"/api/v1/dispatches?{query}")
        assert response.status_code == 200, response.content
        return [job["id"] for job in response.json()["results"]]

    assert ids("") == [c.pk, b.pk, a.pk]  # newest first
    assert ids("state=completed") == [b.pk]
    assert ids("state=completed&state=failed") == [c.pk, b.pk]
    assert ids("command=dod") == [b.pk]
    assert ids(f"fleet={acme_fleet.pk}") == [a.pk]
    assert ids("created_by=alice") == [a.pk]
    assert ids("created_by=bob") == [c.pk, b.pk]
    day_ago = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"created_after={day_ago}") == [c.pk, b.pk]
    assert ids(f"created_before={day_ago}") == [a.pk]
    assert ids("ordering=created_at") == [a.pk, b.pk, c.pk]


@pytest.mark.django_db
def test_list_rejects_a_bad_filter_value_naming_it(bob_api, acme_plants):
    response = bob_api.get("/api/v1/dispatches?state=exploded")
    assert response.status_code == 400
    assert "state" in response.json()["fields"]


@pytest.mark.django_db
def test_list_is_paginated_with_counts_per_job_in_a_fixed_number_of_queries(alice, bob_api, acme_plants):
    org = alice.membership.organization
    for _ in range(3):
        make_job(org, alice, acme_plants, states=[S.COMPLETED, S.PENDING])
    few, _ = _queries(bob_api, "/api/v1/dispatches?page_size=2")
    for _ in range(7):
        make_job(org, alice, acme_plants, states=[S.COMPLETED, S.PENDING])
    many, body = _queries(bob_api, "/api/v1/dispatches?page_size=8")
    assert many == few
    assert body["count"] == 10
    assert len(body["results"]) == 8
    assert body["next"] is not None
    assert all(job["counts"]["by_state"]["completed"] == 2 for job in body["results"])
    last = bob_api.get("/api/v1/dispatches?page_size=8&page=2").json()
    assert len(last["results"]) == 2 and last["next"] is None


@pytest.mark.django_db
def test_tasks_of_a_job_are_listed_per_plant_paginated_and_filtered(alice, bob_api, acme_plants):
    job = make_job(alice.membership.organization, alice, acme_plants, states=[S.COMPLETED, S.FAILED])
    other = make_job(alice.membership.organization, alice, acme_plants)
    response = bob_api.get(f"/api/v1/dispatches/{job.pk}/tasks?page_size=3")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 4
    assert [t["plant"] for t in body["results"]] == [p.pk for p in acme_plants[:3]]
    first = body["results"][0]
    assert first["plant_code"] == acme_plants[0].plant_code
    assert first["vendor"] == "huawei"
    assert first["state"] == "completed"
    assert first["charged_kwh"] == 1.5

    failed = bob_api.get(f"/api/v1/dispatches/{job.pk}/tasks?state=failed").json()
    assert [t["plant"] for t in failed["results"]] == [acme_plants[1].pk, acme_plants[3].pk]
    one = bob_api.get(f"/api/v1/dispatches/{job.pk}/tasks?plant={acme_plants[2].pk}").json()
    assert [t["plant"] for t in one["results"]] == [acme_plants[2].pk]
    growatt = bob_api.get(f"/api/v1/dispatches/{job.pk}/tasks?vendor=growatt").json()
    assert [t["plant"] for t in growatt["results"]] == [acme_plants[3].pk]
    # The job's own filters never hide the job: a task filter named like a job filter applies to tasks.
    assert bob_api.get(f"/api/v1/dispatches/{other.pk}/tasks?state=failed").json()["count"] == 0


@pytest.mark.django_db
def test_tasks_page_costs_a_fixed_number_of_queries(alice, bob_api, acme_plants):
    plants = _bulk_plants(acme_plants[0].vendor_account, 300)
    job = make_job(alice.membership.organization, alice, plants)
    few, _ = _queries(bob_api, f"/api/v1/dispatches/{job.pk}/tasks?page_size=5")
    many, body = _queries(bob_api, f"/api/v1/dispatches/{job.pk}/tasks?page_size=300")
    assert many == few
    assert len(body["results"]) == 300
