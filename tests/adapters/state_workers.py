"""Worker processes for the vendor state store's multi-process tests (a plain module without Django, so
``spawn`` children import it quickly)."""

from __future__ import annotations

import os
import time

from vendors.state import state_store_from_url


def add_once(url: str, prefix: str, name: str, start, results) -> None:
    """Wait for every contender at ``start`` (a Barrier), then try to be the one that adds ``name``."""
    store = state_store_from_url(url, prefix=prefix)
    store.get("warm-up")  # connect and create the table before the race, not during it
    start.wait(timeout=60)
    results.put((os.getpid(), store.add(name, str(os.getpid()), ttl_s=60)))
    store.close()


def count_under_lock(url: str, prefix: str, rounds: int, start) -> None:
    """Increment a counter by read, pause, write: only mutual exclusion keeps every increment."""
    store = state_store_from_url(url, prefix=prefix)
    store.get("warm-up")
    start.wait(timeout=60)
    for _ in range(rounds):
        with store.lock("counter", ttl_s=30, wait_s=60):
            value = int(store.get("counter") or 0)
            time.sleep(0.01)  # another holder would read the same value meanwhile
            store.set("counter", str(value + 1), ttl_s=60)
    store.close()


def die_holding_lock(url: str, prefix: str, ttl_s: float) -> None:
    """Take the lock and die without releasing it, as a killed worker would."""
    store = state_store_from_url(url, prefix=prefix)
    with store.lock("orphan", ttl_s=ttl_s, wait_s=10):
        os._exit(0)
