"""The vendor state store (vendors.state): one contract, three backends (PostgreSQL, Redis, SQLite).

The adapters build exactly-once on it (Growatt plans and step progress, Growatt 4.3.12) and share one
session per account through it (NBI V7 9.1.1), across processes: so ``add`` must have exactly one winner
and a lock must exclude other processes, not just other threads.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import time
import uuid

import pytest

from tests.adapters import state_workers
from tests.plugins.celery_worker import run_database_url
from vendors.state import (
    LockTimeout,
    PostgresStateStore,
    RedisStateStore,
    SQLiteStateStore,
    state_store_from_url,
)

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
BACKENDS = [
    pytest.param("postgres", marks=pytest.mark.django_db(transaction=True)),
    "redis",
    "sqlite",
]


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path) -> str:
    if request.param == "postgres":
        return run_database_url()
    if request.param == "redis":
        return REDIS_URL
    return f"sqlite:///{tmp_path / 'vendor-state.sqlite3'}"


@pytest.fixture
def prefix() -> str:
    return f"test-state:{uuid.uuid4().hex}:"  # a shared Redis and a reused test database hold other keys


@pytest.fixture
def store(url, prefix):
    store = state_store_from_url(url, prefix=prefix)
    yield store
    store.close()


def test_the_url_chooses_the_backend(tmp_path):
    kinds = {
        "postgres://postgres@127.0.0.1/x": PostgresStateStore,
        "postgresql://postgres@127.0.0.1/x": PostgresStateStore,
        REDIS_URL: RedisStateStore,
        f"sqlite:///{tmp_path / 'a.db'}": SQLiteStateStore,
        str(tmp_path / "b.db"): SQLiteStateStore,
    }
    for url, kind in kinds.items():
        store = state_store_from_url(url, prefix="p:")
        assert isinstance(store, kind), url
        store.close()
    for bad in ("sqlite://", "sqlite:///:memory:", "mysql://x/y"):
        with pytest.raises(ValueError):
            state_store_from_url(bad, prefix="p:")


def test_set_get_delete(store):
    assert store.get("k") is None
    store.set("k", "one", ttl_s=60)
    store.set("k", "two", ttl_s=60)
    assert store.get("k") == "two"
    store.delete("k")
    store.delete("k")  # deleting what is absent is fine
    assert store.get("k") is None


def test_add_sets_only_what_is_absent(store):
    assert store.add("k", "first", ttl_s=60)
    assert not store.add("k", "second", ttl_s=60)
    assert store.get("k") == "first"


def test_replace_if_and_delete_if_touch_only_the_expected_value(store):
    assert not store.replace_if("k", "x", "y", ttl_s=60)  # absent
    assert store.get("k") is None
    store.set("k", "mine", ttl_s=60)
    assert not store.replace_if("k", "theirs", "new", ttl_s=60)
    assert not store.delete_if("k", "theirs")
    assert store.get("k") == "mine"
    assert store.replace_if("k", "mine", "new", ttl_s=60)
    assert store.get("k") == "new"
    assert store.delete_if("k", "new")
    assert store.get("k") is None


def test_what_expires_reads_as_absent_everywhere(store):
    written = time.monotonic()
    for name in ("set", "added", "to-replace", "to-delete"):
        store.set(name, "v", ttl_s=0.5) if name != "added" else store.add(name, "v", ttl_s=0.5)
    written_by = time.monotonic()
    present = store.get("set") == "v" and store.get("added") == "v"
    if time.monotonic() - written < 0.5:  # read before any TTL could run out (a busy machine may be later)
        assert present
    time.sleep(
        max(0.0, written_by + 0.55 - time.monotonic())
    )  # every TTL is over, counted from the last write

    assert store.get("set") is None
    assert not store.replace_if("to-replace", "v", "w", ttl_s=60)
    assert not store.delete_if("to-delete", "v")
    assert store.add("added", "again", ttl_s=60)  # an expired key is free to add
    assert store.get("added") == "again"
    assert store.get("to-replace") is None


def test_keys_live_under_the_prefix_and_outlive_the_store_object(url, prefix, store):
    store.set("k", "v", ttl_s=60)
    other = state_store_from_url(url, prefix=prefix + "other:")
    same = state_store_from_url(url, prefix=prefix)
    try:
        assert other.get("k") is None
        assert same.get("k") == "v"  # a new store (new connections) reads what the first one wrote
    finally:
        other.close()
        same.close()


def test_a_held_lock_excludes_until_released(store):
    with (
        store.lock("l", ttl_s=30, wait_s=1),
        pytest.raises(LockTimeout),
        store.lock("l", ttl_s=30, wait_s=0.2),
    ):
        pass
    with store.lock("l", ttl_s=30, wait_s=0.2):  # released on exit
        pass


def _spawn():
    return multiprocessing.get_context("spawn")


def test_add_from_many_processes_at_once_has_exactly_one_winner(url, prefix, store):
    ctx, contenders = _spawn(), 6
    start, results = ctx.Barrier(contenders), ctx.Queue()
    procs = [
        ctx.Process(target=state_workers.add_once, args=(url, prefix, "prize", start, results))
        for _ in range(contenders)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)

    winners = [pid for pid, won in outcomes if won]
    assert len(outcomes) == contenders and len(winners) == 1, outcomes
    assert store.get("prize") == str(winners[0])


def test_a_lock_excludes_other_processes(url, prefix, store):
    ctx, workers, rounds = _spawn(), 4, 5
    start = ctx.Barrier(workers)
    procs = [
        ctx.Process(target=state_workers.count_under_lock, args=(url, prefix, rounds, start))
        for _ in range(workers)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)

    assert [proc.exitcode for proc in procs] == [0] * workers
    assert store.get("counter") == str(workers * rounds)  # no increment lost to a concurrent holder


def test_the_lock_of_a_dead_process_frees_itself_after_its_ttl(url, prefix, store):
    proc = _spawn().Process(target=state_workers.die_holding_lock, args=(url, prefix, 3.0))
    proc.start()
    proc.join(timeout=60)
    assert proc.exitcode == 0

    with pytest.raises(LockTimeout), store.lock("orphan", ttl_s=30, wait_s=0):
        pass
    with store.lock("orphan", ttl_s=30, wait_s=10):  # once the dead holder's TTL has run out
        pass


def test_sqlite_keeps_what_the_growatt_adapter_stored_in_its_old_table(tmp_path):
    path = tmp_path / "vendor-state.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE growatt_state (k TEXT PRIMARY KEY, v TEXT NOT NULL, exp REAL NOT NULL)")
        db.execute(
            "INSERT INTO growatt_state VALUES ('growatt-adapter:g:1:progress', '{}', ?)", (time.time() + 60,)
        )
    store = state_store_from_url(f"sqlite:///{path}", prefix="")
    try:
        assert store.get("growatt-adapter:g:1:progress") == "{}"
        assert not store.add("growatt-adapter:g:1:progress", "again", ttl_s=60)
    finally:
        store.close()
