"""Start a simulator as a real child process and learn its URL (for fixtures and benchmarks).

Why a process and not an in-process app: the service under test talks to vendors over HTTP from
Celery workers in other processes, so the simulator must be reachable the same way.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO

from .runner import LISTENING_PREFIX


class SimulatorStartError(RuntimeError):
    """The simulator exited or stayed silent before printing its LISTENING line."""


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    # Keep draining stdout after the LISTENING line so the child never blocks on a full pipe.
    for line in stream:
        lines.put(line)
    lines.put(None)


def start_simulator(
    module: str,
    *args: str,
    timeout: float = 30.0,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
) -> tuple[subprocess.Popen[str], str]:
    """Run ``python -m <module> --port 0 *args``; return the process and ``http://host:port``.

    stderr is inherited so a crash is visible in the test output. Raises ``SimulatorStartError``.
    """
    cmd = [python, "-m", module, "--port", "0", *args]
    proc = subprocess.Popen(  # noqa: S603 - our own module, no shell
        cmd,
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            stop_simulator(proc)
            raise SimulatorStartError(f"{module} did not print LISTENING within {timeout:.0f}s")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            code = proc.wait()
            raise SimulatorStartError(f"{module} exited with code {code} before listening")
        if line.startswith(LISTENING_PREFIX):
            return proc, line[len(LISTENING_PREFIX) :].strip()


def stop_simulator(proc: subprocess.Popen[str], timeout: float = 10.0) -> int:
    """SIGTERM, wait, SIGKILL if it hangs; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@contextlib.contextmanager
def running_simulator(
    module: str, *args: str, timeout: float = 30.0
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`start_simulator` for a `with` block (or a pytest fixture): the process is stopped however it ends."""
    proc, base_url = start_simulator(module, *args, timeout=timeout)
    try:
        yield proc, base_url
    finally:
        stop_simulator(proc)
