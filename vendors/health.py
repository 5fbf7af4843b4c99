"""Vendor account health, kept in the vendor state store (``vendors.state``) under ``health:<account_key>``.

One JSON record per account, shared by every worker on every machine: whether its credentials were
refused, until when it is locked, rate limited or blocked by the vendor, the calls left in today's
budget, the last error and the last successful call. Adapters write it where the vendor told them;
the API and admin read it (``health_read``). Times are epoch seconds (float).

Minimal implementation with the interface agreed with the Huawei work (g14h); at merge one is kept.
"""

from __future__ import annotations

import json
import time
from typing import Any

from vendors.state import StateStore

TTL_S = 30 * 86_400.0  # kept a month after the last write; an account silent that long has no health news
MESSAGE_CHARS = 500


def _key(account_key: str) -> str:
    return f"health:{account_key}"


def health_read(store: StateStore, account_key: str) -> dict[str, Any]:
    """The account's record; ``{}`` when nothing was recorded."""
    raw = store.get(_key(account_key))
    if not raw:
        return {}
    try:
        record = json.loads(raw)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _update(store: StateStore, account_key: str, **changes: Any) -> dict[str, Any]:
    record = health_read(store, account_key)
    record.update(changes)
    store.set(_key(account_key), json.dumps(record), ttl_s=TTL_S)
    return record


def _text(message: str) -> str:
    return (message or "")[:MESSAGE_CHARS]


def health_success(store: StateStore, account_key: str) -> None:
    """A call the vendor answered normally: the account works; a passed refusal or block is over."""
    _update(
        store, account_key, state="ok", last_success_at=time.time(), refused=False,
        locked_until=None, blocked_until=None,
    )  # fmt: skip


def health_error(store: StateStore, account_key: str, message: str = "") -> None:
    _update(store, account_key, last_error=_text(message), last_error_at=time.time())


def health_refused(store: StateStore, account_key: str, message: str = "") -> None:
    """Credentials refused: nothing works until an operator changes them."""
    now = time.time()
    _update(store, account_key, state="refused", refused=True, last_error=_text(message), last_error_at=now)


def health_locked(store: StateStore, account_key: str, until: float, message: str = "") -> None:
    _update(
        store, account_key, state="locked", locked_until=until, last_error=_text(message),
        last_error_at=time.time(),
    )  # fmt: skip


def health_rate_limited(store: StateStore, account_key: str, until: float, message: str = "") -> None:
    _update(
        store, account_key, state="rate_limited", rate_limited_until=until, last_error=_text(message),
        last_error_at=time.time(),
    )  # fmt: skip


def health_blocked(store: StateStore, account_key: str, until: float, message: str = "") -> None:
    _update(
        store, account_key, state="blocked", blocked_until=until, last_error=_text(message),
        last_error_at=time.time(),
    )  # fmt: skip


def health_budget(store: StateStore, account_key: str, left_today: int) -> None:
    _update(store, account_key, budget_left_today=left_today, budget_at=time.time())


def health_reset(store: StateStore, account_key: str) -> None:
    """An operator's reset (or a new secret): forget every refusal, lock and block."""
    store.delete(_key(account_key))
