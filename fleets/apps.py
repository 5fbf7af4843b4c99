from django.apps import AppConfig


class FleetsConfig(AppConfig):
    name = "fleets"
    verbose_name = "Plants and fleets"

    def ready(self) -> None:
        from fleets.adapters import health_written
        from vendors.health import health_listen

        health_listen(health_written)  # vendor_account.health_changed, once per change
