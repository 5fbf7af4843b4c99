"""A power target on the live dispatch page: target, planned, measured and baseline power per 5-minute
interval and the delivery summary, in the page's poll (the same computation as the API's delivery)."""

from __future__ import annotations

import pytest

from tests.console.conftest import session_for

pytestmark = pytest.mark.django_db


def _progress(client, job_id):
    response = client.get(f"/console/dispatches/{job_id}/progress.json")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_poll_carries_the_delivery_of_a_power_target_as_the_api_does(power_target, alice, bob_api):
    p = _progress(session_for(alice), power_target.job_id)
    d = p["delivery"]
    assert p["command"] == "power_target"
    # Half way through the hour: six intervals over, the seventh under way.
    assert len(d["intervals"]) == 7
    complete = [i for i in d["intervals"] if i["complete"]]
    assert len(complete) == 6 and not d["intervals"][-1]["complete"]
    assert [i["target_kw"] for i in d["intervals"]] == [15.0] * 7
    assert [i["planned_kw"] for i in d["intervals"]] == [10.0] + [15.0] * 6
    assert [i["measured_kw"] for i in complete] == [15.0] * 6  # three plants giving 5 kW each
    assert [i["baseline_kw"] for i in d["intervals"]] == [-3.0] * 7  # they were charging 1 kW each
    s = d["summary"]
    assert (s["delivered_kwh"], s["target_kwh"], s["delivery_ratio"]) == (7.5, 15.0, 0.5)
    assert s["ramp_minutes"] == 0 and (s["plants"], s["plants_confirmed"]) == (3, 3)
    assert d["outcome"] == {"state": "delivering"}
    # The same answer as GET /api/v1/dispatches/{id}/delivery, interval for interval.
    api = bob_api.get(f"/api/v1/dispatches/{power_target.job_id}/delivery").json()
    assert [i["start"] for i in api["intervals"]][:6] == [i["start"] for i in complete]
    assert api["summary"] == s


def test_another_organisations_power_target_is_not_found(power_target, charlie):
    client = session_for(charlie)
    assert client.get(f"/console/dispatches/{power_target.job_id}/progress.json").status_code == 404
    assert client.get(f"/console/dispatches/{power_target.job_id}/").status_code == 404


def test_the_page_shows_the_targets_parameters_not_a_charge_discharge(power_target, alice):
    client = session_for(alice)
    page = client.get(f"/console/dispatches/{power_target.job_id}/").content.decode()
    assert "Fleet power target" in page and "Charge / discharge / stop" not in page
    assert "Discharge 15 kW in total for 60 min" in page
    assert "every battery kept above 20 % SOC" in page
    assert 'id="power-chart"' in page
    listing = client.get("/console/dispatches/").content.decode()
    assert "power_target · discharge 15.0 kW" in listing
    plant = client.get(f"/console/plants/{power_target.plants.first().plant_id}/").content.decode()
    assert "power_target · discharge" in plant


def test_a_job_without_a_power_target_has_no_delivery_or_power_chart(acme, org, alice):
    from tests.factories import DispatchJobFactory

    job = DispatchJobFactory(organization=org, fleet=acme["fleet"])
    client = session_for(alice)
    p = _progress(client, job.pk)
    assert p["delivery"] is None and p["command"] == "charge_discharge"
    assert 'id="power-chart"' not in client.get(f"/console/dispatches/{job.pk}/").content.decode()
