"""Who sees what in the console: the API's users, organisations and roles, over a Django session."""

from __future__ import annotations

import zoneinfo

import pytest
from django.test import Client
from django.utils import timezone

from dispatch.models import DispatchJob, DispatchTask
from tests.console.conftest import session_for
from tests.factories import PlantFactory, UserFactory, VendorAccountFactory

pytestmark = pytest.mark.django_db

CHARGE = {
    "fleet": "",
    "p_action": "charge",
    "p_control": "soc",
    "p_target_soc_pct": "80",
    "on_conflict": "reject",
}


def _job(acme, org, user):
    from dispatch.services import dispatch_job_create
    from vendors.base import ChargeDischarge

    job, _ = dispatch_job_create(
        organization=org,
        created_by=user,
        command_kind="charge_discharge",
        params={"action": "charge", "control": "soc", "target_soc_pct": 80},
        command=ChargeDischarge(action="charge", control="soc", target_soc_pct=80),
        fleet=acme["fleet"],
    )
    return job


def _pages(acme, job):
    plant = acme["plants"][0]
    return [
        "/console/",
        "/console/dispatches/",
        f"/console/dispatches/{job.pk}/",
        f"/console/dispatches/{job.pk}/progress.json",
        "/console/plants/",
        f"/console/plants/{plant.pk}/",
        "/console/vendor-accounts/",
    ]


def test_every_page_asks_an_anonymous_visitor_to_log_in(acme, org, alice):
    job = _job(acme, org, alice)
    client = Client()
    for url in [*_pages(acme, job), "/console/dispatches/new/charge_discharge/"]:
        answer = client.get(url)
        assert answer.status_code == 302, url
        assert answer["Location"].startswith("/console/login/?next="), url


def test_logging_in_on_the_login_page_opens_the_page_asked_for(acme, bob):
    client = Client()
    answer = client.post(
        "/console/login/?next=/console/plants/",
        {"username": "bob", "password": "correct horse battery staple", "next": "/console/plants/"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/console/plants/"
    assert client.get("/console/plants/").status_code == 200
    wrong = Client().post("/console/login/", {"username": "bob", "password": "nope"})
    assert wrong.status_code == 200 and b"correct username and password" in wrong.content


def test_a_viewer_sees_every_page_but_gets_no_command_form_and_cannot_cancel(acme, org, alice, viewer):
    job = _job(acme, org, alice)
    client = session_for(viewer)
    for url in _pages(acme, job):
        assert client.get(url).status_code == 200, url
    assert b"New dispatch" not in client.get("/console/dispatches/").content
    assert b"cancel-form" not in client.get(f"/console/dispatches/{job.pk}/").content
    assert b"Dispatch to this plant" not in client.get(f"/console/plants/{acme['plants'][0].pk}/").content
    assert client.get("/console/dispatches/new/charge_discharge/").status_code == 403
    posted = client.post(
        "/console/dispatches/new/charge_discharge/",
        {**CHARGE, "fleet": acme["fleet"].pk, "idempotency_key": "v1"},
    )
    assert posted.status_code == 403
    assert client.post(f"/console/dispatches/{job.pk}/cancel/").status_code == 403
    assert DispatchJob.objects.count() == 1
    job.refresh_from_db()
    assert job.cancel_requested_at is None


def test_an_operator_gets_the_forms_and_the_cancel_button(acme, org, alice, bob):
    job = _job(acme, org, alice)
    client = session_for(bob)
    assert b"New dispatch" in client.get("/console/dispatches/").content
    assert b"cancel-form" in client.get(f"/console/dispatches/{job.pk}/").content
    answer = client.post(f"/console/dispatches/{job.pk}/cancel/")
    assert answer.status_code == 302
    job.refresh_from_db()
    assert job.cancel_requested_at is not None and job.cancelled_by == bob


def test_another_organisations_jobs_and_plants_are_not_found(acme, org, alice, charlie, other_org):
    job = _job(acme, org, alice)
    client = session_for(charlie)
    plant = acme["plants"][0]
    for url in [
        f"/console/dispatches/{job.pk}/",
        f"/console/dispatches/{job.pk}/progress.json",
        f"/console/plants/{plant.pk}/",
        f"/console/dispatches/new/charge_discharge/?plant={plant.pk}",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/console/dispatches/{job.pk}/cancel/").status_code == 404
    # Lists show only charlie's organisation: none of Acme's plants, jobs or accounts.
    rival = PlantFactory(vendor_account=VendorAccountFactory(organization=other_org, name="rival account"))
    plants = client.get("/console/plants/").content.decode()
    assert rival.name in plants and plant.name not in plants
    assert f"#{job.pk}<" not in client.get("/console/dispatches/").content.decode()
    accounts = client.get("/console/vendor-accounts/").content.decode()
    assert "rival account" in accounts and "huawei main" not in accounts
    # A fleet of another organisation is not a choice in charlie's form, and posting its id is refused.
    posted = client.post(
        "/console/dispatches/new/charge_discharge/",
        {**CHARGE, "fleet": acme["fleet"].pk, "idempotency_key": "c1"},
    )
    assert posted.status_code == 200 and b"Select a valid choice" in posted.content
    assert DispatchJob.objects.count() == 1


def test_a_user_of_no_organisation_is_refused(acme):
    client = session_for(UserFactory(username="drifter"))
    assert client.get("/console/").status_code == 403
    assert client.get("/console/plants/").status_code == 403


def test_times_are_shown_in_the_zone_the_browser_reported(acme, org, alice):
    job = _job(acme, org, alice)
    client = session_for(alice)
    client.cookies["vpp_tz"] = "Europe%2FBerlin"
    page = client.get(f"/console/dispatches/{job.pk}/").content.decode()
    assert 'data-tz="Europe/Berlin"' in page
    local = job.created_at.astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    assert local.strftime("%Y-%m-%d %H:%M:%S") + " CE" in page  # CET or CEST
    client.cookies["vpp_tz"] = "Not/AZone"
    assert 'data-tz="UTC"' in client.get(f"/console/dispatches/{job.pk}/").content.decode()


def test_a_plant_page_shows_times_in_the_plants_own_zone(acme, alice):
    sydney = acme["plants"][3]  # Australia/Sydney
    client = session_for(alice)
    job = _job(acme, alice.membership.organization, alice)
    task = DispatchTask.objects.get(job=job, plant=sydney)
    DispatchTask.objects.filter(pk=task.pk).update(sent_at=timezone.now())
    task.refresh_from_db()
    page = client.get(f"/console/plants/{sydney.pk}/").content.decode()
    local = task.sent_at.astimezone(zoneinfo.ZoneInfo("Australia/Sydney"))
    assert local.strftime("%Y-%m-%d %H:%M") + " AE" in page  # AEST or AEDT
    assert 'data-tz="Australia/Sydney"' in page


def test_a_plant_page_offers_only_the_commands_its_vendor_can_take(acme, bob):
    client = session_for(bob)
    huawei, growatt = acme["plants"][0], acme["plants"][3]
    huawei_page = client.get(f"/console/plants/{huawei.pk}/").content.decode()
    growatt_page = client.get(f"/console/plants/{growatt.pk}/").content.decode()
    assert f"/console/dispatches/new/dod/?plant={huawei.pk}" in huawei_page
    assert "/console/dispatches/new/storage_set/" not in huawei_page  # Growatt's raw setter
    assert f"/console/dispatches/new/storage_set/?plant={growatt.pk}" in growatt_page
    assert "/console/dispatches/new/dod/" not in growatt_page  # Growatt has no DoD (DESIGN.md)


def test_ids_too_long_for_the_database_are_not_found(acme, alice):
    client = session_for(alice)
    huge = "9" * 25
    for url in [
        f"/console/dispatches/{huge}/",
        f"/console/dispatches/{huge}/progress.json",
        f"/console/plants/{huge}/",
        f"/console/dispatches/new/dod/?plant={huge}",
        "/console/plants/?page=-3&state=bogus&vendor=nobody",
        "/console/dispatches/?page=x&state=%00",
        "/console/plants/?q=%00abc&vendor=%00",
    ]:
        assert client.get(url).status_code in (200, 404), url
    assert client.get(f"/console/plants/{huge}/").status_code == 404
