"""XSRF-TOKEN sessions and login lockout (# NBI V7 9.1.1).

- A login returns a new token; the account's previous token stops working (one live session per
  account: the simulator's reading of "consuming a client login resource").
- A token idle for 30 simulated minutes is invalid: 305. Every authenticated call restarts the idle
  timer ("The time starts when the system receives the last interaction request").
- Five consecutive wrong passwords within 10 minutes lock the account for 30 minutes: 20400.
"""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass

from vendors.simkit import SimClock

IDLE_TIMEOUT_S = 30 * 60
LOCK_AFTER_FAILURES = 5
FAILURE_WINDOW_S = 10 * 60
LOCK_DURATION_S = 30 * 60


@dataclass(slots=True)
class Session:
    account: str
    last_used: float


class Sessions:
    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._by_token: dict[str, Session] = {}
        self._current: dict[str, str] = {}
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}

    def login(self, account: str) -> str:
        """A fresh token for ``account``; its previous token, if any, is ended."""
        old = self._current.pop(account, None)
        if old is not None:
            self._by_token.pop(old, None)
        token = "x-" + secrets.token_hex(48)
        self._by_token[token] = Session(account=account, last_used=self.clock.now())
        self._current[account] = token
        self._failures.pop(account, None)
        return token

    def peek(self, token: str | None) -> str | None:
        """The account of a live token without touching its idle timer (for statistics)."""
        session = self._by_token.get(token or "")
        if session is None or self.clock.now() - session.last_used >= IDLE_TIMEOUT_S:
            return None
        return session.account

    def touch(self, token: str | None) -> str | None:
        """The account of a live token, restarting its idle timer; None means answer 305."""
        account = self.peek(token)
        if account is None:
            if token:
                self._drop(token)
            return None
        self._by_token[token].last_used = self.clock.now()  # type: ignore[index]
        return account

    def logout(self, token: str) -> bool:
        if self.peek(token) is None:
            return False
        self._drop(token)
        return True

    def _drop(self, token: str) -> None:
        session = self._by_token.pop(token, None)
        if session is not None and self._current.get(session.account) == token:
            del self._current[session.account]

    def expire_all(self) -> int:
        """Invalidate every token (``POST /_sim/expire-sessions``); returns how many there were."""
        n = len(self._by_token)
        self._by_token.clear()
        self._current.clear()
        return n

    def is_locked(self, account: str) -> bool:
        return self._locked_until.get(account, 0.0) > self.clock.now()

    def record_failure(self, account: str) -> bool:
        """Count a wrong password; True when this one locks the account."""
        now = self.clock.now()
        failures = self._failures.setdefault(account, deque())
        while failures and failures[0] <= now - FAILURE_WINDOW_S:
            failures.popleft()
        failures.append(now)
        if len(failures) >= LOCK_AFTER_FAILURES:
            self._locked_until[account] = now + LOCK_DURATION_S
            failures.clear()
            return True
        return False
