from __future__ import annotations

from datetime import datetime

from django.utils import timezone as djtz

from dispatch.campaigns.models import Campaign
from dispatch.campaigns.services import campaign_window


def campaign_next_runs(campaign: Campaign, *, count: int, now: datetime | None = None) -> list[datetime]:
    """The next `count` run times (UTC) inside the campaign's active window; none while it is paused."""
    if not campaign.enabled:
        return []
    start, end = campaign_window(campaign)
    after = max(campaign.scheduled_until, now or djtz.now(), start)
    out = []
    for instant in campaign.schedule.occurrences(after=after, until=end):
        out.append(instant)
        if len(out) >= count:
            break
    return out
