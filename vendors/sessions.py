"""Vendor session state shared by every worker process on every machine (Huawei XSRF-TOKEN, NBI V7 9.1.1).

Why shared: a Huawei northbound account has ONE live session. Each login returns a new XSRF-TOKEN and
ends the previous one on the vendor side, and logins are limited to 5 per 10 minutes. Workers that logged
in on their own would knock each other out in turn (every call answered 305, every answer a new login,
until the login limit answers 407). So the token lives here, one per account, and a login lock makes sure
only one process logs in at a time; the others wait for it and reuse the token it stored.

The token and the lock live in the shared vendor state store (`vendors.state`, settings VENDOR_STATE_URL:
PostgreSQL, Redis or a SQLite file), which expires what it stores (a lock held by a killed process frees
itself after its TTL).

    store = state_store_from_url(state_url, prefix=DEFAULT_PREFIX)  # vendors.state
    session = SharedSession(store, "huawei:42:<fingerprint>", idle_timeout_s=1800)
    token = session.current() or session.obtain(login)     # login() -> token, called under the lock
    ...; session.used(token)                               # after a call the vendor accepted the token
    token = session.obtain(login, stale=token)             # after a 305: log in again, once, shared
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from vendors.state import LockTimeout, StateStore

__all__ = ["DEFAULT_PREFIX", "LockTimeout", "SharedSession", "StoredSession"]

DEFAULT_PREFIX = "vpp:vendor-state:"  # the namespace of the sessions' keys in the shared store


@dataclass(frozen=True)
class StoredSession:
    token: str
    last_used: float  # wall-clock Unix seconds of the last call the vendor accepted with this token


class SharedSession:
    """One vendor session (token) for one account, shared through a ``StateStore``.

    ``idle_timeout_s`` is the vendor's idle expiry in real seconds (Huawei: 30 minutes, divided by a
    simulator's speed). A token unused for most of it is treated as gone, so a worker logs in again
    instead of spending a rate-limited call on a certain 305.
    """

    STALE_FRACTION = 0.9  # past this share of the idle timeout, log in again rather than risk a 305
    TOUCH_FRACTION = 0.1  # record a use at most this often (a write per call would be wasted work)

    def __init__(
        self,
        store: StateStore,
        key: str,
        *,
        idle_timeout_s: float,
        lock_ttl_s: float = 120.0,
        lock_wait_s: float = 120.0,
    ) -> None:
        self.store = store
        self.key = key
        self.idle_timeout_s = idle_timeout_s
        self.lock_ttl_s = lock_ttl_s
        self.lock_wait_s = lock_wait_s
        self._name = f"session:{key}"

    def _ttl_s(self) -> float:
        return self.idle_timeout_s + 60.0

    def _read(self) -> tuple[str, StoredSession] | tuple[None, None]:
        """The stored text (for compare-and-set) and what it says; (None, None) if nothing usable."""
        raw = self.store.get(self._name)
        if raw is None:
            return None, None
        try:
            data = json.loads(raw)
            return raw, StoredSession(token=str(data["token"]), last_used=float(data["last_used"]))
        except (ValueError, KeyError, TypeError):
            return None, None

    def _fresh(self, stored: StoredSession) -> bool:
        return time.time() - stored.last_used < self.idle_timeout_s * self.STALE_FRACTION

    def current(self) -> str | None:
        """The shared token if there is one that should still be alive; None means ``obtain`` one."""
        _, stored = self._read()
        return stored.token if stored is not None and self._fresh(stored) else None

    def obtain(self, login: Callable[[], str], *, stale: str | None = None) -> str:
        """A live token: the one another process stored meanwhile, or a new one from ``login()``.

        ``stale`` is a token the vendor just refused (305): it is never handed out again. Only one process
        at a time runs ``login`` (the lock); the others wait, then find its token and reuse it.
        """
        with self.store.lock(self._name, ttl_s=self.lock_ttl_s, wait_s=self.lock_wait_s):
            _, stored = self._read()
            if stored is not None and self._fresh(stored) and stored.token != stale:
                return stored.token
            token = login()
            self.store.set(
                self._name, json.dumps({"token": token, "last_used": time.time()}), ttl_s=self._ttl_s()
            )
            return token

    def used(self, token: str) -> None:
        """The vendor accepted ``token`` just now: keep it fresh (if it is still the shared one)."""
        raw, stored = self._read()
        if stored is None or stored.token != token:
            return
        now = time.time()
        if now - stored.last_used < self.idle_timeout_s * self.TOUCH_FRACTION:
            return
        self.store.replace_if(
            self._name, raw, json.dumps({"token": token, "last_used": now}), ttl_s=self._ttl_s()
        )
