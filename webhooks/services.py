"""What changes webhook state (Django-Styleguide services): subscriptions, the outbox, replay.

`webhook_event_emit` is the outbox: it writes the event and one delivery per matching subscription in the
caller's transaction (the state change's), and only after the commit asks a worker to deliver. Nothing is
sent from inside a dispatch transaction or a dispatch worker's loop.
"""

from __future__ import annotations

import logging
import secrets

from django.db import transaction
from django.utils import timezone

from vpp.errors import DomainError
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription

log = logging.getLogger(__name__)
D = WebhookDelivery.State


def webhook_secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def webhook_subscription_create(
    *, organization, url: str, events: list[str], description: str = "", active: bool = True, created_by=None
) -> tuple[WebhookSubscription, str]:
    """Create a subscription with a new secret; returns (subscription, secret): the only time it is shown."""
    secret = webhook_secret_new()
    subscription = WebhookSubscription.objects.create(
        organization=organization,
        url=url,
        events=sorted(set(events)),
        description=description,
        active=active,
        secret=secret,
        created_by=created_by,
    )
    return subscription, secret


def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    secret = webhook_secret_new()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(secret=secret)
    return secret


def subscriptions_wanting(organization_id: int, event_type: str) -> list[int]:
    """Active subscriptions of the organisation that asked for this event type (a few rows at most; the
    filter is in Python because SQLite has no JSON containment)."""
    rows = WebhookSubscription.objects.filter(organization_id=organization_id, active=True)
    return [pk for pk, events in rows.values_list("pk", "events") if event_type in (events or [])]


def webhook_event_emit(
    *, organization_id: int, event_type: str, payload: dict, subscription_ids: list[int] | None = None
) -> WebhookEvent | None:
    """Write the event and its deliveries in the current transaction; None if nobody subscribed."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    if subscription_ids is None:
        subscription_ids = subscriptions_wanting(organization_id, event_type)
    if not subscription_ids:
        return None
    now = timezone.now()
    with transaction.atomic():
        event = WebhookEvent.objects.create(organization_id=organization_id, type=event_type, payload=payload)
        WebhookDelivery.objects.bulk_create(
            [WebhookDelivery(subscription_id=pk, event=event, next_attempt_at=now) for pk in subscription_ids]
        )
    from webhooks.delivery import kick_deliver

    transaction.on_commit(lambda: kick_deliver(subscription_ids))
    return event


def webhook_events_prune(*, now=None, batch: int = 5_000) -> int:
    """Delete events older than WEBHOOK_RETENTION_DAYS none of whose deliveries is still pending (their
    deliveries and attempts go with them), a batch at a time. Returns how many events went."""
    from datetime import timedelta

    from django.conf import settings

    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
    old = WebhookEvent.objects.filter(created_at__lt=cutoff).exclude(deliveries__state=D.PENDING)
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:batch]):
        WebhookEvent.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    return deleted


def webhook_delivery_replay(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a dead-lettered (or delivered) event again, with a fresh attempt budget. It keeps its place:
    the subscription's earlier pending deliveries go first, later ones wait for it."""
    replayed = WebhookDelivery.objects.filter(pk=delivery.pk, state__in=(D.DEAD, D.DELIVERED)).update(
        state=D.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
    if not replayed:
        raise DomainError("pending", "This delivery is still pending: it will be sent.", http_status=409)
    from webhooks.delivery import kick_deliver

    subscription_id = delivery.subscription_id
    transaction.on_commit(lambda: kick_deliver([subscription_id]))
    delivery.refresh_from_db()
    return delivery
