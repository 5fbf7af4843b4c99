"""Through the engine: a Growatt answer that is not JSON ends the plant's task with the answer recorded on
the task (vendor_code "bad-answer", the page itself in vendor_message), and the job finishes (FIELD_NOTES
"bad answers"): no unhandled exception in the worker, no retry loop."""

from __future__ import annotations

import pytest

from tests.dispatch.engine.world import add_growatt
from tests.plugins.celery_worker import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_html_answer_ends_the_task_with_the_page_recorded(start_engine, world, growatt_sim, bob_api):
    (plant,) = add_growatt(world, growatt_sim, plants=1)
    # Every read of the storage machine answers an HTML page with HTTP 200.
    growatt_sim.control.bad_answer("html", "/v1/device/storage/storage_last_data", times=1000)
    start_engine(workers=1, concurrency=2)

    body = {
        "command": "charge_discharge",
        "params": {"action": "charge", "control": "duration", "duration_min": 30},
        "fleet": world.fleet(plants=[plant]).pk,
    }
    created = bob_api.post("/api/v1/dispatches", body, format="json", HTTP_IDEMPOTENCY_KEY="bad-answer")
    assert created.status_code == 201, created.content
    url = f"/api/v1/dispatches/{created.json()['id']}"

    def finished():
        return bob_api.get(url).json()["state"] not in ("scheduled", "running")

    wait_for(finished, timeout_s=120, interval_s=0.5, message="the job to finish")
    (task,) = bob_api.get(f"{url}/tasks").json()["results"]
    assert task["state"] == "rejected"
    assert task["vendor_code"] == "bad-answer" and "<html>" in task["vendor_message"], task
    assert growatt_sim.control.commands() == []  # nothing was set
