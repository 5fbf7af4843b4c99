"""A refused login is never retried (FIELD_NOTES H1): the live cloud answers a wrong password with an empty
200, and every repeat walks the account toward the lockout. One refusal stops every worker on every
machine (the account's health record in the shared store) until the secret changes or an operator resets.
"""

from __future__ import annotations

import multiprocessing
import time

import pytest

from tests.adapters.huawei.helpers import logins, targets
from tests.adapters.huawei.workers import wrong_password_reads
from vendors import health
from vendors.errors import AuthFailed
from vendors.sessions import DEFAULT_PREFIX
from vendors.state import state_store_from_url

WORKERS = 3
READS_PER_WORKER = 4


@pytest.fixture
def store(harness):
    store = state_store_from_url(harness.state_url, prefix=DEFAULT_PREFIX)
    yield store
    store.close()


def test_a_wrong_password_costs_one_login_call_with_three_worker_processes(sim, huawei_sim, harness, store):
    (plant,) = targets(sim, 1)
    account = harness.account(0, password="wrong")
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    workers = [
        ctx.Process(
            target=wrong_password_reads,
            kwargs={
                "base_url": harness.base_url,
                "speed": harness.speed,
                "account_key": account.key,
                "username": account.username,
                "password": account.secret,
                "limiter_url": harness.limiter_url,
                "limiter_prefix": harness.limiter_prefix,
                "state_url": harness.state_url,
                "plant_code": plant.plant_code,
                "reads": READS_PER_WORKER,
                "barrier": barrier,
                "results": results,
            },
        )
        for _ in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    try:
        reports = [results.get(timeout=120) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()

    assert [r["error"] for r in reports] == [""] * WORKERS
    assert [r["auth_failed"] for r in reports] == [READS_PER_WORKER] * WORKERS  # every read refused ...
    assert logins(sim) == 1  # ... by one login call in all (the simulator's request log)
    record = health.health_read(store, account.key)
    assert record.status == health.CREDENTIALS_REFUSED and "empty body" in record.last_error
    with huawei_sim.login(0):  # one wrong password of the five that lock it: the account still works
        pass


def test_a_refusal_holds_until_the_secret_changes(make_adapter, sim, harness, store):
    (plant,) = targets(sim, 1)
    for _ in range(3):
        with pytest.raises(AuthFailed):
            make_adapter(password="wrong").realtime_kpis([plant.plant_code])
    assert logins(sim) == 1

    assert make_adapter().realtime_kpis([plant.plant_code])  # another secret: logs in, and it works
    assert logins(sim) == 2
    assert health.health_read(store, harness.account(0).key).status == health.OK


def test_an_operator_reset_allows_exactly_one_more_try(make_adapter, sim, harness, store):
    (plant,) = targets(sim, 1)
    with pytest.raises(AuthFailed, match="empty body"):
        make_adapter(password="wrong").realtime_kpis([plant.plant_code])
    with pytest.raises(AuthFailed, match="refused recently"):
        make_adapter(password="wrong").realtime_kpis([plant.plant_code])
    assert logins(sim) == 1

    health.health_reset(store, harness.account(0).key)
    for _ in range(2):
        with pytest.raises(AuthFailed):
            make_adapter(password="wrong").realtime_kpis([plant.plant_code])
    assert logins(sim) == 2  # the reset bought one try, not a retry loop


def test_a_locked_account_waits_for_the_end_of_its_lock(make_adapter, sim, huawei_sim, harness, store):
    sim.set_field(profile="document")  # the document's 20400 "The user is locked."
    sim.set_rate_limits(False)  # the five wrong logins below would use up the login limit too
    (plant,) = targets(sim, 1)
    key = harness.account(0).key
    with huawei_sim.client() as other:  # another client (not us) spends the five wrong passwords
        for _ in range(5):
            other.post("/login", json={"username": "nbi_user_1", "password": "nope"})

    with pytest.raises(AuthFailed, match="locked"):
        make_adapter().realtime_kpis([plant.plant_code])
    record = health.health_read(store, key)
    assert record.status == health.LOCKED and record.locked_until > time.time()
    with pytest.raises(AuthFailed, match="locked until"):
        make_adapter().realtime_kpis([plant.plant_code])  # not even tried while locked
    assert logins(sim) == 6

    sim.advance(31 * 60)  # the vendor's lock is over; ours (30 vendor minutes = 3 s at speed 600) too:
    deadline = time.monotonic() + 60
    while health.health_read(store, key).effective_status() == health.LOCKED:
        assert time.monotonic() < deadline, "the lock recorded in the account's health never ended"
        time.sleep(0.1)
    assert make_adapter().realtime_kpis([plant.plant_code])
    assert logins(sim) == 7 and health.health_read(store, key).status == health.OK


def test_a_30029_login_refusal_is_final_until_an_operator_resets(make_adapter, sim, harness, store):
    """FIELD_NOTES H16: the cloud may refuse a login with failCode 30029 ("Authentication failed") in the
    envelope: refused like an empty 200, one login call, no retry; after a reset the next login works."""
    (plant,) = targets(sim, 1)
    sim.provoke("auth30029")
    with pytest.raises(AuthFailed, match="30029"):
        make_adapter().realtime_kpis([plant.plant_code])
    with pytest.raises(AuthFailed, match="refused recently"):
        make_adapter().realtime_kpis([plant.plant_code])
    assert logins(sim) == 1
    assert health.health_read(store, harness.account(0).key).status == health.CREDENTIALS_REFUSED

    health.health_reset(store, harness.account(0).key)
    assert make_adapter().realtime_kpis([plant.plant_code])
    assert logins(sim) == 2
