"""Every form in which the live cloud says "log in again" (FIELD_NOTES H2-H4) costs exactly one new login,
after which the call goes through."""

from __future__ import annotations

import pytest

from tests.adapters.huawei.helpers import logins, targets
from vendors.base import ChargeDischarge, Outcome

FORMS = {
    "envelope": {"expiry_form": "envelope"},  # the document's {"success": false, "failCode": 305, ...}
    "bare 305": {"expiry_form": "relogin"},  # H2
    "306": {"expiry_form": "relogin306"},  # H3
    "empty body": {"expiry_form": "empty"},  # H4 on every interface
}


@pytest.mark.parametrize("form", FORMS)
def test_every_expiry_form_of_a_read_leads_to_one_relogin(make_adapter, sim, harness, form):
    sim.set_field(**FORMS[form])
    adapter = make_adapter()
    codes = [p.plant_code for p in targets(sim, 2)]
    assert adapter.list_devices(codes[:1])
    sim.expire_sessions()

    devices = adapter.list_devices(codes)

    assert {d.plant_code for d in devices} == set(codes)
    assert logins(sim) == 2  # the first session, and exactly one new one
    answered = [r.vendor_code for r in harness.records if r.endpoint == "devices"]
    assert answered[-1] == "0" and len(answered) == 3  # ok, expired, ok after the new login


@pytest.mark.parametrize("form", FORMS)
def test_every_expiry_form_of_a_command_leads_to_one_relogin_and_one_command(make_adapter, sim, form):
    sim.set_field(**FORMS[form])
    adapter = make_adapter()
    (plant,) = targets(sim, 1)
    adapter.list_devices([plant.plant_code])
    sim.expire_sessions()

    result = adapter.send(ChargeDischarge("charge", "soc", target_soc_pct=90), [plant], request_id="77")

    assert result.results[0].outcome == Outcome.ACCEPTED
    assert logins(sim) == 2
    sent = [c for c in sim.commands() if c["endpoint"].endswith("/chargeAndDischarge")]
    assert [c["request_id"] for c in sent] == ["77"]


def test_realtime_kpis_on_a_stale_token_answer_empty_and_one_relogin_reads_them(make_adapter, sim, harness):
    adapter = make_adapter()
    assert sim.field()["switches"]["kpi_empty_on_stale_token"] is True  # the field default
    codes = [p.plant_code for p in targets(sim, 2)]
    assert adapter.realtime_kpis(codes)  # the session, and the account's plant count (9.3.2 limit)
    sim.expire_sessions()

    kpis = adapter.realtime_kpis(codes)

    assert sorted(k.plant_code for k in kpis) == sorted(codes)
    assert logins(sim) == 2
    kpi_calls = [r for r in harness.records if r.endpoint == "plantRealtimeKpi"]
    assert [(r.response_excerpt, r.error) for r in kpi_calls[1:2]] == [("", "empty answer")]
    assert [r.vendor_code for r in kpi_calls] == ["0", None, "0"]
