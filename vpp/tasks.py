import socket

from celery import shared_task
from django.utils import timezone

from vpp.models import Heartbeat


@shared_task(name="vpp.tasks.heartbeat", ignore_result=True)
def heartbeat() -> None:
    """Scheduled by beat, run by a worker: its row's age tells the health endpoint both are alive."""
    Heartbeat.objects.update_or_create(
        name="worker", defaults={"beat_at": timezone.now(), "hostname": socket.gethostname()}
    )
