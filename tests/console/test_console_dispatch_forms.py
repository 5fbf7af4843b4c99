"""A form per command: what it posts is validated by dispatch.commands and created by dispatch.services,
exactly as the API does; a broken rule is shown at its field and nothing is written."""

from __future__ import annotations

import re

import pytest

from console.forms import VARIANTS
from dispatch.models import DispatchJob, DispatchTask
from tests.console.conftest import session_for
from vendors.base import CommandKind

pytestmark = pytest.mark.django_db
NEW = "/console/dispatches/new/{}/"


def _post(client, kind, data, *, key="k1", query=""):
    return client.post(NEW.format(kind) + query, {"on_conflict": "reject", "idempotency_key": key, **data})


def _field_errors(answer) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, message in re.findall(
        r'<p class="error" data-field="([^"]+)">([^<]+)</p>', answer.content.decode()
    ):
        found.setdefault(name, []).append(message)
    return found


def test_every_command_and_every_raw_setting_has_a_form(acme, bob):
    client = session_for(bob)
    for kind in CommandKind:
        answer = client.get(NEW.format(kind.value))
        assert answer.status_code == 200, kind
        if kind in VARIANTS:
            for variant in VARIANTS[kind][1]:
                page = client.get(NEW.format(kind.value) + f"?variant={variant}")
                assert page.status_code == 200 and b'id="command-form"' in page.content, variant
        else:
            assert b'id="command-form"' in answer.content
    assert client.get(NEW.format("warp_drive")).status_code == 404
    assert client.get(NEW.format("charge_discharge") + "?plant=abc").status_code == 404


def test_a_charge_from_the_form_creates_the_job_the_api_would(acme, bob):
    client = session_for(bob)
    fleet = acme["fleet"]
    data = {
        "fleet": fleet.pk,
        "p_action": "charge",
        "p_control": "soc",
        "p_target_soc_pct": "80",
        "p_power_w": "3000",
    }
    answer = _post(client, "charge_discharge", data)
    job = DispatchJob.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/console/dispatches/{job.pk}/"
    assert job.command_kind == "charge_discharge" and job.fleet == fleet and job.created_by == bob
    assert job.params == {"action": "charge", "control": "soc", "target_soc_pct": 80.0, "power_w": 3000}
    assert job.command["fields"]["power_w"] == 3000  # what the engine sends
    assert DispatchTask.objects.filter(job=job).count() == len(acme["plants"])
    # The same form submitted twice (a double click, a reload) is one job.
    again = _post(client, "charge_discharge", data)
    assert again["Location"] == answer["Location"] and DispatchJob.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "rule"),
    [
        (
            {"p_action": "charge", "p_control": "soc", "p_target_soc_pct": "150"},
            "p_target_soc_pct",
            "between 0 and 100",
        ),
        ({"p_action": "charge", "p_control": "soc"}, "p_target_soc_pct", "Required when control is soc"),
        ({"p_action": "charge"}, "p_control", "Required to charge"),
        ({"p_action": "stop", "p_power_w": "100"}, "p_power_w", "Not allowed when action is stop"),
        (
            {"p_action": "charge", "p_control": "duration", "p_duration_min": "1441"},
            "p_duration_min",
            "between 0 and 1440",
        ),
        (
            {"p_action": "charge", "p_control": "duration", "p_duration_min": "60", "p_power_w": "-5"},
            "p_power_w",
            "greater than 0",
        ),
        (
            {"p_action": "charge", "p_control": "duration", "p_duration_min": "2.5"},
            "p_duration_min",
            "whole number",
        ),
        ({"p_action": "sideways"}, "p_action", "valid choice"),
        (
            {"p_action": "charge", "p_control": "soc", "p_target_soc_pct": "nan"},
            "p_target_soc_pct",
            "Enter a number",
        ),
        (
            {"p_action": "charge", "p_control": "duration", "p_duration_min": "9" * 30},
            "p_duration_min",
            "between",
        ),
        ({"fleet": "9" * 25, "p_action": "stop"}, "fleet", "valid choice"),
        ({"fleet": "\x00", "p_action": "stop"}, "fleet", "Null characters"),
    ],
)
def test_a_broken_rule_is_shown_at_its_field_and_nothing_is_written(acme, bob, data, field, rule):
    answer = _post(session_for(bob), "charge_discharge", {"fleet": acme["fleet"].pk, **data})
    assert answer.status_code == 200
    errors = _field_errors(answer)
    assert any(rule in message for message in errors.get(field, [])), errors
    assert DispatchJob.objects.count() == 0


def test_a_plant_with_a_running_charge_is_a_conflict_shown_on_the_form(acme, bob):
    client = session_for(bob)
    plant = acme["plants"][0]
    data = {"p_action": "charge", "p_control": "soc", "p_target_soc_pct": "80"}
    first = _post(client, "charge_discharge", data, key="a", query=f"?plant={plant.pk}")
    assert first.status_code == 302
    job = DispatchJob.objects.get()
    assert list(DispatchTask.objects.filter(job=job).values_list("plant_id", flat=True)) == [plant.pk]
    second = _post(client, "charge_discharge", data, key="b", query=f"?plant={plant.pk}")
    assert second.status_code == 200 and b"conflicting" in second.content.lower()
    assert DispatchJob.objects.count() == 1


def test_flags_and_raw_growatt_settings_are_typed_fields_not_json(acme, bob):
    client = session_for(bob)
    fleet = acme["fleet"].pk
    drm = _post(
        client, "drm", {"fleet": fleet, "p_drm0": "false", "p_drm1": "true", "p_drm5": "false"}, key="d"
    )
    assert drm.status_code == 302
    assert DispatchJob.objects.get(command_kind="drm").params == {"drm0": False, "drm1": True, "drm5": False}
    missing = _post(client, "drm", {"fleet": fleet, "p_drm0": "true"}, key="d2")
    assert "p_drm1" in _field_errors(missing) and "p_drm5" in _field_errors(missing)

    query = "?variant=storage_ac_charge_soc_limit"
    too_high = _post(
        client,
        "storage_set",
        {"fleet": fleet, "param_type": "storage_ac_charge_soc_limit", "p_value": "90"},
        key="g1",
        query=query,
    )
    assert any("between 10 and 80" in m for m in _field_errors(too_high)["p_value"])
    ok = _post(
        client,
        "storage_set",
        {"fleet": fleet, "param_type": "storage_ac_charge_soc_limit", "p_value": "50"},
        key="g2",
        query=query,
    )
    assert ok.status_code == 302
    job = DispatchJob.objects.get(command_kind="storage_set")
    assert job.params == {"param_type": "storage_ac_charge_soc_limit", "value": 50}

    window = {
        "fleet": fleet,
        "param_type": "storage_ac_charge_hour_start",
        "p_start_hour": "22",
        "p_start_minute": "0",
        "p_end_hour": "6",
        "p_end_minute": "0",
    }
    backwards = _post(client, "storage_set", window, key="g3", query="?variant=storage_ac_charge_hour_start")
    assert any("before the start time" in m for m in _field_errors(backwards)["p_end_hour"])
    assert DispatchJob.objects.filter(command_kind="storage_set").count() == 1


def test_times_are_read_in_the_viewers_zone_and_a_past_deadline_is_refused(acme, bob):
    client = session_for(bob)
    client.cookies["vpp_tz"] = "Europe%2FBerlin"
    data = {"fleet": acme["fleet"].pk, "p_action": "charge", "p_control": "soc", "p_target_soc_pct": "80"}
    past = _post(client, "charge_discharge", {**data, "deadline": "2020-01-01T18:00"}, key="t1")
    assert any("future" in m for m in _field_errors(past)["deadline"])
    assert DispatchJob.objects.count() == 0
    later = _post(
        client,
        "charge_discharge",
        {**data, "start_at": "2031-06-01T18:00", "deadline": "2031-06-01T20:00"},
        key="t2",
    )
    assert later.status_code == 302
    job = DispatchJob.objects.get()
    assert job.start_at.isoformat() == "2031-06-01T16:00:00+00:00"  # 18:00 CEST
    assert job.state == DispatchJob.State.SCHEDULED
