"""`make run` on embedded defaults: SQLite, the filesystem broker and the SQLite rate limiter, no servers.

The README's first command, run as a user would: the demo server starts both simulators, web, worker and
beat; a charge POSTed with the printed token to the demo fleet completes on every plant; Ctrl-C (SIGTERM)
stops everything. This is the only test of the engine on SQLite (no SKIP LOCKED; conditional updates only).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER_ENV_DROPPED = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "VENDOR_RATE_LIMITER_URL",
    "VENDOR_STATE_URL",
    # `make run` says it is the demo and lets vendor URLs reach the simulators itself (vpp/devserver.py).
    "VPP_DEMO",
    "VENDOR_URL_ALLOW_PRIVATE",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, *, timeout_s: float, what: str, proc: subprocess.Popen, var_dir: Path):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    logs = "\n".join(
        f"--- {log.name}\n{log.read_text(errors='replace')[-1500:]}"
        for log in sorted(var_dir.glob("log/*.log"))
    )
    pytest.fail(f"timed out waiting for {what} (server exit code {proc.poll()})\n{logs}")


@pytest.fixture
def demo_server(tmp_path):
    web = f"127.0.0.1:{_free_port()}"
    env = {key: value for key, value in os.environ.items() if key not in SERVER_ENV_DROPPED}
    env.update(
        VPP_VAR_DIR=str(tmp_path),
        VPP_WEB_ADDR=web,
        VPP_DEMO_HUAWEI_PORT=str(_free_port()),
        VPP_DEMO_GROWATT_PORT=str(_free_port()),
        VPP_DEMO_PLANTS="6",
        PYTHONUNBUFFERED="1",
    )
    out = (tmp_path / "devserver.out").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "vpp.devserver"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
    )
    try:
        yield proc, f"http://{web}", tmp_path
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
        out.close()


def _static_files_are_served(base: str, job_id: int) -> None:
    """runserver with DEBUG off serves no static files: the admin is styled and the API docs and the console
    work only because WhiteNoise serves what the devserver collected (hashed names, cached for ever)."""
    with httpx.Client(base_url=base, timeout=10, follow_redirects=True) as web:
        login = web.get("/admin/login/")
        assert login.status_code == 200
        css = re.search(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', login.text)
        assert css, "the admin's stylesheet is not a hashed static file"
        answer = web.get(css.group(1))
        assert answer.status_code == 200 and "immutable" in answer.headers["cache-control"]
        page = web.get("/console/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        web.post(
            "/console/login/",
            data={"username": "demo", "password": "vpp-demo-password", "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/console/login/"},
        )
        live = web.get(f"/console/dispatches/{job_id}/")
        assert live.status_code == 200 and f"Dispatch #{job_id}" in live.text
        progress = web.get(f"/console/dispatches/{job_id}/progress.json").json()
        assert progress["state"] == "completed" and progress["progress_pct"] == 100.0
        docs = web.get("/api/docs/")
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', live.text + docs.text):
            assert web.get(asset).status_code == 200, asset
        assert "swagger-ui-bundle." in docs.text and "chart.umd.min." in live.text


@pytest.mark.worker
def test_make_run_serves_the_demo_fleet_and_a_charge_completes_on_every_plant(demo_server):
    proc, base, var_dir = demo_server
    printed = var_dir / "devserver.out"

    def token() -> str | None:
        match = re.search(r"API token:\s+(\w+)", printed.read_text())
        return match.group(1) if match else None

    printed_token = _wait(token, timeout_s=240, what="the API token", proc=proc, var_dir=var_dir)
    auth = {"Authorization": f"Token {printed_token}"}
    assert (var_dir / "vpp.sqlite3").exists()  # the embedded default, under VPP_VAR_DIR

    with httpx.Client(base_url=f"{base}/api/v1", headers=auth, timeout=10) as api:

        def health() -> dict | None:
            try:
                answer = api.get("/health")
            except httpx.TransportError:
                return None
            body = answer.json() if answer.status_code == 200 else {}
            return body if body.get("worker_heartbeat_age_s") is not None else None

        _wait(health, timeout_s=120, what="web and a worker heartbeat", proc=proc, var_dir=var_dir)
        [fleet] = api.get("/fleets").json()["results"]
        assert fleet["plant_count"] > 0

        answer = api.post(
            "/dispatches",
            json={
                "command": "charge_discharge",
                "fleet": fleet["id"],
                "params": {"action": "charge", "control": "duration", "duration_min": 5},
            },
            headers={"Idempotency-Key": "make-run-1"},
        )
        assert answer.status_code == 201, answer.text
        job_id = answer.json()["id"]

        def finished() -> dict | None:
            job = api.get(f"/dispatches/{job_id}").json()
            return job if job["state"] not in ("scheduled", "running") else None

        job = _wait(finished, timeout_s=240, what="the charge to finish", proc=proc, var_dir=var_dir)
        _static_files_are_served(base, job_id)
        assert job["state"] == "completed", job
        assert job["task_count"] == fleet["plant_count"]
        assert job["counts"]["by_state"]["completed"] == job["task_count"], job["counts"]
        assert job["charged_kwh"] > 0  # what the simulated batteries took, as the vendors reported it

    proc.send_signal(signal.SIGTERM)  # Ctrl-C: everything stops
    assert proc.wait(timeout=60) == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/api/v1/health", timeout=2)
