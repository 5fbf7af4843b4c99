"""The embedded-defaults limiter: a SQLite file that every process of one machine opens.

Why SQLite and not a lock file or shared memory: ``BEGIN IMMEDIATE`` takes the database's write lock
before the log is read, so check-then-record is atomic across processes, and the log survives restarts
(a worker restarted mid-window must still see the calls it made). Time is this machine's wall clock,
read after the lock is held; all processes share it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from pathlib import Path

from .base import STATS_TTL_S, RateLimiter, RateStats
from .rules import earliest_slot_us

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ratelimit_log (
    key TEXT NOT NULL,
    at_us INTEGER NOT NULL,
    expires_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ratelimit_log_key_at ON ratelimit_log (key, at_us);
CREATE INDEX IF NOT EXISTS ratelimit_log_expires ON ratelimit_log (expires_us);
CREATE TABLE IF NOT EXISTS ratelimit_stats (
    key TEXT PRIMARY KEY,
    granted INTEGER NOT NULL DEFAULT 0,
    refused INTEGER NOT NULL DEFAULT 0,
    wait_us INTEGER NOT NULL DEFAULT 0,
    expires_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ratelimit_stats_expires ON ratelimit_stats (expires_us);
"""

_BUMP_STATS = """
INSERT INTO ratelimit_stats (key, granted, refused, wait_us, expires_us) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
    granted = granted + excluded.granted,
    refused = refused + excluded.refused,
    wait_us = wait_us + excluded.wait_us,
    expires_us = excluded.expires_us
"""


class SQLiteRateLimiter(RateLimiter):
    """Sliding-window limiter in a SQLite file; holds across the processes of one machine.

    One connection per thread and process (a connection inherited through ``fork`` is never reused).
    Expired rows of every key are deleted as a side effect of each call, so the file stays small.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, prefix: str = "", busy_timeout_s: float = 30.0
    ) -> None:
        self.path = Path(path)
        if str(path) == ":memory:":
            raise ValueError("an in-memory SQLite database is private to one process; give a file path")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._prefix = prefix
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        conn = self._conn()
        # WAL: the lock is held for microseconds and readers never wait; NORMAL sync loses at most the
        # last few slots on a power cut, which no vendor window outlasts anyway. If another process holds
        # a lock right now, carry on: WAL is speed, not correctness.
        with contextlib.suppress(sqlite3.OperationalError):
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves; the module's implicit BEGIN is
            # deferred and would let two processes read the same log before either writes.
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def _book(self, key: str, rules: list[tuple[int, int]], max_wait_us: int) -> tuple[bool, int]:
        key = self._prefix + key
        max_window_us = max(window_us for _, window_us in rules)
        max_limit = max(limit for limit, _ in rules)
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            now_us = time.time_ns() // 1000  # read under the write lock, so slots are recorded in order
            conn.execute("DELETE FROM ratelimit_log WHERE expires_us <= ?", (now_us,))
            conn.execute("DELETE FROM ratelimit_stats WHERE expires_us <= ?", (now_us,))
            recent_desc = [
                at_us
                for (at_us,) in conn.execute(
                    "SELECT at_us FROM ratelimit_log WHERE key = ? ORDER BY at_us DESC LIMIT ?",
                    (key, max_limit),
                )
            ]
            slot_us = earliest_slot_us(now_us, recent_desc, rules)
            delay_us = slot_us - now_us
            stats_expires_us = slot_us + max_window_us + STATS_TTL_S * 1_000_000
            granted = delay_us <= max_wait_us
            if granted:
                conn.execute(
                    "INSERT INTO ratelimit_log (key, at_us, expires_us) VALUES (?, ?, ?)",
                    (key, slot_us, slot_us + max_window_us),
                )
                conn.execute(_BUMP_STATS, (key, 1, 0, delay_us, stats_expires_us))
            else:
                conn.execute(_BUMP_STATS, (key, 0, 1, 0, stats_expires_us))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return granted, delay_us

    def stats(self, key: str) -> RateStats:
        row = (
            self._conn()
            .execute(
                "SELECT granted, refused, wait_us FROM ratelimit_stats WHERE key = ?",
                (self._prefix + key,),
            )
            .fetchone()
        )
        if row is None:
            return RateStats()
        return RateStats(granted=row[0], refused=row[1], waited_s=row[2] / 1_000_000)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None
