"""The campaign admin applies the same rules as the API and schedules what it saves."""

import pytest

from dispatch.campaigns.models import Campaign
from tests.factories import FleetFactory, OrganizationFactory


def _form(fleet, **overrides):
    form = {
        "organization": fleet.organization_id,
        "name": "Night charge",
        "fleet": fleet.pk,
        "command_kind": "charge_discharge",
        "params": '{"action": "charge", "control": "soc", "target_soc_pct": 90}',
        "recurrence_kind": "rrule",
        "recurrence": "FREQ=DAILY;BYHOUR=1;BYMINUTE=0;BYSECOND=0",
        "timezone": "Australia/Sydney",
        "start_date": "2026-01-01",
        "end_date": "",
        "enabled": "on",
        "on_overlap": "skip",
        "missed_grace_min": "30",
        "runs-TOTAL_FORMS": "0",
        "runs-INITIAL_FORMS": "0",
    }
    form.update(overrides)
    return form


@pytest.mark.django_db
def test_admin_saves_a_valid_campaign_with_its_next_run(admin_client):
    fleet = FleetFactory()
    response = admin_client.post("/admin/campaigns/campaign/add/", _form(fleet))
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get()
    assert campaign.next_run_at is not None
    assert campaign.params == {"action": "charge", "control": "soc", "target_soc_pct": 90.0}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "shown"),
    [
        ({"recurrence": "FREQ=SOMETIMES"}, "invalid RRULE"),
        ({"timezone": "Mars/Base"}, "IANA"),
        ({"start_date": "2026-05-01", "end_date": "2026-04-01"}, "must not be before start_date"),
        ({"params": '{"action": "charge", "control": "soc"}'}, "params.target_soc_pct"),
    ],
)
def test_admin_shows_the_rule_broken_and_saves_nothing(admin_client, overrides, shown):
    fleet = FleetFactory()
    response = admin_client.post("/admin/campaigns/campaign/add/", _form(fleet, **overrides))
    assert response.status_code == 200
    assert shown in response.content.decode()
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
def test_admin_refuses_a_fleet_of_another_organization(admin_client):
    fleet = FleetFactory()
    response = admin_client.post(
        "/admin/campaigns/campaign/add/", _form(fleet, organization=OrganizationFactory().pk)
    )
    assert response.status_code == 200
    assert "belongs to another organization" in response.content.decode()
    assert Campaign.objects.count() == 0
