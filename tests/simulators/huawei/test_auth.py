"""Login, XSRF-TOKEN sessions, lockout and logout (# NBI V7 9.1)."""

from __future__ import annotations

from tests.simulators.huawei.helpers import Nbi, fail_code, ok

PLANTS = {"pageNo": 1, "pageSize": 10}


def _login(client, username="nbi_user_1", password="nbi_pass_1"):
    return client.post("/login", json={"username": username, "password": password})


def test_login_returns_token_as_header_and_cookie(sim):
    with sim.client() as client:
        response = _login(client)
        assert ok(response.json()) is None
        token = response.headers["xsrf-token"]
        assert token.startswith("x-") and len(token) > 40
        assert response.cookies["XSRF-TOKEN"] == token


def test_token_in_header_authorises_data_calls(sim):
    with sim.client() as client:
        token = _login(client).headers["xsrf-token"]
        client.cookies.clear()
        assert fail_code(Nbi(client)("/plants", PLANTS)) == 305
        client.headers["XSRF-TOKEN"] = token
        assert ok(Nbi(client)("/plants", PLANTS))["total"] == 120


def test_wrong_password_is_20400_and_unknown_user_20001(sim):
    with sim.client() as client:
        assert fail_code(_login(client, password="nope").json()) == 20400
        assert fail_code(_login(client, username="nobody").json()) == 20001
        assert "xsrf-token" not in _login(client, password="nope").headers


def test_new_login_ends_the_previous_session_of_the_account(sim):
    with sim.login(0) as first, sim.login(0) as second:
        assert fail_code(Nbi(first)("/plants", PLANTS)) == 305
        assert ok(Nbi(second)("/plants", PLANTS))["total"] == 120


def test_sessions_of_different_accounts_coexist(nbi, nbi_other, sim):
    assert ok(nbi("/plants", PLANTS))["total"] == 120
    assert ok(nbi_other("/plants", PLANTS))["total"] == 120


def test_token_expires_after_30_idle_minutes(nbi, sim):
    sim.control.advance(29 * 60)
    assert ok(nbi("/plants", PLANTS))  # use restarts the idle timer
    sim.control.advance(29 * 60)
    assert fail_code(nbi("/vpp/plantRealtimeKpi", {"plantCodes": "NE=1"})) != 305
    sim.control.advance(30 * 60)
    assert fail_code(nbi("/vpp/plantRealtimeKpi", {"plantCodes": "NE=1"})) == 305


def test_expire_sessions_control_route_forces_305(nbi, sim):
    assert sim.control.expire_sessions() >= 1
    assert fail_code(nbi("/plants", PLANTS)) == 305


def test_logout_releases_the_token(nbi, sim):
    token = nbi.client.headers["XSRF-TOKEN"]
    assert ok(nbi("/logout", {"xsrfToken": token})) is None
    assert fail_code(nbi("/plants", PLANTS)) == 305
    assert fail_code(nbi("/logout", {"xsrfToken": token})) == 305


def test_login_is_limited_to_five_per_ten_minutes(sim):
    with sim.client() as client:
        for _ in range(5):
            assert fail_code(_login(client).json()) == 0
        assert fail_code(_login(client).json()) == 407
        assert fail_code(_login(client, username="nbi_user_2", password="nbi_pass_2").json()) == 0
        sim.control.advance(10 * 60)
        assert fail_code(_login(client).json()) == 0
    assert sim.control.stats()["accounts"]["nbi_user_1"]["/rest/openapi/pvms/v1/login"]["rate_limited"] == 1


def test_five_wrong_passwords_lock_the_account_for_30_minutes(sim):
    with sim.client() as client:
        for _ in range(5):
            assert fail_code(_login(client, password="wrong").json()) == 20400
        sim.control.advance(10 * 60)  # past the login rate window, still locked
        locked = _login(client).json()
        assert fail_code(locked) == 20400 and "locked" in locked["message"]
        sim.control.advance(20 * 60)
        assert fail_code(_login(client).json()) == 0


def test_a_successful_login_resets_the_wrong_password_count(sim):
    with sim.client() as client:
        for _ in range(4):
            assert fail_code(_login(client, password="wrong").json()) == 20400
        assert fail_code(_login(client).json()) == 0
        sim.control.advance(10 * 60)
        assert fail_code(_login(client, password="wrong").json()) == 20400
        assert fail_code(_login(client).json()) == 0
