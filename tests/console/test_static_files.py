"""Static files in production form: collectstatic with the manifest storage of settings, served by WhiteNoise
with DEBUG off (as under runserver in `make run` and gunicorn in the image), and no page naming another host.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client, override_settings

from tests.console.conftest import session_for

pytestmark = pytest.mark.django_db
CHART_JS = "console/vendor/chartjs/chart.umd.min.js"
SWAGGER = "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
PRODUCTION_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
ASSET = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    """One collectstatic run with the production storage into a folder of this module's own."""
    root = tmp_path_factory.mktemp("static")
    storages = {**django_settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STORAGE}}
    # override_settings signals the change, so Django drops the storage it built for earlier tests.
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture
def production_static(collected, settings):
    settings.STATIC_ROOT = collected
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STORAGE}}
    settings.DEBUG = False
    return collected


def test_production_settings_serve_static_files_with_whitenoise():
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in django_settings.MIDDLEWARE
    middleware = django_settings.MIDDLEWARE
    # Above every other layer but the security headers (and the /api/ error shape): WhiteNoise answers
    # static files before sessions, CSRF or auth look at them.
    whitenoise = middleware.index("whitenoise.middleware.WhiteNoiseMiddleware")
    assert middleware.index("django.middleware.security.SecurityMiddleware") < whitenoise
    assert whitenoise < middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
    from vpp import settings as module

    assert module.STORAGES["staticfiles"]["BACKEND"] == PRODUCTION_STORAGE  # tests swap it (conftest)


def test_collectstatic_hashes_the_chart_library_and_the_api_docs_assets(production_static):
    manifest = json.loads((production_static / "staticfiles.json").read_text())["paths"]
    for name in (CHART_JS, SWAGGER, "admin/css/base.css", "console/console.css"):
        assert name in manifest, name
        hashed = production_static / manifest[name]
        assert hashed.exists() and Path(f"{hashed}.gz").exists()  # compressed beside it
    chart = (production_static / CHART_JS).read_text()
    assert chart.startswith("/*!\n * Chart.js v4.6.1")  # the npm file, as committed (VERSION beside it)


def test_whitenoise_serves_the_admin_docs_and_console_assets_with_debug_off(production_static, alice):
    client = session_for(alice)
    pages = {
        "/admin/login/": Client().get("/admin/login/"),
        "/api/docs/": client.get("/api/docs/"),
        "/console/": client.get("/console/"),
        "/console/login/": Client().get("/console/login/"),
    }
    seen = set()
    for url, page in pages.items():
        assert page.status_code == 200, url
        for asset in ASSET.findall(page.content.decode()):
            assert not re.match(r"^(https?:)?//", asset), f"{url} loads {asset} from another host"
            if asset.startswith("/static/"):
                answer = client.get(asset)
                assert answer.status_code == 200, asset
                assert "immutable" in answer.headers["Cache-Control"], asset  # hashed name: cached for ever
                seen.add(re.sub(r"\.[0-9a-f]{12}\.", ".", asset))
    assert "/static/admin/css/base.css" in seen
    assert f"/static/{CHART_JS}" in seen
    assert f"/static/{SWAGGER}" in seen


def test_the_api_docs_have_no_inline_script_and_no_public_validator(production_static, alice):
    client = session_for(alice)
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page and "<style>" not in page  # all in static files (CSP 'self')
    script_url = re.search(r'<script src="(/api/docs/\?[^"]*script=[^"]*)"', page).group(1)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert '"validatorUrl": null' in script.content.decode()


def test_console_templates_have_no_inline_script_or_style():
    """Every script and style is a static file, so a Content-Security-Policy of default-src 'self' holds
    (data blocks of json_script are type=application/json, never run)."""
    templates = Path(__file__).resolve().parents[2] / "console" / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert "<style" not in text and " style=" not in text and " on" + "click=" not in text, path
