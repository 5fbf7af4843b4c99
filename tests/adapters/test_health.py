"""vendors.health: the per-account record every adapter writes and every worker reads, on the shared store
backends (Redis, SQLite file; PostgreSQL is the API's, tests/fleets/test_vendor_account_health.py)."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis

from vendors import health
from vendors.state import state_store_from_url

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(params=["redis", "sqlite"])
def store(request, tmp_path):
    prefix = f"test-health-{uuid.uuid4().hex[:10]}:"
    url = REDIS_URL if request.param == "redis" else f"sqlite:///{tmp_path / 'state.db'}"
    store = state_store_from_url(url, prefix=prefix)
    yield store
    store.close()
    if request.param == "redis":
        client = redis.Redis.from_url(REDIS_URL)
        for name in client.scan_iter(match=f"{prefix}*"):
            client.delete(name)
        client.close()


def test_an_account_never_seen_is_ok(store):
    record = health.health_read(store, "huawei:1")
    assert record.status == health.OK and record.login_refusal() is None
    assert record.to_json()["last_success_at"] is None


def test_a_refusal_concerns_its_credentials_until_reset(store):
    health.health_refused(store, "huawei:1", "login refused (empty body)", secret_digest="old")
    record = health.health_read(store, "huawei:1")

    assert record.status == health.CREDENTIALS_REFUSED and record.last_error_at is not None
    assert "empty body" in record.login_refusal("old")
    assert record.login_refusal("new") is None  # another secret may log in
    assert health.health_read(store, "huawei:2").status == health.OK  # one account's business

    health.health_reset(store, "huawei:1")
    assert health.health_read(store, "huawei:1").login_refusal("old") is None


def test_a_lock_ends_at_its_time(store):
    until = datetime.now(UTC) + timedelta(minutes=30)
    health.health_locked(store, "huawei:1", until, "The user is locked.")
    record = health.health_read(store, "huawei:1")

    assert record.effective_status() == health.LOCKED and "locked until" in record.login_refusal()
    later = until.timestamp() + 1
    assert record.effective_status(later) == health.OK and record.login_refusal(now=later) is None
    assert record.to_json()["locked_until"] == until.isoformat().replace("+00:00", "Z")


def test_rate_limits_budget_and_errors_are_kept_and_a_success_clears_the_status(store):
    health.health_budget(store, "growatt:3", 9)
    health.health_rate_limited(store, "growatt:3", time.time() + 60, "10012")
    record = health.health_read(store, "growatt:3")
    assert (record.status, record.budget_left_today, record.last_error) == (health.RATE_LIMITED, 9, "10012")

    health.health_error(store, "growatt:3", "x" * 2000)
    assert len(health.health_read(store, "growatt:3").last_error) == health.ERROR_CHARS

    health.health_success(store, "growatt:3")
    record = health.health_read(store, "growatt:3")
    assert record.status == health.OK and record.last_success_at is not None
    assert record.budget_left_today == 9 and record.last_error.startswith("x")  # history stays readable


def test_a_failure_between_two_quick_successes_is_recorded_and_then_cleared(store):
    health.health_success(store, "huawei:5")
    health.health_error(store, "huawei:5", "HTML instead of JSON")
    assert health.health_read(store, "huawei:5").status == health.ERROR
    health.health_success(store, "huawei:5")  # within SUCCESS_WRITE_EVERY_S: written all the same
    assert health.health_read(store, "huawei:5").status == health.OK


def test_an_unreadable_record_reads_as_ok(store):
    store.set("health:huawei:9", "{not json", ttl_s=60)
    assert health.health_read(store, "huawei:9").status == health.OK
