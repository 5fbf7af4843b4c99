"""A real Celery worker process on the real Redis broker runs our tasks against the test database."""

import pytest

from tests.plugins.celery_worker import wait_for
from vpp.models import Heartbeat
from vpp.tasks import heartbeat


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_heartbeat_task(celery_worker, bob_api):
    assert not Heartbeat.objects.exists()
    heartbeat.delay()
    beat = wait_for(lambda: Heartbeat.objects.filter(name="worker").first(), message="the worker's heartbeat")
    assert beat.hostname
    age = bob_api.get("/api/v1/health").json()["worker_heartbeat_age_s"]
    assert 0 <= age < 60
