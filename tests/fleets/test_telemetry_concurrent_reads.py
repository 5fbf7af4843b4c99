"""A vendor whose telemetry batch is read plant by plant (Growatt: one storage_last_data / last_new_data per
SN, limited only per identical request) has its batch read by `read_concurrency` threads at once, against the
simulator over HTTP. Overlap is counted by the simulator (requests in flight, now and at peak), never timed:
the test must hold on a loaded machine. Results stay in the order asked, each on its own plant, every call
is logged with its telemetry attribution, and no thread leaves a database connection open."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from fleets.models import Plant, VendorCall
from fleets.telemetry import _read_kpis, telemetry_read_concurrency, telemetry_sync_account
from tests.factories import PlantFactory, VendorAccountFactory
from vendors import registry
from vendors.base import PlantKpi
from vendors.errors import RateLimited

HELD = ["last_data", "last_new_data"]  # every per-SN realtime read (4.3.13, 4.3.8, the hybrids' *_last_data)


def _wait_for(condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the condition did not come true in time")
        time.sleep(0.05)


def _db_connections() -> int:
    """Django's connections to the test database: all but the vendor state store's, a pool of its own
    (at most a few idle a store, vendors.state) that only ever queries its table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query NOT LIKE '%%vendor_state%%'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_batch_read_plant_by_plant_goes_read_concurrency_plants_at_a_time(growatt_sim, org):
    sim = growatt_sim
    sim.control.set_speed(0)  # SOCs stand still: each plant's reading can be checked against the truth
    account = VendorAccountFactory(
        organization=org, vendor="growatt", base_url=sim.base_url, secret=sim.tokens[0], clock_speed=sim.speed
    )
    truth = {str(p["plant_id"]): p for p in sim.control.plants(enrolled=True, account="account-1")}
    assert len(truth) >= 8
    Plant.objects.bulk_create(
        [PlantFactory.build(vendor_account=account, plant_code=code, timezone=p["timezone"])
         for code, p in truth.items()]
    )  # fmt: skip
    k = telemetry_read_concurrency(account)
    assert k == registry.spec("growatt").read_concurrency > 1

    # Every realtime read waits in the simulator until released: k of them get there, one a thread.
    sim.control.set_faults(hold=True, paths=HELD)
    outcomes: list = []
    before = _db_connections()
    run = threading.Thread(target=_sync_and_close, args=(account.pk, outcomes))
    run.start()
    try:
        _wait_for(lambda: sim.control.stats()["in_flight"]["now"] == k)
    finally:
        sim.control.clear_faults()  # releases the held requests
        run.join(timeout=120)
    assert not run.is_alive()

    (outcome,) = outcomes
    assert (outcome.calls, outcome.plants, outcome.error) == (1, len(truth), "")
    stats = sim.control.stats()
    assert stats["in_flight"]["peak"] == k  # never more than the pool: one request a thread at a time
    assert stats["totals"]["rate_limited"] == 0
    with_battery = [code for code, p in truth.items() if p["has_battery"]]
    assert with_battery
    for plant in Plant.objects.filter(vendor_account=account, plant_code__in=with_battery):
        assert plant.soc_pct == pytest.approx(truth[plant.plant_code]["soc"], abs=0.06), plant.plant_code
    # Every exchange is in the call log, attributed to the telemetry run (the threads got its context).
    reads = VendorCall.objects.filter(vendor_account=account, endpoint__contains="last_")
    sent = sum(n["requests"] for path, n in stats["accounts"]["account-1"].items() if "last_" in path)
    assert reads.count() == sent >= len(truth)
    assert all(context == {"telemetry": account.pk} for context in reads.values_list("context", flat=True))
    # The threads closed their connections: none is left behind, batch after batch.
    assert _db_connections() <= before
    for _ in range(2):
        sim.control.advance(301)  # past the vendor's 5-minute repeat rule (its clock stands still)
        Plant.objects.filter(vendor_account=account).update(telemetry_polled_at=None)
        assert telemetry_sync_account(account_id=account.pk).plants == len(truth)
    assert _db_connections() <= before


def _sync_and_close(account_id: int, outcomes: list) -> None:
    try:
        outcomes.append(telemetry_sync_account(account_id=account_id))
    finally:
        connections.close_all()


class _Adapter:
    """Answers slice by slice: the first slice last (its thread waits until the others are back), and a
    slice holding a plant named in ``fail`` raises that plant's error."""

    def __init__(self, slices: int, fail: dict[str, Exception] | None = None) -> None:
        self.others_done = threading.Barrier(slices)
        self.fail = fail or {}

    def realtime_kpis(self, plant_codes):
        first = plant_codes[0] == "p00"
        if not first:
            self.others_done.wait(timeout=30)
        else:
            self.others_done.wait(timeout=30)
            time.sleep(0.05)  # the last to return
        for code in plant_codes:
            if code in self.fail:
                raise self.fail[code]
        return [PlantKpi(code, soc_pct=float(code[1:])) for code in plant_codes]


def test_slices_come_back_in_the_order_asked_whichever_finishes_first():
    codes = [f"p{i:02d}" for i in range(10)]
    kpis = _read_kpis(_Adapter(4), codes, 4)
    assert [kpi.plant_code for kpi in kpis] == codes


def test_the_first_failed_slices_error_is_raised_once_every_slice_is_back():
    codes = [f"p{i:02d}" for i in range(10)]
    first, later = RateLimited("slice 2", retry_after_s=1.0), RateLimited("slice 4", retry_after_s=2.0)
    with pytest.raises(RateLimited) as raised:
        _read_kpis(_Adapter(4, fail={"p03": first, "p09": later}), codes, 4)
    assert raised.value is first


def test_a_vendor_without_a_read_concurrency_reads_its_batch_in_one_call():
    assert registry.spec("huawei").read_concurrency == 1
    calls = []

    class One:
        def realtime_kpis(self, plant_codes):
            calls.append(list(plant_codes))
            return [PlantKpi(code) for code in plant_codes]

    codes = [f"p{i:02d}" for i in range(100)]
    assert [k.plant_code for k in _read_kpis(One(), codes, 1)] == codes
    assert calls == [codes]
