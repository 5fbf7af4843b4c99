"""Secrets and HTTP hardening: outside the demo the service refuses the default SECRET_KEY and a field key
derived from it; `manage.py check --deploy` is clean with production settings; HSTS, secure cookies and a
Content-Security-Policy are on by default there and configurable.

Settings are read once per process, so production settings are tried in subprocesses with a
production-like environment (no VPP_DEMO).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
DEV_SECRET = "insecure-dev-only-secret-key-change-me-in-production-0123456789"
STRONG_SECRET = "k3J9-v0ZpQx7_RtY2mWn8LsDf4GhUb6EcA1oIuTy5NrXeKqVw0jZ"
PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "ssl_redirect": s.SECURE_SSL_REDIRECT, "hsts": s.SECURE_HSTS_SECONDS,
    "hsts_subdomains": s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "session_secure": s.SESSION_COOKIE_SECURE,
    "csrf_secure": s.CSRF_COOKIE_SECURE, "csp": getattr(s, "CONTENT_SECURITY_POLICY", None),
    "csp_report_only": getattr(s, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None),
    "axes_limit": s.AXES_FAILURE_LIMIT, "axes_cooloff_s": s.AXES_COOLOFF_TIME.total_seconds(),
}))
"""


def _derived(secret: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(("fernet:" + secret).encode()).digest()).decode()


def _run(tmp_path, args, **env) -> subprocess.CompletedProcess:
    dropped = {"VPP_DEMO", "SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DEBUG", "VENDOR_URL_ALLOW_PRIVATE"}
    base = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith(("SECURE_", "CSP"))}
    base.update({"VPP_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "vpp.settings", **env})
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


def _production(**extra) -> dict[str, str]:
    return {
        "SECRET_KEY": STRONG_SECRET,
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "vpp.example.com",
        **extra,
    }


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": DEV_SECRET, "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode()}, "SECRET_KEY"),
        ({"SECRET_KEY": STRONG_SECRET}, "FIELD_ENCRYPTION_KEY"),  # the default: derived from SECRET_KEY
        (
            {"SECRET_KEY": STRONG_SECRET, "FIELD_ENCRYPTION_KEY": _derived(STRONG_SECRET)},
            "FIELD_ENCRYPTION_KEY",
        ),
        ({"SECRET_KEY": STRONG_SECRET, "FIELD_ENCRYPTION_KEY": _derived(DEV_SECRET)}, "FIELD_ENCRYPTION_KEY"),
        (
            {
                "SECRET_KEY": STRONG_SECRET,
                "FIELD_ENCRYPTION_KEY": f"{Fernet.generate_key().decode()},{_derived(STRONG_SECRET)}",
            },
            "FIELD_ENCRYPTION_KEY",
        ),
    ],
)
def test_outside_the_demo_the_service_refuses_default_or_derived_keys(tmp_path, env, complaint):
    result = _run(tmp_path, ["manage.py", "check"], **env)
    assert result.returncode != 0
    assert complaint in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_the_demo_runs_on_the_embedded_defaults(tmp_path):
    result = _run(tmp_path, ["manage.py", "check"], VPP_DEMO="1")
    assert result.returncode == 0, result.stderr[-2000:]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _run(tmp_path, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **_production())
    assert result.returncode == 0, result.stderr[-3000:]
    assert "System check identified no issues" in result.stdout


def test_production_defaults_are_strict_and_each_is_configurable(tmp_path):
    strict = json.loads(_run(tmp_path, ["-c", PRINT_SETTINGS], **_production()).stdout.splitlines()[-1])
    assert strict["ssl_redirect"] and strict["session_secure"] and strict["csrf_secure"]
    assert strict["hsts"] >= 31_536_000 and strict["hsts_subdomains"]
    directives = strict["csp"]["DIRECTIVES"]
    assert directives["default-src"] == ["'self'"] and directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]

    relaxed_env = _production(
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="60",
        SESSION_COOKIE_SECURE="0",
        CONTENT_SECURITY_POLICY="default-src 'self'; img-src 'self' https://tiles.example.com",
        CSP_REPORT_ONLY="1",
        AXES_FAILURE_LIMIT="10",
        AXES_COOLOFF_MIN="5",
    )
    relaxed = json.loads(_run(tmp_path, ["-c", PRINT_SETTINGS], **relaxed_env).stdout.splitlines()[-1])
    assert (relaxed["ssl_redirect"], relaxed["hsts"], relaxed["session_secure"]) == (False, 60, False)
    assert relaxed["csp"] is None
    assert relaxed["csp_report_only"]["DIRECTIVES"]["img-src"] == ["'self'", "https://tiles.example.com"]
    assert (relaxed["axes_limit"], relaxed["axes_cooloff_s"]) == (10, 300.0)


@pytest.mark.django_db
def test_our_pages_carry_the_content_security_policy_and_hsts(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000  # as production has it (read when the middleware starts)
    page = client.get("/admin/login/", secure=True)
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    assert (
        "default-src 'self'" in policy and "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    )
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page["X-Frame-Options"] == "DENY"
    api = client.get("/api/v1/health", secure=True)
    assert "Content-Security-Policy" in api


def test_the_container_image_and_compose_file_are_not_the_demo():
    """The Dockerfile never claims to be the demo, so a container without real keys refuses to start;
    docker-compose.yml insists on both keys."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    compose = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"VPP_DEMO\s*[:=]", dockerfile + compose)
    assert "${SECRET_KEY:?" in compose and "${FIELD_ENCRYPTION_KEY:?" in compose
