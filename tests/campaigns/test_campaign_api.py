"""The campaigns API: create, validate, scope to the organisation, pause/resume, preview, runs."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dispatch.campaigns.models import Campaign, CampaignRun
from tests.factories import CampaignFactory, FleetFactory

BERLIN = ZoneInfo("Europe/Berlin")


def _body(fleet_obj, **overrides):
    body = {
        "name": "Evening peak",
        "fleet": fleet_obj.pk,
        "command_kind": "charge_discharge",
        "params": {"action": "discharge", "control": "duration", "duration_min": 120, "power_w": 3000},
        "recurrence_kind": "cron",
        "recurrence": "0 17 * * 1-5",
        "timezone": "Europe/Berlin",
        "start_date": "2026-01-01",
        "end_date": "2027-12-31",
        "on_overlap": "skip",
    }
    body.update(overrides)
    return body


@pytest.mark.django_db
def test_create_a_campaign_and_preview_its_next_runs_at_17h_local(bob_api, org):
    fleet = FleetFactory(organization=org)
    response = bob_api.post("/api/v1/campaigns", _body(fleet), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["enabled"] is True
    assert len(body["next_runs"]) == 5
    for instant in body["next_runs"]:
        local = datetime.fromisoformat(instant).astimezone(BERLIN)
        assert (local.hour, local.minute) == (17, 0)
        assert local.weekday() < 5
    preview = bob_api.get(f"/api/v1/campaigns/{body['id']}/preview?count=12").json()["next_runs"]
    assert len(preview) == 12 and preview[:5] == body["next_runs"]
    campaign = Campaign.objects.get(pk=body["id"])
    assert campaign.created_by.username == "bob"
    assert campaign.next_run_at.isoformat() == body["next_runs"][0].replace("Z", "+00:00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"recurrence": "0 25 * * *"}, "recurrence", "invalid cron"),
        ({"recurrence_kind": "rrule", "recurrence": "FREQ=FORTNIGHTLY"}, "recurrence", "invalid RRULE"),
        ({"recurrence_kind": "rrule", "recurrence": "FREQ=MINUTELY"}, "recurrence", "more often than hourly"),
        ({"recurrence_kind": "sometimes"}, "recurrence_kind", ""),
        ({"timezone": "Europe/Atlantis"}, "timezone", "IANA"),
        ({"start_date": "2026-06-01", "end_date": "2026-05-31"}, "end_date", "before start_date"),
        ({"command_kind": "teleport"}, "command_kind", ""),
        ({"params": {"action": "discharge", "control": "duration"}}, "params.duration_min", ""),
        (
            {"params": {"action": "charge", "control": "soc", "target_soc_pct": 140}},
            "params.target_soc_pct",
            "",
        ),
        (
            {"params": {"action": "discharge", "control": "duration", "duration_min": 60, "power_w": -5}},
            "params.power_w",
            "",
        ),
        ({"name": ""}, "name", ""),
        ({"fleet": 999999}, "fleet", ""),
        ({"missed_grace_min": -1}, "missed_grace_min", ""),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(bob_api, org, overrides, field, rule):
    fleet = FleetFactory(organization=org)
    response = bob_api.post("/api/v1/campaigns", _body(fleet, **overrides), format="json")
    assert response.status_code == 400, response.json()
    fields = response.json()["fields"]
    assert field in fields, fields
    assert rule in " ".join(e["message"] for e in fields[field])
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
def test_a_fleet_of_another_organization_is_not_found(bob_api, other_org):
    response = bob_api.post("/api/v1/campaigns", _body(FleetFactory(organization=other_org)), format="json")
    assert response.status_code == 400
    assert "fleet" in response.json()["fields"]
    assert Campaign.objects.count() == 0


@pytest.mark.django_db
def test_charlie_cannot_see_or_touch_acmes_campaigns(charlie_api, org):
    campaign = CampaignFactory(organization=org)
    assert charlie_api.get("/api/v1/campaigns").json()["count"] == 0
    for method, url in [
        ("get", f"/api/v1/campaigns/{campaign.pk}"),
        ("get", f"/api/v1/campaigns/{campaign.pk}/runs"),
        ("get", f"/api/v1/campaigns/{campaign.pk}/preview"),
        ("post", f"/api/v1/campaigns/{campaign.pk}/pause"),
        ("patch", f"/api/v1/campaigns/{campaign.pk}"),
        ("delete", f"/api/v1/campaigns/{campaign.pk}"),
    ]:
        assert getattr(charlie_api, method)(url, {}, format="json").status_code == 404, (method, url)
    campaign.refresh_from_db()
    assert campaign.enabled


@pytest.mark.django_db
def test_pause_stops_future_runs_and_resume_schedules_from_now(bob_api, org):
    campaign = CampaignFactory(organization=org)
    paused = bob_api.post(f"/api/v1/campaigns/{campaign.pk}/pause").json()
    assert paused["enabled"] is False and paused["next_run_at"] is None and paused["next_runs"] == []
    resumed = bob_api.post(f"/api/v1/campaigns/{campaign.pk}/resume").json()
    assert resumed["enabled"] is True and len(resumed["next_runs"]) == 5


@pytest.mark.django_db
def test_changing_the_schedule_recomputes_the_next_runs(bob_api, org):
    campaign = CampaignFactory(organization=org)
    response = bob_api.patch(
        f"/api/v1/campaigns/{campaign.pk}",
        {"recurrence_kind": "rrule", "recurrence": "FREQ=DAILY;BYHOUR=1;BYMINUTE=0;BYSECOND=0"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    for instant in response.json()["next_runs"]:
        assert datetime.fromisoformat(instant).astimezone(BERLIN).hour == 1
    bad = bob_api.patch(f"/api/v1/campaigns/{campaign.pk}", {"timezone": "Nowhere/Land"}, format="json")
    assert bad.status_code == 400 and "timezone" in bad.json()["fields"]
    campaign.refresh_from_db()
    assert campaign.recurrence_kind == "rrule" and campaign.timezone == "Europe/Berlin"


@pytest.mark.django_db
def test_runs_are_listed_newest_first(bob_api, org):
    campaign = CampaignFactory(organization=org)
    for day in (5, 6, 7):
        CampaignRun.objects.create(
            campaign=campaign,
            scheduled_at=datetime(2026, 1, day, 16, 0, tzinfo=ZoneInfo("UTC")),
            state=CampaignRun.State.SKIPPED,
            reason="missed",
        )
    runs = bob_api.get(f"/api/v1/campaigns/{campaign.pk}/runs").json()["results"]
    assert [r["scheduled_at"][:10] for r in runs] == ["2026-01-07", "2026-01-06", "2026-01-05"]
    assert all(r["state"] == "skipped" and r["reason"] == "missed" for r in runs)
