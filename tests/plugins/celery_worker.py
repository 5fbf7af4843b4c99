"""Start a real Celery worker process against the real Redis broker and the test database.

The worker is a separate OS process (`celery -A vpp worker`), so tests that use it must commit their data:
mark them `@pytest.mark.django_db(transaction=True)`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def run_database_url() -> str:
    """The URL of the database this test run uses (pytest-django's test database)."""
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("worker tests need PostgreSQL: set DATABASE_URL (make test does)")
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    """The environment a worker needs to share this test run's database, broker and vendor state."""
    url = run_database_url()
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "VENDOR_RATE_LIMITER_URL": settings.VENDOR_RATE_LIMITER_URL,
            "VENDOR_STATE_URL": url,  # the default (DATABASE_URL) read in the worker: durable, shared
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def _vendor_state_connections_closed(django_db_setup) -> Iterator[None]:
    """Close the adapters this process cached before the test database is dropped: their vendor state
    store keeps connections to it, and PostgreSQL does not drop a database others are connected to."""
    yield
    from fleets import adapters

    with adapters._lock:
        while adapters._cache:
            adapters._cache.popitem()[1].close()
    adapters.close_state_stores()  # the readers' store (account health) holds connections too


@pytest.fixture(autouse=True)
def _vendor_state_in_test_database(request: pytest.FixtureRequest) -> None:
    """Adapters built in the test's own process keep their vendor state where the workers keep theirs:
    in the test database (the default, DATABASE_URL, names the database pytest-django does not use)."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if not uses_db or settings.VENDOR_STATE_URL != settings.DATABASE_URL:
        return
    request.getfixturevalue("_vendor_state_connections_closed")
    request.getfixturevalue("settings").VENDOR_STATE_URL = run_database_url()


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen, log_path: Path):
        self.proc = proc
        self.log_path = log_path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), as a crash would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def start_worker(
    log_dir: Path,
    *,
    name: str = "w1",
    concurrency: int = 1,
    queues: str | None = None,
    env: dict[str, str] | None = None,
    ready_timeout_s: float = 60,
) -> WorkerProcess:
    """Run `celery -A vpp worker` and wait until it reports ready."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.fail("worker tests need Redis: set REDIS_URL (make test does)")
    log_path = log_dir / f"celery-{name}.log"
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "vpp",
        "worker",
        "-n",
        f"{name}@%h",
        "--loglevel=INFO",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
    ]
    if queues:
        cmd += ["-Q", queues]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env or worker_env(),
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = WorkerProcess(proc, log_path)
    deadline = time.monotonic() + ready_timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"celery worker exited with {proc.returncode}:\n{worker.log()[-3000:]}")
        if "ready." in worker.log():
            return worker
        time.sleep(0.2)
    worker.stop()
    pytest.fail(f"celery worker not ready after {ready_timeout_s}s:\n{worker.log()[-3000:]}")


@pytest.fixture
def celery_worker_factory(tmp_path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start as many real workers as a test needs; all are stopped at the end."""
    from vpp.celery import app

    app.control.purge()
    started: list[WorkerProcess] = []

    def factory(**kwargs) -> WorkerProcess:
        worker = start_worker(tmp_path, **kwargs)
        started.append(worker)
        return worker

    yield factory
    for worker in started:
        worker.stop()


@pytest.fixture
def celery_worker(celery_worker_factory) -> WorkerProcess:
    return celery_worker_factory()


def wait_for(
    predicate: Callable[[], object],
    *,
    timeout_s: float = 60,
    interval_s: float = 0.2,
    message: str = "condition",
) -> object:
    """Poll until predicate() is truthy; fail the test with `message` after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    pytest.fail(f"timed out after {timeout_s}s waiting for {message}")
