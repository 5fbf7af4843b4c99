"""The toy vendor, end to end through the service: an account made through the API, its plants enrolled by
authorisation code, their telemetry read by the beat, a charge dispatched through the API that completes
and moves the simulator's batteries. It needed its own package and one registration line (CONTRIBUTING.md),
which the last tests prove."""

from __future__ import annotations

import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from dispatch.models import DispatchJob, DispatchTask
from fleets.models import Enrolment, Plant, PlantTelemetry, VendorAccount
from tests.dispatch.engine.conftest import ENGINE_ENV
from tests.plugins.celery_worker import wait_for, worker_env
from tests.toyvendor.spec import SPEC
from vendors import registry

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "tests/toyvendor/"
REGISTRATION = 'os.environ.setdefault("VPP_EXTRA_VENDORS", "tests.toyvendor.spec")'


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_toy_account_enrols_reads_telemetry_and_completes_a_charge(
    start_engine, celery_worker_factory, toy_sim, alice_api, bob_api
):
    created = alice_api.post(
        "/api/v1/vendor-accounts",
        {"name": "Toy", "vendor": SPEC.name, "base_url": toy_sim.base_url, "secret": toy_sim.api_key},
        format="json",
    )
    assert created.status_code == 201, created.content
    account_id = created.json()["id"]
    # The simulator's clock runs 600 times faster: platform staff set that (admin, factories), never the API.
    VendorAccount.objects.filter(pk=account_id).update(clock_speed=toy_sim.speed)
    start_engine(workers=1, concurrency=3, env={"VPP_TELEMETRY_TICK_S": "0.5"})
    celery_worker_factory(name="sync", queues="sync", env=worker_env(**ENGINE_ENV))

    codes = [p["auth_code"] for p in toy_sim.plants().values()]
    body = {"method": "ac", "items": [{"authorization_code": code} for code in codes]}
    response = bob_api.post(f"/api/v1/vendor-accounts/{account_id}/enrolments", body, format="json")
    assert response.status_code == 202, response.content
    enrolment_id = response.json()["id"]
    wait_for(
        lambda: Enrolment.objects.get(pk=enrolment_id).state not in ("pending", "running"),
        timeout_s=120,
        message="the enrolment to finish",
    )
    assert bob_api.get(f"/api/v1/enrolments/{enrolment_id}").json()["succeeded_count"] == 3
    plants = list(Plant.objects.filter(vendor_account_id=account_id).order_by("plant_code"))
    assert [p.plant_code for p in plants] == sorted(toy_sim.plants())
    wait_for(
        lambda: all(
            Plant.objects.get(pk=p.pk).devices.filter(device_type="battery").exists() for p in plants
        ),
        timeout_s=120,
        message="the plants' devices",
    )

    # Telemetry: the beat's tick hands the account out, a worker reads it and stores a reading per plant.
    wait_for(
        lambda: PlantTelemetry.objects.filter(plant__in=plants).values("plant").distinct().count() == 3,
        timeout_s=120,
        message="a reading of every plant",
    )
    before = {code: p["soc"] for code, p in toy_sim.plants().items()}
    for plant in plants:
        plant.refresh_from_db()
        assert plant.soc_pct == pytest.approx(before[plant.plant_code], abs=0.01)  # idle: it has not moved

    # A 30-minute charge at 3 kW: 1.5 kWh into every battery.
    params = {"action": "charge", "control": "duration", "duration_min": 30, "power_w": 3000}
    dispatched = bob_api.post(
        "/api/v1/dispatches",
        {"command": "charge_discharge", "params": params, "plants": [p.pk for p in plants]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="toy-charge",
    )
    assert dispatched.status_code == 201, dispatched.content
    job_id = dispatched.json()["id"]
    wait_for(
        lambda: DispatchJob.objects.get(pk=job_id).state not in DispatchJob.OPEN_STATES,
        timeout_s=180,
        interval_s=0.3,
        message="the charge to finish",
    )
    assert bob_api.get(f"/api/v1/dispatches/{job_id}").json()["state"] == "completed"
    tasks = DispatchTask.objects.filter(job_id=job_id)
    assert {t.state for t in tasks} == {"completed"}
    for task in tasks:
        assert task.charged_kwh == pytest.approx(1.5, abs=0.01), task.plant.plant_code

    after = toy_sim.plants()
    for code, soc in before.items():
        capacity = after[code]["capacity_kwh"]
        assert after[code]["soc"] == pytest.approx(soc + 1.5 / capacity * 100, abs=0.1), code
    # And telemetry sees it: a later reading of each plant shows the battery fuller than before.
    wait_for(
        lambda: all(
            PlantTelemetry.objects.filter(plant=p, soc_pct__gt=before[p.plant_code] + 1).exists()
            for p in plants
        ),
        timeout_s=120,
        message="readings after the charge",
    )
    assert len(toy_sim.control.commands()) == 1  # one request for the three plants, sent once
    assert toy_sim.control.stats()["totals"]["rate_limited"] == 0


def test_the_registry_lists_the_toy_vendor_after_the_built_in_ones():
    assert registry.names()[-1] == SPEC.name
    assert registry.spec(SPEC.name) is SPEC
    assert (SPEC.name, SPEC.label) in registry.choices()


def test_extra_spec_modules_come_after_the_built_in_ones_each_once(monkeypatch):
    monkeypatch.setenv(registry.EXTRA_ENV, " tests.toyvendor.spec, ,tests.toyvendor.spec,vendors.huawei.spec")
    assert registry.spec_modules() == (*registry._SPECS, "tests.toyvendor.spec")


@pytest.mark.django_db
def test_the_toy_vendor_needs_no_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # SystemExit(1) if one were needed
    assert "No changes detected" in out.getvalue()


def _files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return [f for f in listed if (ROOT / f).is_file()]


def test_outside_its_package_the_toy_vendor_is_one_registration_line():
    """Code and configuration only: the documents (*.md) point to it as the worked example."""
    found = []
    for name in _files():
        if name.startswith(PACKAGE) or name.endswith(".md"):
            continue
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if "toyvendor" in line.lower():
                found.append(f"{name}:{number}: {line.strip()}")
    assert len(found) == 1, found
    (only,) = found
    assert only.startswith("tests/plugins/environment.py:") and REGISTRATION in only, found
