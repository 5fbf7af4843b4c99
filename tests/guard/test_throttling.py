"""API throttles: per token, and per client IP for callers without valid credentials (wrong tokens too);
past the rate a JSON 429 with Retry-After, and the rate lifts once that time has passed."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from fleets.models import Fleet
from tests.guard.conftest import client_for, fresh_ip
from tests.guard.test_json_errors import assert_error
from vpp.env import env_rate


@pytest.fixture
def rates(settings):
    """Small rates for these tests; the counts of every test are its own (fresh tokens, fresh IPs)."""

    def set_rates(token: str | None = "3/minute", anon: str | None = "2/minute"):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"token": token, "anon": anon},
        }

    return set_rates


def assert_throttled(response) -> int:
    assert_error(response, 429, "throttled")
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60
    return retry_after


@pytest.mark.django_db
def test_a_token_past_its_rate_gets_a_json_429_with_retry_after_and_others_do_not(world, rates):
    rates(token="3/minute")
    bob, alice = client_for(world, "operator"), client_for(world, "admin")
    for _ in range(3):
        assert bob.get("/api/v1/plants").status_code == 200
    assert_throttled(bob.get("/api/v1/plants"))
    assert_throttled(bob.get("/api/v1/fleets"))  # one count per token, across routes
    assert alice.get("/api/v1/plants").status_code == 200  # per token, not for everyone


@pytest.mark.django_db
def test_a_throttled_write_writes_nothing(world, rates):
    rates(token="1/minute")
    bob = client_for(world, "operator")
    assert bob.post("/api/v1/fleets", {"name": "First"}, format="json").status_code == 201
    assert_throttled(bob.post("/api/v1/fleets", {"name": "Second"}, format="json"))
    assert not Fleet.objects.filter(name="Second").exists()


@pytest.mark.django_db
def test_the_rate_lifts_after_retry_after(world, rates):
    rates(token="2/minute")
    bob = client_for(world, "operator")
    with time_machine.travel(time.time(), tick=False) as clock:
        assert bob.get("/api/v1/plants").status_code == 200
        clock.shift(20)
        assert bob.get("/api/v1/plants").status_code == 200
        retry_after = assert_throttled(bob.get("/api/v1/plants"))
        assert retry_after == 40  # the first call leaves the one-minute window in 40 s
        clock.shift(retry_after - 1)
        assert_throttled(bob.get("/api/v1/plants"))
        clock.shift(1)
        assert bob.get("/api/v1/plants").status_code == 200


@pytest.mark.django_db
def test_a_rate_lowered_below_the_calls_already_counted_still_says_when_to_retry(world, rates):
    rates(token="5/minute")
    bob = client_for(world, "operator")
    with time_machine.travel(time.time(), tick=False) as clock:
        for _ in range(4):
            assert bob.get("/api/v1/plants").status_code == 200
            clock.shift(10)
        # Calls at 0, 10, 20 and 30 s, now 40 s; two a minute allowed: all but the newest must have left the
        # window, the one at 20 s last, at 80 s.
        rates(token="2/minute")
        assert assert_throttled(bob.get("/api/v1/plants")) == 40
        clock.shift(39)
        assert_throttled(bob.get("/api/v1/plants"))
        clock.shift(1)
        assert bob.get("/api/v1/plants").status_code == 200


@pytest.mark.django_db
def test_anonymous_callers_are_throttled_per_ip(world, rates):
    rates(anon="2/minute")
    first, second = APIClient(REMOTE_ADDR=fresh_ip()), APIClient(REMOTE_ADDR=fresh_ip())
    for _ in range(2):
        assert first.get("/api/docs/").status_code == 200
    assert_throttled(first.get("/api/docs/"))
    assert second.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_calls_without_credentials_count_against_the_ip_too(world, rates):
    rates(anon="2/minute")
    nobody = APIClient(REMOTE_ADDR=fresh_ip())
    for path in ("/api/v1/plants", "/api/v1/dispatches"):
        assert_error(nobody.get(path), 401, "not_authenticated")
    assert_throttled(nobody.get("/api/v1/plants"))
    assert_throttled(nobody.get("/api/docs/"))  # one count for the address, public routes included


@pytest.mark.django_db
def test_wrong_tokens_count_against_the_ip_so_tokens_cannot_be_guessed_fast(world, rates):
    rates(anon="2/minute")
    ip = fresh_ip()
    guesser = APIClient(REMOTE_ADDR=ip)
    for guess in ("0" * 40, "1" * 40):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token {guess}")
        assert_error(guesser.get("/api/v1/plants"), 401, "authentication_failed")
    guesser.credentials(HTTP_AUTHORIZATION="Token " + "2" * 40)
    assert_throttled(guesser.get("/api/v1/plants"))
    # The right token from the same address is a different caller: counted per token.
    bob = client_for(world, "operator")
    assert bob.get("/api/v1/plants", REMOTE_ADDR=ip).status_code == 200


@pytest.mark.django_db
def test_x_forwarded_for_does_not_pick_the_address_without_proxies(world, rates, settings):
    rates(anon="2/minute")
    client = APIClient(REMOTE_ADDR=fresh_ip())
    for n in range(2):
        assert client.get("/api/docs/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 200
    assert_throttled(client.get("/api/docs/", HTTP_X_FORWARDED_FOR="203.0.113.99"))


@pytest.mark.django_db
def test_behind_one_proxy_the_client_is_the_address_the_proxy_saw(world, rates, settings):
    rates(anon="2/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = fresh_ip()
    one, other = fresh_ip(), fresh_ip()
    for _ in range(2):
        assert APIClient(REMOTE_ADDR=proxy).get("/api/docs/", HTTP_X_FORWARDED_FOR=one).status_code == 200
    assert_throttled(APIClient(REMOTE_ADDR=proxy).get("/api/docs/", HTTP_X_FORWARDED_FOR=one))
    assert APIClient(REMOTE_ADDR=proxy).get("/api/docs/", HTTP_X_FORWARDED_FOR=other).status_code == 200


@pytest.mark.django_db
def test_a_rate_set_off_does_not_throttle(world, rates):
    rates(token=None)
    bob = client_for(world, "operator")
    assert all(bob.get("/api/v1/health").status_code == 200 for _ in range(5))


@pytest.mark.parametrize(
    ("raw", "rate"),
    [("600/minute", "600/minute"), ("10/s", "10/s"), (" 5/Hour ", "5/hour"), ("off", None), ("", None)],
)
def test_rates_are_read_from_the_environment(monkeypatch, raw, rate):
    monkeypatch.setenv("API_THROTTLE_TOKEN_RATE", raw)
    assert env_rate("API_THROTTLE_TOKEN_RATE", "1/day") == rate


def test_no_variable_means_the_default(monkeypatch):
    monkeypatch.delenv("API_THROTTLE_TOKEN_RATE", raising=False)
    assert env_rate("API_THROTTLE_TOKEN_RATE", "1200/minute") == "1200/minute"


@pytest.mark.parametrize(
    "raw", ["fast", "10", "0/minute", "-1/minute", "10/fortnight", "ten/minute", "10/mx"]
)
def test_a_bad_rate_stops_the_process_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("API_THROTTLE_ANON_RATE", raw)
    with pytest.raises(ImproperlyConfigured, match="API_THROTTLE_ANON_RATE"):
        env_rate("API_THROTTLE_ANON_RATE", "120/minute")
