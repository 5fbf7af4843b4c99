"""The console in a real browser during a real dispatch.

Headless Chromium (Debian's, through Playwright) logs bob in through the login page, dispatches a charge to
a mixed Huawei + Growatt fleet through the console's form, and watches the live dispatch page while a real
Celery worker and beat send the commands to the vendor simulators over HTTP and poll them until every task
ends. The page must show progress rising to 100 %, its chart redrawn from our JSON endpoint, the plants
the vendors refused with the vendors' reasons, and every request the pages made must stay on loopback.
Every answer carries a strict Content-Security-Policy (tests/plugins/browser.py), and the console must stay
empty of errors: no page of ours needs an inline script or style, or anything from another host.

With VPP_SCREENSHOT_DIR set (scripts/console-screenshots.sh) the screenshots are also saved there for the
README.
"""

from __future__ import annotations

import math
import re
import shutil
from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch.models import DispatchJob, DispatchTask
from fleets.models import PlantTelemetry, VendorCall
from tests.console.conftest import make_power_target
from tests.dispatch.engine.world import add_growatt, add_huawei
from tests.plugins.browser import chromium_page, screenshot_dir, wait_true

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory
DURATION_MIN = 180  # vendor minutes: 18 s at the simulators' 600x, so the page polls the job many times
T = DispatchTask.State


def _seed_telemetry(plants, *, hours: int = 24) -> None:
    """A day of readings every 15 minutes (what the realtime sync would have stored), for the charts."""
    now = timezone.now().replace(second=0, microsecond=0)
    rows = []
    for k, plant in enumerate(plants):
        for step in range(hours * 4):
            at = now - timedelta(minutes=15 * step)
            phase = (step / (hours * 4)) * 2 * math.pi + k / 3
            rows.append(
                PlantTelemetry(
                    plant=plant,
                    measured_at=at,
                    soc_pct=max(5.0, min(100.0, 55 + 35 * math.sin(phase))),
                    battery_power_w=2500 * math.cos(phase),
                    pv_power_w=max(0.0, 4000 * math.sin(phase - 1)),
                    load_power_w=600 + 300 * math.sin(3 * phase),
                )
            )
    PlantTelemetry.objects.bulk_create(rows)


def _save(page, tmp_path, name: str) -> None:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    target = screenshot_dir()
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / f"{name}.png")


@pytest.mark.worker
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_live_dispatch_page_follows_a_real_dispatch_and_loads_nothing_from_another_host(
    live_server, start_engine, world, bob, huawei_sim, growatt_sim, tmp_path
):
    # --- the world: 6 Huawei and 4 Growatt plants from the simulators, two the vendors will refuse ------
    huawei = add_huawei(world, huawei_sim, plants=6)
    growatt = add_growatt(world, growatt_sim, plants=4)
    fleet = world.fleet("Evening peak")
    refused_huawei, refused_growatt = huawei[0], growatt[0]
    huawei_sim.control.no_battery([refused_huawei.plant_code])  # the vendor refuses: no operable battery
    growatt_sim.control.plants_offline([int(refused_growatt.plant_code)])  # collector offline: refused
    _seed_telemetry(world.plants)
    start_engine(workers=1, concurrency=3)
    base = live_server.url

    with chromium_page() as browser:
        page = browser.page
        page.set_default_timeout(60_000)

        # Log in through the login page, sent on to the form that was asked for.
        page.goto(f"{base}/console/dispatches/new/charge_discharge/")
        assert "/console/login/" in page.url
        page.fill("#id_username", "bob")
        page.fill("#id_password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/console/dispatches/new/charge_discharge/$"))

        # The command form, not raw JSON: a duration charge to the fleet.
        page.select_option("#id_fleet", label="Evening peak")
        page.select_option("#id_p_action", "charge")
        page.select_option("#id_p_control", "duration")
        page.fill("#id_p_duration_min", str(DURATION_MIN))
        _save(page, tmp_path, "console-dispatch-form")
        page.click("#command-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/console/dispatches/\d+/$"))
        job_id = int(re.search(r"/dispatches/(\d+)/$", page.url).group(1))

        # A second tab on the dispatch list: its row of the running job follows the job too.
        listing = page.context.new_page()
        listing.goto(f"{base}/console/dispatches/")
        row = f"tr[data-job='{job_id}']"
        listing_initial_state = listing.inner_text(f"{row} [data-role=state]")

        # While the job runs the page polls our endpoint and redraws: progress below 100 % is seen, then
        # at least two redraws later...
        wait_true(
            page, "document.getElementById('dispatch').dataset.state === 'running'", what="a running job"
        )
        wait_true(
            page,
            "Number(document.getElementById('timeline-chart').dataset.updates) >= 3",
            timeout_s=120,
            what="three redraws of the chart",
        )
        running_progress = page.eval_on_selector("#job-progress", "el => el.value")
        running_text = page.inner_text("#job-progress-text")
        assert running_progress < 100, running_text
        page.wait_for_selector("#per-vendor tr[data-vendor='huawei']")
        page.wait_for_selector("#per-vendor tr[data-vendor='growatt']")
        _save(page, tmp_path, "console-dispatch-running")

        # ...the job ends: the page follows it to the end by itself.
        wait_true(
            page,
            "['completed', 'partially_completed', 'failed'].includes("
            "document.getElementById('dispatch').dataset.state)",
            timeout_s=240,
            what="the job to end on the page",
        )
        final_state = page.get_attribute("#dispatch", "data-state")
        final_progress = page.eval_on_selector("#job-progress", "el => el.value")
        final_text = page.inner_text("#job-progress-text")
        updates = int(page.get_attribute("#timeline-chart", "data-updates"))
        # The chart's last point: every task has ended, completed or otherwise.
        last_point = page.evaluate(
            "() => { const c = Chart.getChart('timeline-chart');"
            " return Object.fromEntries(c.data.datasets.map(d => [d.key, d.data.at(-1).y])); }"
        )
        failures = page.eval_on_selector_all(
            "#failures tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))"
        )
        vendor_rows = page.eval_on_selector_all(
            "#per-vendor tbody tr", "rows => rows.map(r => [r.dataset.vendor, r.cells[1].innerText])"
        )
        _save(page, tmp_path, "console-dispatch-finished")
        wait_true(
            listing,
            f"document.querySelector(\"{row}\").dataset.state === '{final_state}'",
            what="the list's row to end",
        )
        listing_pct = listing.inner_text(f"{row} [data-role=pct]")
        listing.close()

        # The other pages, for the README and for the loopback check.
        page.goto(f"{base}/console/")
        wait_true(page, "window.Chart && Chart.getChart('power-chart') !== undefined", what="the power chart")
        power_points = page.evaluate("Chart.getChart('power-chart').data.datasets[0].data.length")
        _save(page, tmp_path, "console-fleet")
        page.goto(f"{base}/console/plants/{huawei[1].pk}/")
        wait_true(page, "window.Chart && Chart.getChart('telemetry-chart') !== undefined", what="the chart")
        history = page.inner_text("table >> nth=0")
        _save(page, tmp_path, "console-plant")
        page.goto(f"{base}/console/vendor-accounts/")
        calls_shown = page.eval_on_selector_all(
            "[data-stat='calls']", "els => els.map(e => Number(e.innerText))"
        )
        _save(page, tmp_path, "console-vendor-accounts")
        page.goto(f"{base}/api/docs/")
        page.wait_for_selector(".swagger-ui .info", timeout=60_000)
        page.goto(f"{base}/admin/login/")
        admin_css = page.evaluate("getComputedStyle(document.getElementById('header')).backgroundColor")

        requests = list(browser.requests)
        off_loopback = browser.off_loopback()
        console_errors = list(browser.console_errors)

    # --- what the user saw, checked against the database ------------------------------------------------
    job = DispatchJob.objects.get(pk=job_id)
    assert job.created_by == bob and job.fleet == fleet
    assert job.params == {"action": "charge", "control": "duration", "duration_min": DURATION_MIN}
    assert final_state == job.state == DispatchJob.State.PARTIALLY_COMPLETED
    assert final_progress == 100 and final_text == f"{job.task_count} of {job.task_count} tasks ended (100 %)"
    assert updates >= 4  # redrawn while running and once more when it ended
    assert listing_initial_state == "running" and listing_pct == "100"  # the list followed without a reload
    completed = DispatchTask.objects.filter(job=job, state=T.COMPLETED).count()
    assert completed == job.task_count - 2
    assert last_point == {"completed": completed, "with_vendor": 0, "waiting": 0, "ended_otherwise": 2}
    assert sorted(vendor_rows) == [["growatt", "4 of 4"], ["huawei", "6 of 6"]]
    refused = {t.plant_id: t for t in DispatchTask.objects.filter(job=job).exclude(state=T.COMPLETED)}
    assert set(refused) == {refused_huawei.pk, refused_growatt.pk}
    assert len(failures) == 2
    for task in refused.values():
        assert task.vendor_message  # the vendor said why
        row = next(r for r in failures if r[0] == (task.plant.name or task.plant.plant_code))
        assert row[2] == task.state and row[3] == task.vendor_code and row[4] == task.vendor_message

    assert power_points == 96  # 24 h of telemetry at 15 minutes
    assert f"#{job_id}" in history
    assert (
        sum(calls_shown) == VendorCall.objects.filter(vendor_account__organization=world.organization).count()
    )
    assert admin_css not in ("", "rgba(0, 0, 0, 0)")  # the admin's stylesheet was served: it is styled

    # Nothing any page loaded came from another host; the static files came from us.
    assert requests, "the browser recorded no request"
    assert off_loopback == []
    assert any("/static/console/vendor/chartjs/chart.umd.min.js" in url for url in requests)
    assert any(
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in url for url in requests
    )
    assert console_errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_power_target_page_draws_target_planned_measured_and_baseline_power(
    live_server, acme, org, bob, tmp_path
):
    # A power target half way through its window, from factories and telemetry rows (no dispatch needed).
    target = make_power_target(org=org, fleet=acme["fleet"], plants=acme["plants"][:3], user=bob)
    base = live_server.url
    with chromium_page() as browser:
        page = browser.page
        page.set_default_timeout(60_000)
        page.goto(f"{base}/console/dispatches/{target.job_id}/")
        page.fill("#id_username", "bob")
        page.fill("#id_password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(re.compile(rf".*/console/dispatches/{target.job_id}/$"))
        # Drawn from the page's data, then redrawn by the poll.
        wait_true(
            page,
            "Number(document.getElementById('power-chart').dataset.updates) >= 2",
            what="the power chart drawn and redrawn by the poll",
        )
        datasets = page.evaluate(
            "() => Chart.getChart('power-chart').data.datasets.map(d => [d.label, d.data.length])"
        )
        measured = page.evaluate(
            "() => Chart.getChart('power-chart').data.datasets.find(d => d.key === 'measured_kw')"
            ".data.slice(0, 6).map(p => p.y)"
        )
        outcome = page.inner_text("#delivery-outcome")
        energy = page.inner_text("#delivery-energy")
        plants = page.inner_text("#delivery-plants")
        params = page.inner_text("#power-target-params")
        _save(page, tmp_path, "console-power-target")
        off_loopback = browser.off_loopback()
        requests = list(browser.requests)
        console_errors = list(browser.console_errors)

    # Four lines, each a point per interval so far (six over, one under way) and one at the last one's end.
    assert datasets == [["target", 8], ["planned", 8], ["measured", 8], ["baseline", 8]]
    assert measured == [15.0] * 6
    assert outcome == "delivering" and energy == "7.5 of 15 kWh"
    assert plants.startswith("3 of 3")
    assert params.startswith("Discharge 15 kW in total for 60 min")
    assert any(f"/console/dispatches/{target.job_id}/progress.json" in url for url in requests)
    assert off_loopback == []
    assert console_errors == []
