"""Fixtures for the dispatch engine's end-to-end tests: real Celery workers and a real beat on the real
Redis broker, PostgreSQL, and the vendor simulators over HTTP. Nothing of ours is mocked.

The engine's timings are shortened for tests through the same environment variables production uses
(a sweep every half second, short leases so a killed worker's request is re-sent within seconds).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dispatch.models import DispatchJob, DispatchTask
from tests.dispatch.engine.world import World
from tests.plugins.celery_worker import ROOT, WorkerProcess, wait_for, worker_env

ENGINE_ENV = {
    "DISPATCH_SWEEP_S": "0.5",
    "DISPATCH_SEND_LEASE_S": "8",
    "DISPATCH_LANE_BUDGET_S": "5",
    "DISPATCH_RETRY_BASE_S": "0.2",
    "DISPATCH_RETRY_MAX_S": "2",
    "VENDOR_HTTP_TIMEOUT_S": "3",
    "VENDOR_MAX_WAIT_S": "5",
    "LOG_LEVEL": "INFO",
}
QUEUES = "default,dispatch,poll"


def start_beat(log_dir: Path, env: dict[str, str], name: str = "beat") -> WorkerProcess:
    """`celery beat` as its own process: it enqueues dispatch.sweep every DISPATCH_SWEEP_S."""
    log_path = log_dir / f"celery-{name}.log"
    cmd = [sys.executable, "-m", "celery", "-A", "vpp", "beat", "--loglevel=INFO", "-s", str(log_dir / name)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )
    return WorkerProcess(proc, log_path)


@pytest.fixture
def engine_settings(settings):
    """The same short timings in this (the test's) process, which creates jobs and may sweep."""
    for name, value in ENGINE_ENV.items():
        if name.startswith("DISPATCH_") or name.startswith("VENDOR_"):
            setattr(settings, name, float(value))
    return settings


@pytest.fixture
def start_engine(celery_worker_factory, tmp_path, engine_settings) -> Iterator[Callable[..., list]]:
    """start_engine(workers=1, concurrency=3, beat=True, env=None) -> the worker processes."""
    beats: list[WorkerProcess] = []

    names = iter(range(100))

    def start(*, workers: int = 1, concurrency: int = 3, beat: bool = True, env: dict | None = None):
        full_env = worker_env(**{**ENGINE_ENV, **(env or {})})
        started = [
            celery_worker_factory(
                name=f"w{next(names)}", concurrency=concurrency, queues=QUEUES, env=full_env
            )
            for _ in range(workers)
        ]
        if beat:
            beats.append(start_beat(tmp_path, full_env))
        return started

    yield start
    for beat in beats:
        beat.stop()


@pytest.fixture
def world(alice) -> World:
    return World(organization=alice.membership.organization)


def wait_job_finished(job: DispatchJob, *, timeout_s: float = 120) -> DispatchJob:
    def finished():
        job.refresh_from_db()
        return job.state not in DispatchJob.OPEN_STATES

    wait_for(finished, timeout_s=timeout_s, interval_s=0.3, message=f"job {job.pk} to finish")
    return job


def open_tasks(job: DispatchJob):
    return DispatchTask.objects.filter(job=job, state__in=DispatchTask.OPEN_STATES)


def states_by_plant(job: DispatchJob) -> dict[int, DispatchTask]:
    return {t.plant_id: t for t in DispatchTask.objects.filter(job=job)}


class PrivateRedis:
    """A redis-server of this test's own on a free port, so restarting it disturbs nobody else's run."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        cmd = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        """Shut down without saving: every queue, limiter slot and session token in it is lost."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield redis
    redis.stop()


@contextlib.contextmanager
def broker(url: str) -> Iterator[None]:
    """Point this process's Celery app (which enqueues on commit) at another broker for a while."""
    from vpp.celery import app

    saved = app.conf.broker_url
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url = saved
        app._pool = None
        app.amqp._producer_pool = None
