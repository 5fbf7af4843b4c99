from celery import shared_task

from dispatch.campaigns.services import campaigns_schedule_due


@shared_task(name="campaigns.schedule_due", ignore_result=True, soft_time_limit=120, time_limit=150)
def schedule_due() -> int:
    """Beat calls this every few seconds; several at once are safe (see the services docstring)."""
    return campaigns_schedule_due()
