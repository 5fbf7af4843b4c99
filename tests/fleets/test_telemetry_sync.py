"""Realtime telemetry for 1,000 Huawei plants on one account: every plant read once per vendor window (5
vendor minutes, 100 plants a call, ceil(1000/100) = 10 calls per window, NBI V7 9.3.2), the latest values on
the plant and a time series for charts, and not a single 407 from the simulator."""

import time
from datetime import timedelta

import pytest
from django.db.models import Count, Max, Min

from fleets.models import Plant, PlantTelemetry, VendorAccount, VendorCall
from fleets.telemetry import telemetry_sync_account, telemetry_window
from tests.plugins.fleet_sims import plants_from_simulator, vendor_account_on

TICK_S = 0.5  # how often the beat tick would hand out work in this test


def run_beat(account_id: int, seconds: float) -> int:
    """What beat + worker do: a telemetry run per tick. Returns the realtime-KPI calls made."""
    calls, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        calls += telemetry_sync_account(account_id=account_id).calls
        time.sleep(TICK_S)
    return calls


@pytest.mark.django_db(transaction=True)
def test_every_plant_is_refreshed_once_per_vendor_window_without_a_407(huawei_telemetry_sim, bob_api, org):
    sim = huawei_telemetry_sim
    account = vendor_account_on(sim, org)
    plants_from_simulator(sim, account)
    window = telemetry_window(account).total_seconds()  # 5 vendor minutes (+3 %) in real seconds
    windows = 3

    calls = run_beat(account.pk, windows * window + 1.0)

    # Every plant read at least once per window: `windows` readings or more, none missed.
    per_plant = Plant.objects.filter(vendor_account=account).annotate(points=Count("telemetry"))
    assert per_plant.count() == 1000
    assert per_plant.aggregate(m=Min("points"))["m"] >= windows
    # ... and never more often than the vendor allows: at most one call per 100 plants per window.
    assert calls <= 10 * (windows + 1)
    # The last reading of every plant is fresh: well within two windows of the newest one.
    newest = Plant.objects.filter(vendor_account=account).aggregate(m=Max("telemetry_at"))["m"]
    oldest = Plant.objects.filter(vendor_account=account).aggregate(m=Min("telemetry_at"))["m"]
    assert newest - oldest < timedelta(seconds=1.5 * window)
    # Consecutive readings of a plant are a window apart: none early (that would be a 407 waiting to
    # happen), none a whole window late.
    plant = Plant.objects.filter(vendor_account=account).order_by("?").first()
    times = (
        PlantTelemetry.objects.filter(plant=plant)
        .order_by("measured_at")
        .values_list("measured_at", flat=True)
    )
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    assert all(window * 0.95 <= gap < 1.5 * window for gap in gaps), gaps

    stats = sim.control.stats()
    assert stats["totals"]["rate_limited"] == 0
    kpi_requests = sum(
        counters["requests"]
        for per_endpoint in stats["accounts"].values()
        for path, counters in per_endpoint.items()
        if path.endswith("plantRealtimeKpi")
    )
    assert kpi_requests == calls == VendorCall.objects.filter(endpoint__icontains="RealtimeKpi").count()
    print(f"\n1,000 plants, {windows} windows of {window:.2f} s: {calls} realtime-KPI calls, 407s: 0")


@pytest.mark.django_db(transaction=True)
def test_telemetry_matches_the_simulator_and_shows_in_the_api(huawei_telemetry_sim, bob_api, org):
    sim = huawei_telemetry_sim
    account = vendor_account_on(sim, org)
    plants_from_simulator(sim, account)
    outcome = telemetry_sync_account(account_id=account.pk)
    assert (outcome.calls, outcome.plants) == (10, 1000)

    plant = Plant.objects.filter(vendor_account=account).order_by("plant_code").first()
    truth = sim.control.plant(plant.plant_code)
    assert plant.soc_pct == pytest.approx(truth["battery"]["soc"], abs=1.0)
    assert plant.pv_power_w is not None and plant.load_power_w is not None and plant.health

    listed = bob_api.get(f"/api/v1/plants?search={plant.plant_code}").json()["results"][0]
    assert listed["soc_pct"] == plant.soc_pct
    assert listed["telemetry_at"] is not None
    series = bob_api.get(f"/api/v1/plants/{plant.pk}/telemetry").json()["points"]
    assert [p["soc_pct"] for p in series] == [plant.soc_pct]

    # A second run straight away finds nothing due: no call at all.
    assert telemetry_sync_account(account_id=account.pk).calls == 0
    assert sim.control.stats()["totals"]["rate_limited"] == 0


@pytest.mark.django_db(transaction=True)
def test_only_one_worker_reads_an_account_at_a_time(huawei_telemetry_sim, org):
    sim = huawei_telemetry_sim
    account = vendor_account_on(sim, org)
    plants_from_simulator(sim, account)
    from django.utils import timezone

    VendorAccount.objects.filter(pk=account.pk).update(
        telemetry_lease_until=timezone.now() + timedelta(minutes=5)
    )
    assert telemetry_sync_account(account_id=account.pk).claimed is False
    assert not PlantTelemetry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_disabled_and_removed_plants_are_not_read(huawei_telemetry_sim, org):
    sim = huawei_telemetry_sim
    account = vendor_account_on(sim, org)
    plants = plants_from_simulator(sim, account)
    Plant.objects.filter(pk__in=[p.pk for p in plants[:950]]).update(state=Plant.State.DISABLED)
    outcome = telemetry_sync_account(account_id=account.pk)
    assert (outcome.calls, outcome.plants) == (1, 50)
    read = Plant.objects.filter(telemetry_at__isnull=False)
    assert read.aggregate(state=Max("state"))["state"] == "active"


@pytest.mark.django_db
def test_readings_keep_the_vendors_time_but_never_a_future_one_and_the_latest_wins(org):
    from django.utils import timezone

    from fleets.telemetry import telemetry_record
    from tests.factories import PlantFactory, VendorAccountFactory
    from vendors.base import PlantKpi

    account = VendorAccountFactory(organization=org)
    plant = PlantFactory(vendor_account=account)
    now = timezone.now()

    def record(soc, measured_at):
        kpi = PlantKpi(plant.plant_code, soc_pct=soc, measured_at=measured_at)
        telemetry_record(account=account, plant_codes=[plant.plant_code], kpis=[kpi], now=now)

    record(50.0, now + timedelta(hours=1))  # a clock ahead of ours
    record(40.0, now - timedelta(minutes=10))  # an older reading arriving late
    plant.refresh_from_db()
    assert (plant.soc_pct, plant.telemetry_at, plant.telemetry_polled_at) == (50.0, now, now)
    series = PlantTelemetry.objects.filter(plant=plant).order_by("measured_at")
    assert list(series.values_list("soc_pct", flat=True)) == [40.0, 50.0]
