"""Vendor account health: one small record per account in the shared vendor state store (`vendors.state`).

Why shared: a refused password, a locked account, a 24 h block or a spent daily budget concern every worker
on every machine that uses the account. The adapters write what they learn here; the API and the admin read
it (``GET /api/v1/vendor-accounts/{id}`` ``health``), and the adapters read it back before they log in, so a
refusal seen by one process stops all of them (issue 14: a wrong Huawei password must not be retried
toward the vendor's five-in-ten-minutes lockout).

No Django here. ``store`` is a ``vendors.state.StateStore``; ``account_key`` is ``AccountConfig.key``
("huawei:42"). Times are Unix seconds (a ``datetime`` is accepted too).

    health_success(store, key)                              # a call the vendor accepted
    health_error(store, key, "HTTP 200 without a JSON object")   # message= also by keyword
    health_refused(store, key, "login refused (empty answer)", secret_digest=digest)
    health_locked(store, key, time.time() + 1800, "The user is locked.")
    health_rate_limited(store, key, time.time() + 60, "407 ACCESS_FREQUENCY_IS_TOO_HIGH")
    health_budget(store, key, 7)                            # calls left today, None when unknown
    health_read(store, key).status                          # "ok", "credentials_refused", ...
    health_reset(store, key)                                # an operator says: try again
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from vendors.state import StateStore

log = logging.getLogger(__name__)

OK = "ok"
CREDENTIALS_REFUSED = "credentials_refused"
LOCKED = "locked"
RATE_LIMITED = "rate_limited"
BLOCKED = "blocked"
ERROR = "error"
STATUSES = (OK, CREDENTIALS_REFUSED, LOCKED, RATE_LIMITED, BLOCKED, ERROR)
UNHEALTHY = frozenset({CREDENTIALS_REFUSED, LOCKED, BLOCKED, ERROR})  # rate limited passes by itself

RECORD_TTL_S = 400 * 24 * 3600.0  # kept until reset or overwritten: a refusal must not expire by itself
SUCCESS_WRITE_EVERY_S = 30.0  # an ok account's last_success_at is refreshed at most this often per process
ERROR_CHARS = 500

_listeners: list[Callable[[StateStore, str, AccountHealth], None]] = []

_last_success_write: dict[
    tuple[int, str, str], float
] = {}  # (id(store), prefix, key) -> monotonic time of last write


@dataclass(frozen=True)
class AccountHealth:
    status: str = OK
    locked_until: float | None = None
    blocked_until: float | None = None
    rate_limited_until: float | None = None
    budget_left_today: int | None = None
    last_error: str = ""
    last_error_at: float | None = None
    last_success_at: float | None = None
    refused_secret: str = ""  # digest of the credentials that were refused: another secret may log in

    def effective_status(self, now: float | None = None) -> str:
        """The status with passed deadlines taken into account (a lock or block that ran out is over)."""
        now = time.time() if now is None else now
        until = {
            LOCKED: self.locked_until,
            BLOCKED: self.blocked_until,
            RATE_LIMITED: self.rate_limited_until,
        }
        if self.status in until and until[self.status] is not None and until[self.status] <= now:
            return OK
        return self.status

    def login_refusal(self, secret_digest: str = "", now: float | None = None) -> str | None:
        """Why no process may log in with these credentials now, or None if it may."""
        status = self.effective_status(now)
        if status == CREDENTIALS_REFUSED and (
            not self.refused_secret or self.refused_secret == secret_digest
        ):
            return f"credentials refused: {self.last_error or 'the vendor refused the login'}"
        if status == LOCKED:
            return f"account locked until {_iso(self.locked_until)}: {self.last_error}".rstrip(": ")
        if status == BLOCKED:
            return f"account blocked until {_iso(self.blocked_until)}: {self.last_error}".rstrip(": ")
        return None

    def __getitem__(self, name: str) -> Any:
        """Dict-style reads: ``record["state"]`` is the status as it stands now; other names are the
        record's fields (times as epoch seconds)."""
        if name == "state":
            return self.effective_status()
        if name not in self.__dataclass_fields__:
            raise KeyError(name)
        return getattr(self, name)

    def to_json(self, now: float | None = None) -> dict[str, Any]:
        """The API shape: times as ISO 8601 UTC, the status as it stands now."""
        return {
            "status": self.effective_status(now),
            "locked_until": _iso(self.locked_until),
            "blocked_until": _iso(self.blocked_until),
            "rate_limited_until": _iso(self.rate_limited_until),
            "budget_left_today": self.budget_left_today,
            "last_error": self.last_error,
            "last_error_at": _iso(self.last_error_at),
            "last_success_at": _iso(self.last_success_at),
        }


def _iso(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")


def _seconds(value: float | datetime | None) -> float | None:
    if value is None:
        return None
    return value.timestamp() if isinstance(value, datetime) else float(value)


def _name(account_key: str) -> str:
    return f"health:{account_key}"


def health_read(store: StateStore, account_key: str) -> AccountHealth:
    """The account's record; a fresh ``ok`` one when none was written (or it is unreadable)."""
    raw = store.get(_name(account_key))
    if not raw:
        return AccountHealth()
    try:
        data = json.loads(raw)
        known = {k: v for k, v in data.items() if k in AccountHealth.__dataclass_fields__}
        return AccountHealth(**known)
    except (ValueError, TypeError, AttributeError):
        return AccountHealth()


def health_listen(listener: Callable[[StateStore, str, AccountHealth], None]) -> None:
    """Call ``listener(store, account_key, record)`` after every write of a record (and with a fresh ``ok``
    record after a reset), in the writing process. Its failures are logged, never raised: the vendor call
    that wrote the record goes on (fleets uses this to emit ``vendor_account.health_changed``)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _notify(store: StateStore, account_key: str, health: AccountHealth) -> None:
    for listener in list(_listeners):
        try:
            listener(store, account_key, health)
        except Exception:
            log.exception("health listener failed for %s", account_key)


def _write(store: StateStore, account_key: str, health: AccountHealth) -> AccountHealth:
    store.set(_name(account_key), json.dumps(asdict(health)), ttl_s=RECORD_TTL_S)
    _last_success_write.pop((id(store), store.prefix, account_key), None)
    _notify(store, account_key, health)
    return health


def _failed(store: StateStore, account_key: str, status: str, error: str, **fields: Any) -> AccountHealth:
    current = health_read(store, account_key)
    health = replace(
        current, status=status, last_error=(error or "")[:ERROR_CHARS], last_error_at=time.time(), **fields
    )
    return _write(store, account_key, health)


def health_success(store: StateStore, account_key: str) -> None:
    """A call the vendor accepted: the account is ok (a lock, block or refusal it had is over)."""
    marker = (id(store), store.prefix, account_key)
    now_mono = time.monotonic()
    last = _last_success_write.get(marker)
    if last is not None and now_mono - last < SUCCESS_WRITE_EVERY_S:
        return  # this process wrote "ok" moments ago; a failure since then cleared the marker
    current = health_read(store, account_key)
    health = replace(
        current,
        status=OK,
        locked_until=None,
        blocked_until=None,
        rate_limited_until=None,
        refused_secret="",
        last_success_at=time.time(),
    )
    _write(store, account_key, health)
    _last_success_write[marker] = now_mono


def health_error(store: StateStore, account_key: str, message: str = "") -> AccountHealth:
    """A call that failed in a way a person may need to see (an answer we could not read, a 5xx run)."""
    return _failed(store, account_key, ERROR, message)


def health_refused(
    store: StateStore, account_key: str, message: str = "", *, secret_digest: str = ""
) -> AccountHealth:
    """The vendor refused the credentials. Nothing logs in with them again until the secret changes (a
    different ``secret_digest``) or ``health_reset``."""
    return _failed(store, account_key, CREDENTIALS_REFUSED, message, refused_secret=secret_digest)


def health_locked(
    store: StateStore, account_key: str, until: float | datetime, message: str = ""
) -> AccountHealth:
    """The vendor locked the account until ``until``: no login before then."""
    return _failed(store, account_key, LOCKED, message, locked_until=_seconds(until))


def health_blocked(
    store: StateStore, account_key: str, until: float | datetime, message: str = ""
) -> AccountHealth:
    """The vendor blocked the account (e.g. Growatt's 24 h block) until ``until``."""
    return _failed(store, account_key, BLOCKED, message, blocked_until=_seconds(until))


def health_rate_limited(
    store: StateStore, account_key: str, until: float | datetime, message: str = ""
) -> AccountHealth:
    """The vendor said "too often" (Huawei 407 / quota 403): calls wait until ``until``."""
    return _failed(store, account_key, RATE_LIMITED, message, rate_limited_until=_seconds(until))


def health_budget(store: StateStore, account_key: str, left_today: int | None) -> AccountHealth:
    """How many calls of the account's scarcest daily quota are left today (None: unknown)."""
    current = health_read(store, account_key)
    if current.budget_left_today == left_today:
        return current
    return _write(store, account_key, replace(current, budget_left_today=left_today))


def health_reset(store: StateStore, account_key: str) -> None:
    """An operator's reset: forget every refusal, lock and error; the next call may log in again."""
    store.delete(_name(account_key))
    _last_success_write.pop((id(store), store.prefix, account_key), None)
    _notify(store, account_key, AccountHealth())
