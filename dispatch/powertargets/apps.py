from django.apps import AppConfig


class PowerTargetsConfig(AppConfig):
    """Fleet power targets: a Django app of its own inside dispatch/, with its own migrations."""

    name = "dispatch.powertargets"
    label = "powertargets"
    verbose_name = "Power targets"
