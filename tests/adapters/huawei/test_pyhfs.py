"""pyhfs (PyPI), a client written by others against the live Huawei cloud, run against our simulator's field
profile: it gets the answers it was written for (FIELD_NOTES H1, H2, H5, H6, H19), through the simulator's
/thirdData/ interfaces (the older flavour such clients speak; same login, sessions and field shapes)."""

from __future__ import annotations

import pyhfs
import pytest
from pyhfs.exception import LoginFailed

from tests.adapters.huawei.helpers import LOGIN_PATH


@pytest.fixture
def field_sim(huawei_sim):
    """The simulator in its default (field) profile, its clock moved by the test only."""
    huawei_sim.control.set_speed(0)
    return huawei_sim


def _logins(sim) -> int:
    per_path = sim.control.stats()["accounts"].get("nbi_user_1", {})
    return sum(v["requests"] for path, v in per_path.items() if path.endswith("/login"))


def test_pyhfs_lists_plants_and_reads_their_kpis(field_sim):
    truth = {p["plantCode"]: p for p in field_sim.control.plants(account="nbi_user_1", limit=1000)}
    field_sim.control.set_rate_limits(False)  # pyhfs asks for its pages back to back (9.2.1: once a minute)
    session = pyhfs.Session("nbi_user_1", "nbi_pass_1", base_url=field_sim.base_url)
    with session, pyhfs.Client(session) as client:
        plants = client.get_plant_list()
        kpis = client.get_plant_realtime_data([p["plantCode"] for p in plants[:100]])

    assert {p["plantCode"] for p in plants} == set(truth)  # two pages of 100, as pyhfs pages them
    assert len(kpis) == 100
    assert {row["dataItemMap"]["real_health_state"] for row in kpis} == {"3"}  # H5, as pyhfs's fixtures
    for row in kpis:
        assert float(row["dataItemMap"]["total_power"]) > 0  # a numeric string (H6)
        assert row["stationCode"] in truth


def test_pyhfs_takes_the_empty_answer_to_a_wrong_password_for_a_failed_login(field_sim):
    with pytest.raises(LoginFailed), pyhfs.Session("nbi_user_1", "wrong", base_url=field_sim.base_url):
        pass
    assert _logins(field_sim) == 1


def test_pyhfs_logs_in_again_on_the_bare_305(field_sim):
    field_sim.control.set_rate_limits(False)  # its pages come back to back
    session = pyhfs.Session("nbi_user_1", "nbi_pass_1", base_url=field_sim.base_url)
    with session, pyhfs.Client(session) as client:
        assert client.get_plant_list()
        field_sim.control.expire_sessions()
        assert client.get_plant_list()

    assert _logins(field_sim) == 2
    assert LOGIN_PATH not in field_sim.control.stats()["accounts"]["nbi_user_1"]  # pyhfs speaks /thirdData/
