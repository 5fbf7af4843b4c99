"""Vendor state shared by every worker process: a small key-value store with TTLs, conditional writes and a
cross-process lock. What the adapters must remember between calls and across processes lives here: the
Huawei session token and its login lock (`vendors.sessions`, NBI V7 9.1.1), and the Growatt plans and
per-step progress that make a storageSet command exactly-once (`vendors.growatt`, Growatt 4.3.12).

Backends, chosen by ``state_store_from_url`` (settings VENDOR_STATE_URL):

- ``postgres://`` / ``postgresql://``: the default in production (the DATABASE_URL). Durable, like the
  database that is the source of truth: the exactly-once record survives a Redis restart, and every worker
  on every machine sees it. One table ``vendor_state`` created on first use; expiry is checked in the
  WHERE clauses against the server's clock, so the workers' clocks need not agree.
- ``redis://`` / ``rediss://`` / ``unix://``: shared across machines, but lost with Redis' memory.
- ``sqlite:///relative/path``, ``sqlite:////absolute/path`` or a bare path: the embedded defaults; a file
  every process of one machine opens.

Every write is one atomic statement (an upsert, or an update or delete whose WHERE holds the condition),
so ``add`` has exactly one winner and ``replace_if`` / ``delete_if`` never touch someone else's newer value,
across threads, processes and machines. A lock is a key holding its owner's id with a TTL (``add`` to take
it, ``delete_if`` to free it), so a lock of a killed process frees itself when its TTL runs out.

    store = state_store_from_url("postgres://...", prefix="vpp:vendor-state:")
    if store.add("sent:42", "1", ttl_s=3600):        # only the first caller gets True
        ...
    with store.lock("login:huawei:7", ttl_s=60, wait_s=60):
        ...
"""

from __future__ import annotations

import abc
import contextlib
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import redis

LOCK_POLL_S = 0.02
PURGE_EVERY = 500  # writes between deletions of expired rows (SQL backends)

# The store could not be reached: nothing was decided, the caller may try again later.
STORE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    sqlite3.OperationalError,
    psycopg.OperationalError,
)


class LockTimeout(Exception):
    """The lock stayed held by another process for longer than the caller would wait."""


class StateStore(abc.ABC):
    """Shared key-value state with TTLs (seconds). An expired key reads as absent everywhere."""

    def __init__(self, *, prefix: str) -> None:
        self.prefix = prefix

    def _key(self, name: str) -> str:
        return self.prefix + name

    @abc.abstractmethod
    def get(self, name: str) -> str | None: ...

    @abc.abstractmethod
    def set(self, name: str, value: str, *, ttl_s: float) -> None: ...

    @abc.abstractmethod
    def add(self, name: str, value: str, *, ttl_s: float) -> bool:
        """Set ``name`` only if it is absent (or expired), atomically; True if this call set it."""

    @abc.abstractmethod
    def replace_if(self, name: str, expected: str, value: str, *, ttl_s: float) -> bool:
        """Set ``value`` only if the current value is ``expected``; True if it was set."""

    @abc.abstractmethod
    def delete(self, name: str) -> None: ...

    @abc.abstractmethod
    def delete_if(self, name: str, expected: str) -> bool:
        """Delete only if the current value is ``expected`` (never someone else's newer value)."""

    @contextlib.contextmanager
    def lock(self, name: str, *, ttl_s: float, wait_s: float) -> Iterator[None]:
        """Hold ``name`` exclusively across processes; ``LockTimeout`` if not acquired within ``wait_s``.
        The lock frees itself after ``ttl_s`` if its holder dies."""
        lock_name, owner = f"{name}:lock", uuid.uuid4().hex
        deadline = time.monotonic() + wait_s
        while not self.add(lock_name, owner, ttl_s=ttl_s):
            if time.monotonic() >= deadline:
                raise LockTimeout(f"lock {name!r} still held after {wait_s:.1f} s")
            time.sleep(LOCK_POLL_S)
        try:
            yield
        finally:
            self.delete_if(lock_name, owner)  # expired and taken by another meanwhile: theirs now

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def _ms(ttl_s: float) -> int:
    return max(1, int(ttl_s * 1000))


class RedisStateStore(StateStore):
    _REPLACE_IF = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0"  # noqa: E501
    _DELETE_IF = (
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
    )

    def __init__(self, url: str, *, prefix: str, socket_timeout_s: float = 5.0) -> None:
        super().__init__(prefix=prefix)
        self._redis = redis.Redis.from_url(
            url,
            socket_connect_timeout=socket_timeout_s,
            socket_timeout=socket_timeout_s,
            decode_responses=True,
        )
        self._replace_if = self._redis.register_script(self._REPLACE_IF)
        self._delete_if = self._redis.register_script(self._DELETE_IF)

    def get(self, name: str) -> str | None:
        return self._redis.get(self._key(name))

    def set(self, name: str, value: str, *, ttl_s: float) -> None:
        self._redis.set(self._key(name), value, px=_ms(ttl_s))

    def add(self, name: str, value: str, *, ttl_s: float) -> bool:
        return bool(self._redis.set(self._key(name), value, px=_ms(ttl_s), nx=True))

    def replace_if(self, name: str, expected: str, value: str, *, ttl_s: float) -> bool:
        return bool(self._replace_if(keys=[self._key(name)], args=[expected, value, _ms(ttl_s)]))

    def delete(self, name: str) -> None:
        self._redis.delete(self._key(name))

    def delete_if(self, name: str, expected: str) -> bool:
        return bool(self._delete_if(keys=[self._key(name)], args=[expected]))

    def close(self) -> None:
        self._redis.close()


class SQLiteStateStore(StateStore):
    """One table in a file every process on the machine opens; WAL lets readers and a writer overlap.

    One connection per process (reopened after a fork), shared by its threads under a lock. Each write is
    one statement, and SQLite runs one writer at a time, so each conditional write is atomic.
    """

    _SCHEMA = (
        "CREATE TABLE IF NOT EXISTS vendor_state"
        " (name TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL NOT NULL)",
        "CREATE INDEX IF NOT EXISTS vendor_state_expires_at ON vendor_state (expires_at)",
    )

    def __init__(self, path: str | os.PathLike[str], *, prefix: str, busy_timeout_s: float = 30.0) -> None:
        super().__init__(prefix=prefix)
        self.path = os.fspath(path)
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        self._busy_timeout_s = busy_timeout_s
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._db: sqlite3.Connection | None = None
        self._writes = 0
        with self._lock:
            db = self._conn()
            for statement in self._SCHEMA:
                db.execute(statement)
            self._adopt_growatt_table(db)

    @staticmethod
    def _adopt_growatt_table(db: sqlite3.Connection) -> None:
        """The Growatt adapter once kept its own table in the same file: keep its plans and progress."""
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'growatt_state'").fetchone():
                db.execute("INSERT OR IGNORE INTO vendor_state SELECT k, v, exp FROM growatt_state")
                db.execute("DROP TABLE growatt_state")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _conn(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():
            db = sqlite3.connect(
                self.path, timeout=self._busy_timeout_s, check_same_thread=False, isolation_level=None
            )
            with contextlib.suppress(sqlite3.OperationalError):  # WAL is speed, not correctness
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._db, self._pid = db, os.getpid()
        return self._db

    def _write(self, sql: str, params: tuple) -> bool:
        """Run one write statement; whether it changed a row."""
        with self._lock:
            db = self._conn()
            changed = db.execute(sql, params).rowcount
            self._writes += 1
            if self._writes % PURGE_EVERY == 0:
                db.execute("DELETE FROM vendor_state WHERE expires_at <= ?", (time.time(),))
        return changed > 0

    def get(self, name: str) -> str | None:
        with self._lock:
            row = (
                self._conn()
                .execute(
                    "SELECT value FROM vendor_state WHERE name = ? AND expires_at > ?",
                    (self._key(name), time.time()),
                )
                .fetchone()
            )
        return None if row is None else row[0]

    def set(self, name: str, value: str, *, ttl_s: float) -> None:
        self._write(
            "INSERT OR REPLACE INTO vendor_state (name, value, expires_at) VALUES (?, ?, ?)",
            (self._key(name), value, time.time() + ttl_s),
        )

    def add(self, name: str, value: str, *, ttl_s: float) -> bool:
        now = time.time()
        return self._write(
            "INSERT INTO vendor_state (name, value, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at"
            " WHERE vendor_state.expires_at <= ?",
            (self._key(name), value, now + ttl_s, now),
        )

    def replace_if(self, name: str, expected: str, value: str, *, ttl_s: float) -> bool:
        now = time.time()
        return self._write(
            "UPDATE vendor_state SET value = ?, expires_at = ?"
            " WHERE name = ? AND value = ? AND expires_at > ?",
            (value, now + ttl_s, self._key(name), expected, now),
        )

    def delete(self, name: str) -> None:
        self._write("DELETE FROM vendor_state WHERE name = ?", (self._key(name),))

    def delete_if(self, name: str, expected: str) -> bool:
        return self._write(
            "DELETE FROM vendor_state WHERE name = ? AND value = ? AND expires_at > ?",
            (self._key(name), expected, time.time()),
        )

    def close(self) -> None:
        with self._lock:
            if self._db is not None and self._pid == os.getpid():
                self._db.close()
            self._db = None


_PG_UPSERT = (
    "INSERT INTO vendor_state (key, value, expires_at) VALUES (%s, %s, now() + %s * interval '1 second')"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at"
)

# Connections a forked child inherited: never used nor closed there (closing would end the parent's
# session on the server), only kept from the garbage collector, which would close them too.
_INHERITED: list[psycopg.Connection] = []


class PostgresStateStore(StateStore):
    """One table in the PostgreSQL database, shared by every process on every machine.

    Autocommit connections, a few kept per process for its threads to reuse. Each write is one statement
    whose WHERE (or ON CONFLICT ... WHERE) holds its condition: under READ COMMITTED PostgreSQL re-checks
    that condition on the newest row version after waiting for a concurrent writer, so exactly one ``add``
    wins and a ``replace_if`` never overwrites a value it did not see. Times are the server's ``now()``.
    """

    _SCHEMA = (
        "CREATE TABLE IF NOT EXISTS vendor_state"
        " (key text PRIMARY KEY, value text NOT NULL, expires_at timestamptz NOT NULL)",
        "CREATE INDEX IF NOT EXISTS vendor_state_expires_at ON vendor_state (expires_at)",
    )
    _SCHEMA_LOCK = 0x76656E646F72  # pg_advisory_xact_lock key: CREATE ... IF NOT EXISTS races otherwise

    def __init__(self, url: str, *, prefix: str, connect_timeout_s: int = 5, max_idle: int = 4) -> None:
        super().__init__(prefix=prefix)
        self._url = url
        self._connect_timeout_s = connect_timeout_s
        self._max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: list[psycopg.Connection] = []
        self._pid = os.getpid()
        self._schema_ready = False
        self._writes = 0

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self._url, autocommit=True, connect_timeout=self._connect_timeout_s)
        if not self._schema_ready:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._SCHEMA_LOCK,))
                for statement in self._SCHEMA:
                    conn.execute(statement)
            self._schema_ready = True
        return conn

    @contextlib.contextmanager
    def _conn(self) -> Iterator[psycopg.Connection]:
        with self._lock:
            if self._pid != os.getpid():
                _INHERITED.extend(self._idle)
                self._idle, self._pid = [], os.getpid()
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        except BaseException:
            conn.close()  # its state is unknown (broken, or mid-statement): never reused
            raise
        with self._lock:
            if self._pid == os.getpid() and len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        conn.close()

    def _fetch(self, sql: str, params: tuple) -> tuple | None:
        with self._conn() as conn:
            return conn.execute(sql, params).fetchone()

    def _write(self, sql: str, params: tuple) -> bool:
        """Run one write statement; whether it changed a row."""
        with self._conn() as conn:
            changed = conn.execute(sql, params).rowcount
            self._writes += 1
            if self._writes % PURGE_EVERY == 0:
                conn.execute("DELETE FROM vendor_state WHERE expires_at <= now()")
        return changed > 0

    def get(self, name: str) -> str | None:
        row = self._fetch(
            "SELECT value FROM vendor_state WHERE key = %s AND expires_at > now()", (self._key(name),)
        )
        return None if row is None else row[0]

    def set(self, name: str, value: str, *, ttl_s: float) -> None:
        self._write(_PG_UPSERT, (self._key(name), value, ttl_s))

    def add(self, name: str, value: str, *, ttl_s: float) -> bool:
        return self._write(
            _PG_UPSERT + " WHERE vendor_state.expires_at <= now()",  # only over an expired row
            (self._key(name), value, ttl_s),
        )

    def replace_if(self, name: str, expected: str, value: str, *, ttl_s: float) -> bool:
        return self._write(
            "UPDATE vendor_state SET value = %s, expires_at = now() + %s * interval '1 second'"
            " WHERE key = %s AND value = %s AND expires_at > now()",
            (value, ttl_s, self._key(name), expected),
        )

    def delete(self, name: str) -> None:
        self._write("DELETE FROM vendor_state WHERE key = %s", (self._key(name),))

    def delete_if(self, name: str, expected: str) -> bool:
        return self._write(
            "DELETE FROM vendor_state WHERE key = %s AND value = %s AND expires_at > now()",
            (self._key(name), expected),
        )

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            if self._pid != os.getpid():
                _INHERITED.extend(idle)
                return
        for conn in idle:
            conn.close()


def state_store_from_url(url: str | os.PathLike[str], *, prefix: str) -> StateStore:
    """``postgres://``/``postgresql://`` -> PostgreSQL; ``redis://``/``rediss://``/``unix://`` -> Redis;
    ``sqlite:///path`` or a bare path -> SQLite. ``prefix`` namespaces every key (e.g. per adapter kind).

    SQLite URLs follow the limiter's (dj-database-url) reading: ``sqlite:////abs/path`` is absolute,
    ``sqlite:///var/x.db`` is relative to the working directory.
    """
    text = os.fspath(url)
    scheme = urlsplit(text).scheme
    if scheme in ("postgres", "postgresql"):
        return PostgresStateStore(text, prefix=prefix)
    if scheme in ("redis", "rediss", "unix"):
        return RedisStateStore(text, prefix=prefix)
    if scheme == "sqlite":
        path = text.removeprefix("sqlite://").removeprefix("/")
    elif scheme and len(scheme) > 1:  # one letter: a Windows drive
        raise ValueError(
            f"{text!r}: expected postgres://, redis://, rediss://, unix://, sqlite:/// or a path"
        )
    else:
        path = text
    if not path or path == ":memory:":
        raise ValueError(f"{text!r}: the state store needs a file shared by the processes")
    return SQLiteStateStore(path, prefix=prefix)
