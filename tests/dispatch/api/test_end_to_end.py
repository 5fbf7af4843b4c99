"""Through the API, end to end: POST a charge to a mixed fleet, a real Celery worker sends it to the vendor
simulators over HTTP, and GET /api/v1/dispatches/{id} shows the outcome plant by plant.

It also pins the choice made in dispatch.commands for plant-dependent limits: a charge to 90 % is valid
for the request (Huawei takes 0-100 %, NBI V7 9.3.4), so it is a 201, and the Growatt plants, whose
AC-charge SOC limit is 10-80 % (Growatt 4.3.12), end `rejected` with the reason, not the whole request.
"""

from __future__ import annotations

import pytest

from dispatch.models import DispatchTask
from tests.dispatch.engine.world import add_growatt, add_huawei, huawei_soc
from tests.plugins.celery_worker import wait_for

T = DispatchTask.State


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_charge_posted_to_the_api_completes_on_huawei_and_is_rejected_per_growatt_plant(
    start_engine, world, huawei_sim, growatt_sim, bob_api
):
    huawei = add_huawei(world, huawei_sim, plants=12)
    growatt = add_growatt(world, growatt_sim, plants=3)
    fleet = world.fleet()
    start_engine(workers=1, concurrency=2)

    body = {
        "command": "charge_discharge",
        "params": {"action": "charge", "control": "soc", "target_soc_pct": 90, "power_w": 5000},
        "fleet": fleet.pk,
    }
    created = bob_api.post("/api/v1/dispatches", body, format="json", HTTP_IDEMPOTENCY_KEY="e2e-charge-90")
    assert created.status_code == 201, created.content
    url = f"/api/v1/dispatches/{created.json()['id']}"

    def finished():
        return bob_api.get(url).json()["state"] not in ("scheduled", "running")

    wait_for(finished, timeout_s=240, interval_s=0.5, message="the job to finish")
    job = bob_api.get(url).json()

    assert job["state"] == "partially_completed"
    assert job["counts"]["by_state"]["completed"] == len(huawei)
    assert job["counts"]["by_state"]["rejected"] == len(growatt)
    assert job["counts"]["open"] == 0
    tasks = bob_api.get(f"{url}/tasks?vendor=growatt").json()["results"]
    assert {t["state"] for t in tasks} == {"rejected"}
    assert all("10-80" in t["vendor_message"] for t in tasks), tasks
    # The simulated batteries really got there.
    assert all(huawei_soc(huawei_sim, plant) >= 89.5 for plant in huawei)
    # A retry of the POST (same key, same body) is the same job, even after it finished.
    again = bob_api.post("/api/v1/dispatches", body, format="json", HTTP_IDEMPOTENCY_KEY="e2e-charge-90")
    assert again.status_code == 200 and again.json()["id"] == job["id"]
