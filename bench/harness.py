"""What the engine benchmarks share: a fresh database and environment, Celery worker and beat processes,
and a polling wait.

``setup_django`` first (it sets the environment the worker processes inherit, then Django), models after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def setup_django(db_name: str, redis_url: str, **env: str) -> None:
    """Drop and create ``db_name`` on BENCH_PG_URL, point this process (and the ones it starts) at it and
    at ``redis_url`` for broker, limiter and vendor state under a fresh key prefix, then django.setup()."""
    import django
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {db_name}")
    os.environ.update(
        {
            "DATABASE_URL": f"{PG}/{db_name}",
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "VENDOR_RATE_LIMITER_URL": redis_url,
            "VENDOR_STATE_URL": redis_url,
            "VENDOR_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
            "DISPATCH_SWEEP_S": "0.5",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpp.settings")
    django.setup()


class Engine:
    """`workers` celery workers (prefork, `concurrency` each) on `queues`, and one beat unless `beat` is
    False (a second group of workers, e.g. for the "sync" queue, must not start a second beat)."""

    def __init__(
        self,
        logdir: Path,
        workers: int,
        concurrency: int,
        env: dict[str, str] | None = None,
        *,
        queues: str = "default,dispatch,poll",
        beat: bool = True,
        name: str = "bench",
    ) -> None:
        self.env = {**os.environ, **(env or {})}
        self.procs: list[subprocess.Popen] = []
        base = [sys.executable, "-m", "celery", "-A", "vpp"]
        for n in range(workers):
            cmd = [*base, "worker", "-n", f"{name}{n}@%h", f"--concurrency={concurrency}", "--pool=prefork",
                   "-Q", queues, "--without-gossip", "--without-mingle",
                   "--loglevel=WARNING"]  # fmt: skip
            self.procs.append(self._start(cmd, logdir / f"{name}{n}.log"))
        self.workers = list(self.procs)
        if beat:
            self.procs.append(self._start([*base, "beat", "-s", str(logdir / "beat"), "--loglevel=WARNING"],
                                          logdir / "beat.log"))  # fmt: skip
        time.sleep(6)  # workers ready (banner, broker connection, pool forked)

    def _start(self, cmd: list[str], log: Path) -> subprocess.Popen:
        return subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def peak_rss_mb(self) -> float:
        """The largest VmHWM (peak resident set) of any worker process, pool children included."""
        peak = 0
        for worker in self.workers:
            pids = [worker.pid]
            children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
            if children.exists():
                pids += [int(p) for p in children.read_text().split()]
            for pid in pids:
                status = Path(f"/proc/{pid}/status")
                if status.exists():
                    for line in status.read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            peak = max(peak, int(line.split()[1]))
        return peak / 1024

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)


def wait(predicate, timeout_s: float, interval_s: float = 0.02):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval_s)
    raise TimeoutError("bench: timed out")
