"""Beat's enrolment sweep hands orphaned or due enrolments back to a worker, and leaves fresh ones alone."""

import base64
import json
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from fleets.models import Enrolment
from fleets.selectors import enrolments_due
from fleets.tasks import enrolments_resume
from tests.factories import EnrolmentFactory


def _queued_enrolment_ids(client) -> list[int]:
    """The enrolment ids of the fleets.enrolment_run messages waiting in the broker's "sync" queue."""
    ids = []
    for raw in client.lrange("sync", 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == "fleets.enrolment_run":
            args = json.loads(base64.b64decode(message["body"]))[0]
            ids.append(args[0])
    return ids


@pytest.mark.django_db
def test_the_sweep_requeues_orphaned_and_due_enrolments_only():
    now = timezone.now()
    orphaned = EnrolmentFactory(state=Enrolment.State.RUNNING, lease_until=now - timedelta(seconds=5))
    leased = EnrolmentFactory(state=Enrolment.State.RUNNING, lease_until=now + timedelta(minutes=5))
    waiting = EnrolmentFactory(state=Enrolment.State.PENDING, next_attempt_at=now + timedelta(minutes=5))
    fresh = EnrolmentFactory(state=Enrolment.State.PENDING)
    done = EnrolmentFactory(state=Enrolment.State.COMPLETED)
    old = now - timedelta(minutes=3)
    Enrolment.objects.filter(pk__in=[orphaned.pk, leased.pk, waiting.pk, done.pk]).update(created_at=old)

    assert set(enrolments_due(now=now).values_list("pk", flat=True)) == {orphaned.pk, fresh.pk}
    due_old = enrolments_due(now=now, created_before=now - timedelta(minutes=1))
    assert list(due_old.values_list("pk", flat=True)) == [orphaned.pk]

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("sync")
    enrolments_resume()  # what beat runs every minute
    assert _queued_enrolment_ids(client) == [orphaned.pk]
    client.delete("sync")
