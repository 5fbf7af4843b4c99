"""`make run`: the whole service on one machine with embedded defaults and no servers to install.

Starts the vendor simulators, migrates, creates the demo organisation, operator and vendor accounts,
prints the API token, then runs web, worker and beat until Ctrl-C. SQLite and the filesystem broker are
shared by the processes; the vendor rate limiter falls back to a SQLite file (settings).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from vendors import registry

ROOT = Path(__file__).resolve().parent.parent
# The demo: embedded default keys allowed (vpp/settings.py) and vendor URLs to the simulators, plain http on
# 127.0.0.1 (vendors/egress.py). Every process started below inherits both.
os.environ["VPP_DEMO"] = "1"
os.environ["VENDOR_URL_ALLOW_PRIVATE"] = "1"
VAR_DIR = Path(os.environ.get("VPP_VAR_DIR") or ROOT / "var")  # as vpp.settings reads it
WEB_ADDR = os.environ.get("VPP_WEB_ADDR", "127.0.0.1:8000")
SIMULATORS = {
    # vendor: (module, port), from vendors.registry; VPP_DEMO_<VENDOR>_PORT moves one
    spec.name: (
        spec.simulator,
        int(os.environ.get(f"VPP_DEMO_{spec.name.upper()}_PORT", str(spec.demo_port))),
    )
    for spec in registry.specs()
}
SIM_SPEED = os.environ.get("VPP_DEMO_SIM_SPEED", "60")
SIM_PLANTS = os.environ.get("VPP_DEMO_PLANTS", "50")


def _manage(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, check=True, text=True, stdout=subprocess.PIPE
    )


def _start(name: str, cmd: list[str], log_dir: Path) -> subprocess.Popen:
    log = (log_dir / f"{name}.log").open("w")
    print(f"  {name:<8} {' '.join(cmd[1:])}  (log: {log_dir / name}.log)")
    return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_listening(proc: subprocess.Popen, log_path: Path, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for line in log_path.read_text(errors="replace").splitlines():
            if line.startswith("LISTENING "):
                return line.split(" ", 1)[1].strip()
        if proc.poll() is not None:
            raise SystemExit(f"{log_path.name}: simulator exited:\n{log_path.read_text()[-2000:]}")
        time.sleep(0.2)
    raise SystemExit(f"{log_path.name}: simulator did not start within {timeout_s}s")


def main() -> None:
    log_dir = VAR_DIR / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen] = []

    def stop_all(*_):
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()  # the main process only: Celery then shuts its pool down warmly
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        sys.exit(0)

    signal.signal(signal.SIGINT, stop_all)
    signal.signal(signal.SIGTERM, stop_all)

    print(f"Migrating the SQLite database under {VAR_DIR} ...")
    _manage("migrate", "--noinput", "-v", "0")
    # runserver with DEBUG off serves no static files: WhiteNoise serves what collectstatic gathers.
    print(f"Collecting static files into {VAR_DIR / 'static'} ...")
    _manage("collectstatic", "--noinput", "-v", "0")

    print("Starting:")
    demo_args = []
    for vendor, (module, port) in SIMULATORS.items():
        if importlib.util.find_spec(module) is None:
            continue
        cmd = [
            sys.executable,
            "-m",
            module,
            "--port",
            str(port),
            "--plants",
            SIM_PLANTS,
            "--speed",
            SIM_SPEED,
            # the simulator's own demo arguments (e.g. a mix of device families), if it has any
            *getattr(importlib.import_module(module), "DEMO_ARGS", ()),
        ]
        proc = _start(f"{vendor}-sim", cmd, log_dir)
        procs.append(proc)
        url = _wait_listening(proc, log_dir / f"{vendor}-sim.log")
        demo_args += [f"--{vendor}-url", url, "--sim-speed", SIM_SPEED]

    demo = _manage("vpp_demo", *demo_args)
    env_cmds = {
        "web": [sys.executable, "manage.py", "runserver", WEB_ADDR, "--noreload"],
        "worker": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "vpp",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "-Q",
            "default,dispatch,poll,sync,webhooks",
        ],  # fmt: skip
        "beat": [sys.executable, "-m", "celery", "-A", "vpp", "beat", "--loglevel=INFO"],
    }
    for name, cmd in env_cmds.items():
        procs.append(_start(name, cmd, log_dir))

    print()
    print(demo.stdout.rstrip())
    print()
    print(f"Admin:      http://{WEB_ADDR}/admin/   (user demo, password printed above)")
    print(f"Console:    http://{WEB_ADDR}/console/   (same login)")
    print(f"API docs:   http://{WEB_ADDR}/api/docs/")
    print(f"Try:        curl -H 'Authorization: Token <token>' http://{WEB_ADDR}/api/v1/health")
    print("Ctrl-C stops everything.")
    while True:
        for proc in procs:
            if proc.poll() is not None:
                print(f"a process exited with {proc.returncode}: see {log_dir}; stopping")
                stop_all()
        time.sleep(1)


if __name__ == "__main__":
    main()
