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
from .rules import earliest_slot_us, effective_time_us

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
CREATE TABLE IF NOT EXISTS ratelimit_slots (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    at_us INTEGER NOT NULL,
    flight_us INTEGER,
    expires_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ratelimit_slots_key ON ratelimit_slots (key, seq);
CREATE INDEX IF NOT EXISTS ratelimit_slots_expires ON ratelimit_slots (expires_us);
"""
# ``ratelimit_slots`` replaced ``ratelimit_log`` (kept for files written before: never read again). A row
# is a booking in order (``seq``); ``flight_us`` is set while it is open (see ``RateLimiter.take``).

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

    def _transaction(self):
        return _Transaction(self._conn())

    def _slot_after(
        self, conn: sqlite3.Connection, key: str, now_us: int, rules, before_seq: int | None
    ) -> int:
        rows = conn.execute(
            "SELECT at_us, flight_us FROM ratelimit_slots WHERE key = ? AND seq < ?",
            (key, before_seq if before_seq is not None else 2**62),
        )
        times = sorted((effective_time_us(at, flight, now_us) for at, flight in rows), reverse=True)
        return earliest_slot_us(now_us, times, rules)

    @staticmethod
    def _now_and_trim(conn: sqlite3.Connection) -> int:
        now_us = time.time_ns() // 1000  # read under the write lock, so slots are recorded in order
        conn.execute("DELETE FROM ratelimit_slots WHERE expires_us <= ?", (now_us,))
        conn.execute("DELETE FROM ratelimit_stats WHERE expires_us <= ?", (now_us,))
        return now_us

    def _book(
        self, key: str, rules: list[tuple[int, int]], max_wait_us: int, flight_us: int = 0
    ) -> tuple[bool, int, str]:
        key = self._prefix + key
        max_window_us = max(window_us for _, window_us in rules)
        with self._transaction() as conn:
            now_us = self._now_and_trim(conn)
            slot_us = self._slot_after(conn, key, now_us, rules, None)
            delay_us = slot_us - now_us
            stats_expires_us = slot_us + flight_us + max_window_us + STATS_TTL_S * 1_000_000
            member = ""
            if delay_us <= max_wait_us:
                cursor = conn.execute(
                    "INSERT INTO ratelimit_slots (key, at_us, flight_us, expires_us) VALUES (?, ?, ?, ?)",
                    (key, slot_us, flight_us or None, slot_us + flight_us + max_window_us),
                )
                member = str(cursor.lastrowid)
                conn.execute(_BUMP_STATS, (key, 1, 0, delay_us, stats_expires_us))
            else:
                conn.execute(_BUMP_STATS, (key, 0, 1, 0, stats_expires_us))
        return bool(member), delay_us, member

    def _confirm(self, key: str, member: str, rules: list[tuple[int, int]]) -> int:
        key = self._prefix + key
        max_window_us = max(window_us for _, window_us in rules)
        with self._transaction() as conn:
            now_us = self._now_and_trim(conn)
            row = conn.execute(
                "SELECT at_us, flight_us FROM ratelimit_slots WHERE seq = ?", (int(member),)
            ).fetchone()
            if row is None:
                return 0
            at_us, flight_us = row
            slot_us = max(at_us, self._slot_after(conn, key, now_us, rules, int(member)))
            if slot_us > at_us:
                conn.execute(
                    "UPDATE ratelimit_slots SET at_us = ?, expires_us = ? WHERE seq = ?",
                    (slot_us, slot_us + (flight_us or 0) + max_window_us, int(member)),
                )
                stats_expires_us = slot_us + max_window_us + STATS_TTL_S * 1_000_000
                conn.execute(_BUMP_STATS, (key, 0, 0, slot_us - max(at_us, now_us), stats_expires_us))
        return slot_us - now_us

    def _settle(self, key: str, member: str, rules: list[tuple[int, int]]) -> None:
        max_window_us = max(window_us for _, window_us in rules)
        with self._transaction() as conn:
            now_us = time.time_ns() // 1000
            conn.execute(
                "UPDATE ratelimit_slots SET at_us = MAX(at_us, ?), flight_us = NULL,"
                " expires_us = MAX(at_us, ?) + ? WHERE seq = ?",
                (now_us, now_us, max_window_us, int(member)),
            )

    def _cancel(self, key: str, member: str, rules: list[tuple[int, int]]) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM ratelimit_slots WHERE seq = ?", (int(member),))

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


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any error): the write lock is held before the log
    is read, so check-then-record is atomic across processes."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(self, exc_type, *exc: object) -> None:
        if exc_type is None:
            self._conn.execute("COMMIT")
        elif self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
