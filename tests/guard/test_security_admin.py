"""The Django admin: platform staff (superusers) see every organisation; an organisation's admin (role
admin, is_staff) sees and changes only its own; operators and viewers have no admin access.

Every test drives the real admin over the test client, as a browser would.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from fleets.models import Membership, VendorAccount
from tests.dispatch.api.conftest import make_job
from tests.factories import (
    CampaignFactory,
    EnrolmentFactory,
    FleetFactory,
    MembershipFactory,
    PlantFactory,
    UserFactory,
    VendorAccountFactory,
    WebhookDeliveryFactory,
    WebhookSubscriptionFactory,
)

# Every changelist of organisation-owned rows, and how a row names its organisation.
CHANGELISTS = {
    "fleets/vendoraccount": lambda o: o.organization_id,
    "fleets/plant": lambda o: o.organization_id,
    "fleets/device": lambda o: o.plant.organization_id,
    "fleets/fleet": lambda o: o.organization_id,
    "fleets/vendorcall": lambda o: o.vendor_account.organization_id,
    "fleets/enrolment": lambda o: o.organization_id,
    "dispatch/dispatchjob": lambda o: o.organization_id,
    "dispatch/dispatchtask": lambda o: o.job.organization_id,
    "dispatch/vendorrequest": lambda o: o.job.organization_id,
    "campaigns/campaign": lambda o: o.organization_id,
    "campaigns/campaignrun": lambda o: o.campaign.organization_id,
    "webhooks/webhooksubscription": lambda o: o.organization_id,
    "webhooks/webhookdelivery": lambda o: o.subscription.organization_id,
}
PLATFORM_ONLY = ["fleets/organization", "fleets/membership", "auth/user", "authtoken/tokenproxy"]


def _world(org, user):
    """One of each organisation-owned row for `org`."""
    from dispatch.campaigns.models import CampaignRun
    from dispatch.models import VendorRequest
    from fleets.models import Device, VendorCall

    account = VendorAccountFactory(organization=org, name=f"{org.name} account")
    plant = PlantFactory(vendor_account=account, name=f"{org.name} plant")
    Device.objects.create(plant=plant, dn=f"NE={plant.pk}", device_type="battery")
    fleet = FleetFactory(organization=org, name=f"{org.name} fleet")
    fleet.plants.add(plant)
    job = make_job(org, user, [plant])
    VendorRequest.objects.create(job=job, vendor_account=account, request_id=f"req-{job.pk}")
    VendorCall.objects.create(vendor_account=account, endpoint="login", targets=[], params={}, duration_ms=1)
    EnrolmentFactory(organization=org, vendor_account=account)
    campaign = CampaignFactory(organization=org, fleet=fleet, name=f"{org.name} campaign")
    WebhookDeliveryFactory(subscription=WebhookSubscriptionFactory(organization=org))
    CampaignRun.objects.create(campaign=campaign, scheduled_at=campaign.next_run_at)
    return {"account": account, "plant": plant, "fleet": fleet, "job": job, "campaign": campaign}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The test users get passwords: PBKDF2 would cost seconds a test on a busy CPU."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def org_admin(org):
    user = UserFactory(username="ada", is_staff=True)
    MembershipFactory(user=user, organization=org, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def worlds(org, other_org, org_admin, charlie):
    return _world(org, org_admin), _world(other_org, charlie)


@pytest.mark.django_db
def test_an_organisation_admin_lists_only_its_own_rows(client, org, org_admin, worlds):
    client.force_login(org_admin)
    for changelist, organization_of in CHANGELISTS.items():
        page = client.get(f"/admin/{changelist}/")
        assert page.status_code == 200, changelist
        rows = list(page.context["cl"].queryset)
        assert {organization_of(row) for row in rows} == {org.pk}, changelist
        # Filtering by organisation would list every organisation's name.
        assert all("organization" not in str(spec) for spec in page.context["cl"].list_filter), changelist


@pytest.mark.django_db
def test_platform_staff_see_every_organisation(admin_client, org, other_org, worlds):
    for changelist, organization_of in CHANGELISTS.items():
        page = admin_client.get(f"/admin/{changelist}/")
        assert page.status_code == 200, changelist
        assert {organization_of(row) for row in page.context["cl"].queryset} == {org.pk, other_org.pk}


@pytest.mark.django_db
def test_another_organisations_object_is_not_found_for_an_organisation_admin(client, org_admin, worlds):
    client.force_login(org_admin)
    for what in ("account", "plant", "fleet", "job", "campaign"):
        mine, theirs = worlds[0][what], worlds[1][what]
        base = f"/admin/{theirs._meta.app_label}/{theirs._meta.model_name}"
        page = client.get(f"{base}/{theirs.pk}/change/", follow=True)
        assert page.redirect_chain[-1][0] == "/admin/", what  # "doesn't exist", back to the index
        assert client.get(f"{base}/{mine.pk}/change/").status_code == 200, what


@pytest.mark.django_db
def test_an_organisation_admin_cannot_change_or_delete_another_organisations_account(
    client, org_admin, worlds
):
    client.force_login(org_admin)
    theirs = worlds[1]["account"]
    form = {
        "organization": theirs.organization_id,
        "vendor": theirs.vendor,
        "name": "hijacked",
        "base_url": theirs.base_url,
        "username": theirs.username,
        "secret": "",
        "enabled": "on",
        "rate_limit_overrides": "{}",
    }
    client.post(f"/admin/fleets/vendoraccount/{theirs.pk}/change/", form)
    client.post(f"/admin/fleets/vendoraccount/{theirs.pk}/delete/", {"post": "yes"})
    theirs.refresh_from_db()
    assert theirs.name == "Rival Energy account"


@pytest.mark.django_db
def test_choices_in_forms_offer_only_the_organisations_own_objects(client, org, org_admin, worlds):
    client.force_login(org_admin)
    form = client.get("/admin/campaigns/campaign/add/").context["adminform"].form
    assert list(form.fields["organization"].queryset) == [org]
    assert list(form.fields["fleet"].queryset) == [worlds[0]["fleet"]]
    form = client.get("/admin/fleets/fleet/add/").context["adminform"].form
    assert list(form.fields["plants"].queryset) == [worlds[0]["plant"]]
    assert list(form.fields["filter_vendor_account"].queryset) == [worlds[0]["account"]]
    form = client.get("/admin/fleets/enrolment/add/").context["adminform"].form
    assert list(form.fields["vendor_account"].queryset) == [worlds[0]["account"]]


@pytest.mark.django_db
def test_an_organisation_admin_cannot_create_a_campaign_on_another_organisations_fleet(
    client, org, org_admin, worlds
):
    from dispatch.campaigns.models import Campaign

    client.force_login(org_admin)
    before = Campaign.objects.count()
    form = {
        "organization": org.pk,
        "name": "sneaky",
        "fleet": worlds[1]["fleet"].pk,
        "command_kind": "charge_discharge",
        "params": '{"action": "discharge", "control": "duration", "duration_min": 30, "power_w": 3000}',
        "recurrence_kind": "cron",
        "recurrence": "0 17 * * *",
        "timezone": "Europe/Berlin",
        "start_date": "2026-01-01",
        "enabled": "on",
        "on_overlap": "skip",
        "missed_grace_min": "30",
        "runs-TOTAL_FORMS": "0",
        "runs-INITIAL_FORMS": "0",
    }
    page = client.post("/admin/campaigns/campaign/add/", form)
    assert page.status_code == 200
    assert "fleet" in page.context["adminform"].form.errors
    assert Campaign.objects.count() == before


@pytest.mark.django_db
def test_clock_speed_is_for_platform_staff_only(client, admin_client, org_admin, worlds):
    mine = worlds[0]["account"]
    url = f"/admin/fleets/vendoraccount/{mine.pk}/change/"
    assert "clock_speed" in admin_client.get(url).context["adminform"].form.fields
    client.force_login(org_admin)
    assert "clock_speed" not in client.get(url).context["adminform"].form.fields
    form = {
        "organization": mine.organization_id,
        "vendor": mine.vendor,
        "name": "renamed",
        "base_url": mine.base_url,
        "username": mine.username,
        "secret": "",
        "enabled": "on",
        "clock_speed": "1e308",
        "rate_limit_overrides": "{}",
    }
    assert client.post(url, form).status_code == 302
    mine.refresh_from_db()
    assert (mine.name, mine.clock_speed) == ("renamed", 1.0)


@pytest.mark.django_db
@pytest.mark.parametrize("page", PLATFORM_ONLY)
def test_organisations_memberships_users_and_tokens_are_for_platform_staff_only(client, org_admin, page):
    client.force_login(org_admin)
    assert client.get(f"/admin/{page}/").status_code == 403


@pytest.mark.django_db
def test_operators_and_viewers_have_no_admin_access_even_as_staff(client, org, worlds):
    for role in (Membership.Role.OPERATOR, Membership.Role.VIEWER):
        user = UserFactory(username=f"staff-{role}", is_staff=True)
        MembershipFactory(user=user, organization=org, role=role)
        client.force_login(user)
        assert client.get("/admin/fleets/plant/").status_code == 403
        assert client.get("/admin/").context["app_list"] == []


@pytest.mark.django_db
def test_create_operator_staff_makes_an_organisation_admin_not_a_superuser(org):
    out = io.StringIO()
    call_command(
        *("vpp_create_operator", "--organization", "North Grid", "--username", "nora"),
        *("--role", "admin", "--staff"),
        stdout=out,
    )
    nora = get_user_model().objects.get(username="nora")
    assert (nora.is_staff, nora.is_superuser, nora.membership.role) == (True, False, "admin")
    with pytest.raises(CommandError, match="--role admin"):
        call_command("vpp_create_operator", "--organization", "North Grid", "--username", "olaf", "--staff")
    assert not get_user_model().objects.filter(username="olaf").exists()
    call_command(
        "vpp_create_operator", "--organization", "Platform", "--username", "root", "--superuser", stdout=out
    )
    assert get_user_model().objects.get(username="root").is_superuser


@pytest.mark.django_db
def test_an_organisation_admin_adds_an_account_only_to_its_own_organisation(
    client, org, other_org, org_admin
):
    client.force_login(org_admin)
    form = {
        "organization": other_org.pk,
        "vendor": "huawei",
        "name": "planted",
        "base_url": "http://127.0.0.1:8101",
        "username": "nbi",
        "secret": "pw",
        "enabled": "on",
        "rate_limit_overrides": "{}",
    }
    page = client.post("/admin/fleets/vendoraccount/add/", form)
    assert page.status_code == 200 and "organization" in page.context["adminform"].form.errors
    assert (
        client.post("/admin/fleets/vendoraccount/add/", {**form, "organization": org.pk}).status_code == 302
    )
    assert list(VendorAccount.objects.values_list("organization", "name")) == [(org.pk, "planted")]


@pytest.mark.django_db
def test_an_organisation_admin_dispatches_from_the_admin_only_to_its_own_plants(client, org_admin, worlds):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    from dispatch.models import DispatchJob

    client.force_login(org_admin)
    before = DispatchJob.objects.count()
    page = client.post(
        "/admin/fleets/plant/",
        {"action": "dispatch_to_plants", ACTION_CHECKBOX_NAME: [worlds[1]["plant"].pk]},
    )
    # The other organisation's plant is not in the changelist's queryset: nothing is selected.
    assert page.status_code in (200, 302)
    assert DispatchJob.objects.count() == before
