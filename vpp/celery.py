"""The Celery app. Messages carry primary keys only; the database holds the state (DESIGN.md)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpp.settings")

app = Celery("vpp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
