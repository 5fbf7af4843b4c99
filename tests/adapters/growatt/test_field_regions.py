"""Growatt's regional servers (FIELD_NOTES row 25): a token works on the server that issued it; another
region's server refuses it with 10011 "error_permission_denied". The adapter takes that as refused
credentials (final: a person must fix the account's server or token, never retried) and works once the
account's base URL names its region."""

from __future__ import annotations

import pytest

from vendors.errors import AuthFailed
from vendors.health import health_read


def test_a_token_of_another_region_is_refused_and_works_on_its_own_server(growatt):
    growatt.control.set_region(["account-1"], "us")
    wrong = growatt.adapter()  # the main server

    with pytest.raises(AuthFailed, match="10011"):
        wrong.list_plants()
    calls = len(growatt.records)
    with pytest.raises(AuthFailed):
        wrong.list_plants()
    assert len(growatt.records) == calls  # refused credentials are not tried again
    assert health_read(wrong.calls._health_store, wrong.account.key)["state"] == "credentials_refused"

    right = growatt.adapter(base_url=growatt.sim.base_url + "/region/us")  # the operator fixed the server
    plants = right.list_plants()
    assert {p.plant_code for p in plants} == {str(p["plant_id"]) for p in growatt.plants("account-1")}
