from django.db import models


class Heartbeat(models.Model):
    """Last time a process of a kind (worker, beat) proved it was alive; shown by the health endpoint."""

    name = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
