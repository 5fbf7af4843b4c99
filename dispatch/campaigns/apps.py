from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    """Scheduled dispatch campaigns: a Django app of its own inside dispatch/, with its own migrations."""

    name = "dispatch.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"
