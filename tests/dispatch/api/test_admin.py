"""The dispatch admin: job pages that stay small for 10,000 tasks, cancel and retry actions, read-only
audit rows, and the "dispatch a command" form on plants and fleets (validated like the API)."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.admin import TASKS_INLINE_LIMIT
from dispatch.models import DispatchJob, DispatchTask, VendorRequest
from tests.dispatch.api.conftest import CHARGE, make_job, row_counts
from tests.dispatch.api.test_read_jobs import _bulk_plants

S = DispatchTask.State
JOBS = "/admin/dispatch/dispatchjob/"
PLANTS = "/admin/fleets/plant/"
FLEETS = "/admin/fleets/fleet/"


def _task_rows(html: str) -> int:
    return len(re.findall(r'id="tasks-\d+"', html))


@pytest.mark.django_db
def test_a_10000_task_job_page_shows_counts_and_links_not_10000_rows(alice, admin_client, acme_plants):
    small = make_job(alice.membership.organization, alice, acme_plants[:1], states=[S.FAILED])
    plants = _bulk_plants(acme_plants[0].vendor_account, 10_000)
    big = make_job(alice.membership.organization, alice, plants, states=[S.COMPLETED, S.FAILED])

    admin_client.get(f"{JOBS}{small.pk}/change/")  # warm the caches (content types, session)
    with CaptureQueriesContext(connection) as small_queries:
        assert admin_client.get(f"{JOBS}{small.pk}/change/").status_code == 200
    with CaptureQueriesContext(connection) as big_queries:
        response = admin_client.get(f"{JOBS}{big.pk}/change/")

    assert response.status_code == 200
    html = response.content.decode()
    assert _task_rows(html) == TASKS_INLINE_LIMIT
    assert len(big_queries) == len(small_queries)
    assert "All 10000 tasks" in html
    assert f"?job__id__exact={big.pk}&amp;state__exact=failed" in html
    assert "charged 7500 kWh" in html  # 5,000 completed tasks x 1.5 kWh

    failed = admin_client.get(f"/admin/dispatch/dispatchtask/?job__id__exact={big.pk}&state__exact=failed")
    assert failed.status_code == 200
    assert "5000 dispatch tasks" in failed.content.decode()


@pytest.mark.django_db
def test_the_cancel_action_cancels_open_jobs_and_leaves_finished_ones(
    alice, admin_client, admin_user, acme_plants
):
    org = alice.membership.organization
    open_job = make_job(org, alice, acme_plants[:2])
    done = make_job(org, alice, acme_plants[2:], state=DispatchJob.State.COMPLETED, states=[S.COMPLETED])

    response = admin_client.post(
        JOBS, {"action": "cancel_jobs", ACTION_CHECKBOX_NAME: [open_job.pk, done.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "Cancelling 1 job(s); 1 already finished." in response.content.decode()
    open_job.refresh_from_db()
    assert open_job.cancelled_by == admin_user
    assert set(open_job.tasks.values_list("state", flat=True)) == {S.CANCELLED}
    assert set(done.tasks.values_list("state", flat=True)) == {S.COMPLETED}


@pytest.mark.django_db
def test_the_retry_action_sends_failed_tasks_again_under_new_request_ids(alice, admin_client, acme_plants):
    job = make_job(
        alice.membership.organization,
        alice,
        acme_plants,
        state=DispatchJob.State.PARTIALLY_COMPLETED,
        states=[S.COMPLETED, S.FAILED],
    )

    response = admin_client.post(
        JOBS, {"action": "retry_failed_tasks", ACTION_CHECKBOX_NAME: [job.pk]}, follow=True
    )

    assert "2 failed task(s) queued again." in response.content.decode()
    job.refresh_from_db()
    assert job.state == DispatchJob.State.RUNNING
    assert sorted(job.tasks.values_list("state", flat=True)) == [
        "completed",
        "completed",
        "pending",
        "pending",
    ]
    assert VendorRequest.objects.filter(job=job).count() == 2  # one per vendor account of the failed plants


@pytest.mark.django_db
def test_audit_rows_are_read_only(alice, admin_client, acme_plants):
    job = make_job(alice.membership.organization, alice, acme_plants)
    task = job.tasks.first()
    assert admin_client.get("/admin/dispatch/vendorrequest/").status_code == 200
    assert admin_client.get("/admin/dispatch/vendorrequest/add/").status_code == 403
    assert admin_client.get("/admin/fleets/vendorcall/add/").status_code == 403
    assert admin_client.get("/admin/dispatch/dispatchjob/add/").status_code == 403
    page = admin_client.get(f"/admin/dispatch/dispatchtask/{task.pk}/change/")
    assert page.status_code == 200 and 'type="submit"' not in page.content.decode().split('id="content"')[1]


# --- "dispatch a command" on plants and fleets ---------------------------------------------------------


def _action(url, action, ids, **form):
    return url, {"action": action, ACTION_CHECKBOX_NAME: ids, **form}


@pytest.mark.django_db
def test_dispatching_to_selected_plants_goes_through_a_validated_form(admin_client, admin_user, acme_plants):
    ids = [p.pk for p in acme_plants[:3]]

    first = admin_client.post(*_action(PLANTS, "dispatch_to_plants", ids))
    assert first.status_code == 200
    html = first.content.decode()
    assert "Dispatch a command to 3 plants" in html
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', html).group(1)

    form = {"apply": "1", "command": "charge_discharge", "on_conflict": "reject", "idempotency_key": key}
    bad = admin_client.post(
        *_action(PLANTS, "dispatch_to_plants", ids, **form, params='{"action": "charge"}')
    )
    assert bad.status_code == 200
    assert "control: Required to charge" in bad.content.decode()
    too_high = {**CHARGE, "target_soc_pct": 120}
    bad = admin_client.post(
        *_action(PLANTS, "dispatch_to_plants", ids, **form, params=str(too_high).replace("'", '"'))
    )
    assert "target_soc_pct: Must be between 0 and 100" in bad.content.decode()
    assert row_counts() == (0, 0, 0)

    good = _action(PLANTS, "dispatch_to_plants", ids, **form, params='{"action": "stop"}')
    response = admin_client.post(*good)
    job = DispatchJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{JOBS}{job.pk}/change/"
    assert job.created_by == admin_user
    assert job.params == {"action": "stop"}
    assert sorted(job.tasks.values_list("plant_id", flat=True)) == ids

    # The form submitted twice (a double click, a browser retry) is still one job.
    assert admin_client.post(*good).status_code == 302
    assert DispatchJob.objects.count() == 1


@pytest.mark.django_db
def test_plants_of_two_organisations_cannot_be_dispatched_together(admin_client, acme_plants, rival_plants):
    ids = [acme_plants[0].pk, rival_plants[0].pk]
    response = admin_client.post(*_action(PLANTS, "dispatch_to_plants", ids), follow=True)
    assert "Select plants of one organisation" in response.content.decode()
    assert row_counts() == (0, 0, 0)


@pytest.mark.django_db
def test_dispatching_to_selected_fleets_makes_one_job_per_fleet(admin_client, acme_fleet, rival_fleet):
    ids = [acme_fleet.pk, rival_fleet.pk]
    form = {
        "apply": "1",
        "command": "dod",
        "params": '{"dod_pct": 80}',
        "on_conflict": "reject",
        "idempotency_key": "f00d",
    }

    response = admin_client.post(*_action(FLEETS, "dispatch_to_fleets", ids, **form))

    assert response.status_code == 302
    jobs = {job.fleet_id: job for job in DispatchJob.objects.all()}
    assert set(jobs) == set(ids)
    assert jobs[acme_fleet.pk].organization == acme_fleet.organization
    assert jobs[rival_fleet.pk].organization == rival_fleet.organization
    assert jobs[acme_fleet.pk].tasks.count() == acme_fleet.plants.count()


@pytest.mark.django_db
def test_a_refused_fleet_dispatch_shows_why_on_the_form_and_writes_nothing(
    alice, admin_client, acme_fleet, acme_plants
):
    make_job(
        alice.membership.organization, alice, acme_plants[:1], command_kind="dod", params={"dod_pct": 50}
    )
    before = row_counts()
    form = {
        "apply": "1",
        "command": "dod",
        "params": '{"dod_pct": 80}',
        "on_conflict": "reject",
        "idempotency_key": "cafe",
    }
    response = admin_client.post(*_action(FLEETS, "dispatch_to_fleets", [acme_fleet.pk], **form))
    assert response.status_code == 200
    assert "conflicting task in progress" in response.content.decode()
    assert row_counts() == before


@pytest.mark.django_db
def test_the_fleets_admin_keeps_its_own_features(admin_client, acme_fleet):
    # Re-registered with the dispatch action added, the fleet and plant admins still work as before.
    assert admin_client.get(f"{FLEETS}{acme_fleet.pk}/change/").status_code == 200
    assert admin_client.get(f"{PLANTS}?q=Plant").status_code == 200
    assert get_user_model().objects.filter(is_superuser=True).exists()


@pytest.mark.django_db
def test_a_job_page_leads_to_its_vendor_requests_and_their_audited_calls(alice, admin_client, acme_plants):
    from fleets.models import VendorCall

    job = make_job(alice.membership.organization, alice, acme_plants)
    other = make_job(alice.membership.organization, alice, acme_plants)
    account = acme_plants[0].vendor_account
    request = VendorRequest.objects.create(job=job, vendor_account=account, request_id="7001")
    VendorRequest.objects.create(job=other, vendor_account=account, request_id="7002")
    VendorCall.objects.create(
        vendor_account=account,
        endpoint="chargeAndDischarge",
        request_id="7001",
        duration_ms=12,
        requested_by=alice,
    )
    VendorCall.objects.create(
        vendor_account=account, endpoint="chargeAndDischarge", request_id="7002", duration_ms=9
    )

    page = admin_client.get(f"{JOBS}{job.pk}/change/").content.decode()
    requests_url = f"/admin/dispatch/vendorrequest/?job__id__exact={job.pk}"
    assert f'<a href="{requests_url}">1 vendor request(s)</a>' in page

    listing = admin_client.get(requests_url)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "7001" in html and "7002" not in html
    calls_url = f"/admin/fleets/vendorcall/?request_id={request.request_id}"
    assert calls_url in html
    calls = admin_client.get(calls_url)
    assert calls.status_code == 200
    assert "1 vendor call" in calls.content.decode() and ">alice<" in calls.content.decode()


@pytest.mark.django_db
def test_searching_jobs_and_tasks_by_id_or_text(alice, admin_client, acme_plants):
    job = make_job(alice.membership.organization, alice, acme_plants, idempotency_key="order-7")
    for url in (
        "/admin/dispatch/dispatchjob/",
        "/admin/dispatch/dispatchtask/",
        "/admin/dispatch/vendorrequest/",
    ):
        for q in (str(job.pk), "order-7", "not a number"):
            assert admin_client.get(url, {"q": q}).status_code == 200, (url, q)
    found = admin_client.get(JOBS, {"q": "order-7"}).content.decode()
    assert f"{JOBS}{job.pk}/change/" in found
