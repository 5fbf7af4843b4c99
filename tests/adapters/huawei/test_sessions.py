"""One XSRF-TOKEN per account, shared (NBI V7 9.1.1): re-login on 305, bounded; refused credentials."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.adapters.huawei.helpers import logins, targets
from vendors.base import ChargeDischarge, Outcome
from vendors.errors import AuthFailed, SessionExpired, TransientError
from vendors.huawei.calls import MAX_RELOGINS
from vendors.sessions import DEFAULT_PREFIX, SharedSession
from vendors.state import state_store_from_url


def test_an_expired_session_is_replaced_once_and_the_call_goes_through(make_adapter, sim, harness):
    adapter = make_adapter()
    (plant,) = targets(sim, 1)
    adapter.realtime_kpis([plant.plant_code])
    sim.expire_sessions()

    result = adapter.send(ChargeDischarge("charge", "soc", target_soc_pct=90), [plant], request_id="5")

    assert result.results[0].outcome == Outcome.ACCEPTED
    assert logins(sim) == 2
    codes = [(r.endpoint, r.vendor_code) for r in harness.records if r.endpoint == "chargeAndDischarge"]
    assert codes == [("chargeAndDischarge", "305"), ("chargeAndDischarge", "0")]


@pytest.mark.parametrize("backend", ["redis", "sqlite"])
def test_adapters_of_one_account_share_one_login(make_adapter, sim, tmp_path, backend):
    state_url = None if backend == "redis" else f"sqlite:///{tmp_path / 'state.db'}"
    first, second = make_adapter(state_url=state_url), make_adapter(state_url=state_url)
    codes = [p.plant_code for p in targets(sim, 2)]

    first.realtime_kpis(codes[:1])
    second.realtime_kpis(codes[1:])
    first.list_devices(codes)

    assert logins(sim) == 1  # a second login would have ended the first adapter's session


def test_a_vendor_that_keeps_answering_305_gets_a_bounded_number_of_logins(make_adapter, sim):
    adapter = make_adapter()
    (plant,) = targets(sim, 1)
    sim.set_faults(latency_ms=60, paths=["plantRealtimeKpi"])  # every token dies while the call waits
    stop = threading.Event()

    def expire_all_the_time():
        while not stop.is_set():
            sim.expire_sessions()
            time.sleep(0.005)

    expirer = threading.Thread(target=expire_all_the_time)
    expirer.start()
    try:
        with pytest.raises(SessionExpired):
            adapter.realtime_kpis([plant.plant_code])
    finally:
        stop.set()
        expirer.join()
    assert logins(sim) == 1 + MAX_RELOGINS


def test_a_wrong_password_is_auth_failed_and_remembered_so_workers_do_not_lock_the_account(make_adapter, sim):
    sim.set_field(
        profile="document"
    )  # the document's refusal, 20400 (the field's empty one: test_field_login)
    (plant,) = targets(sim, 1)

    with pytest.raises(AuthFailed, match="20400"):
        make_adapter(password="wrong").realtime_kpis([plant.plant_code])
    with pytest.raises(AuthFailed, match="refused recently"):
        make_adapter(password="wrong").realtime_kpis([plant.plant_code])

    assert logins(sim) == 1  # the second worker did not try: five wrong passwords lock the account
    assert make_adapter().realtime_kpis([plant.plant_code])  # the right password is another matter
    assert logins(sim) == 2


@pytest.mark.parametrize("backend", ["redis", "sqlite"])
def test_concurrent_logins_of_one_session_run_once_and_a_stale_token_is_replaced(harness, tmp_path, backend):
    url = harness.state_url if backend == "redis" else f"sqlite:///{tmp_path / 'state.db'}"
    store = state_store_from_url(url, prefix=DEFAULT_PREFIX)
    session = SharedSession(store, f"huawei:{harness.run_id}-lock", idle_timeout_s=60, lock_wait_s=10)
    calls = []

    def login() -> str:
        calls.append(1)
        time.sleep(0.2)  # long enough for every thread to be waiting on the lock
        return f"token-{uuid.uuid4().hex}"

    tokens = []
    threads = [threading.Thread(target=lambda: tokens.append(session.obtain(login))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(calls) == 1 and len(set(tokens)) == 1
    assert session.current() == tokens[0]
    fresh = session.obtain(login, stale=tokens[0])  # the vendor refused it: never handed out again
    assert fresh != tokens[0] and session.current() == fresh and len(calls) == 2
    store.close()


def test_unreachable_shared_state_is_a_transient_error_and_nothing_is_sent(make_adapter, sim):
    (plant,) = targets(sim, 1)
    adapter = make_adapter(state_url="redis://127.0.0.1:1/0")  # nothing listens on port 1

    with pytest.raises(TransientError, match="shared limiter / session state"):
        adapter.send(ChargeDischarge("charge", "soc", target_soc_pct=90), [plant], request_id="6")

    assert sim.stats()["totals"]["requests"] == 0
