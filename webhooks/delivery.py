"""Send a subscription's deliveries in order, one worker at a time, recording every attempt.

A subscription is a lane (like a vendor account's in dispatch.engine.lanes): a worker claims its lease with
a conditional update and sends its pending deliveries oldest first. The head delivery blocks the ones after
it until it is delivered or dead-lettered, so a receiver sees a subscription's events in the order they
were emitted. Each attempt row is written (and committed) before the POST and completed after it: a
worker killed mid-call leaves an open attempt, and the next worker sends again after the lease runs out
(at-least-once: receivers deduplicate on X-VPP-Event-Id).

Outcomes (WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_BASE_S, WEBHOOK_RETRY_MAX_S):
    2xx                                  delivered
    5xx, 429, timeout, connection error  again after a doubling backoff (429: not before its Retry-After),
                                         dead after the last attempt
    other 1xx/3xx/4xx, refused target    dead at once: the receiver said no, asking again will not help
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
import uuid
from datetime import timedelta

import httpx
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from vendors.egress import transport
from vendors.errors import DestinationRefused
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from webhooks.signing import signature
from webhooks.targets import TargetRefused, TargetUnresolved, target_check

log = logging.getLogger(__name__)
D = WebhookDelivery.State
DELIVER_TASK = "webhooks.deliver"
KICK_HORIZON_S = 60.0  # a retry due later than this is picked up by the tick, not an ETA message
USER_AGENT = "vpp-webhooks/1"
EXCERPT_BYTES = 500


def kick_deliver(subscription_ids, *, countdown: float | None = None) -> None:
    # The task by its name: webhooks.tasks imports this module, an import back would be a circle.
    for pk in sorted(set(subscription_ids)):
        try:
            current_app.signature(DELIVER_TASK, args=[pk]).apply_async(countdown=countdown)
        except Exception:  # the broker is down: the tick finds the due delivery again
            log.warning("could not enqueue webhook delivery for subscription %s", pk, exc_info=True)


def _lease_s() -> float:
    return settings.WEBHOOK_LANE_BUDGET_S + 2 * settings.WEBHOOK_TIMEOUT_S + 5


def lane_acquire(subscription_id: int) -> str | None:
    now = timezone.now()
    holder = uuid.uuid4().hex
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    claimed = WebhookSubscription.objects.filter(Q(pk=subscription_id) & free).update(
        lease_until=now + timedelta(seconds=_lease_s()), lease_holder=holder
    )
    return holder if claimed == 1 else None  # another worker got there first


def lane_renew(subscription_id: int, holder: str) -> bool:
    until = timezone.now() + timedelta(seconds=_lease_s())
    mine = WebhookSubscription.objects.filter(pk=subscription_id, lease_holder=holder)
    return mine.update(lease_until=until) == 1


def lane_release(subscription_id: int, holder: str) -> None:
    WebhookSubscription.objects.filter(pk=subscription_id, lease_holder=holder).update(
        lease_until=None, lease_holder=""
    )


def due_subscription_ids(now=None) -> list[int]:
    """Active subscriptions whose head delivery is due and whose lane is free (the tick's work)."""
    now = now or timezone.now()
    free = Q(subscription__lease_until__isnull=True) | Q(subscription__lease_until__lt=now)
    due = WebhookDelivery.objects.filter(
        free, state=D.PENDING, next_attempt_at__lte=now, subscription__active=True
    )
    return sorted(set(due.values_list("subscription_id", flat=True)))


def deliver_run(*, subscription_id: int, budget_s: float | None = None) -> float | None:
    """Deliver what is due for one subscription, in order, for at most `budget_s`. Returns the seconds
    until its head is due again (for the caller to come back), or None when nothing is waiting."""
    budget_s = settings.WEBHOOK_LANE_BUDGET_S if budget_s is None else budget_s
    holder = lane_acquire(subscription_id)
    if holder is None:
        return None
    stop_at = time.monotonic() + budget_s
    try:
        while True:
            subscription = WebhookSubscription.objects.filter(pk=subscription_id, active=True).first()
            head = (
                WebhookDelivery.objects.filter(subscription_id=subscription_id, state=D.PENDING)
                .select_related("event")
                .order_by("pk")
                .first()
            )
            if subscription is None or head is None:
                return None
            wait_s = (head.next_attempt_at - timezone.now()).total_seconds() if head.next_attempt_at else 0
            if wait_s > 0:
                return wait_s
            if time.monotonic() >= stop_at:
                return 0.0
            delivery_attempt(subscription=subscription, delivery=head)
            if not lane_renew(subscription_id, holder):
                return None  # our lease ran out (a very slow receiver): the new holder goes on
    finally:
        lane_release(subscription_id, holder)


def envelope(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    body = {
        "id": str(event.event_id),
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "organization": event.organization_id,
        "data": event.payload,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str).encode()


def _retry_after_s(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:  # an HTTP date (RFC 9110 10.2.3)
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def _excerpt(response: httpx.Response) -> str:
    """The start of the answer for the attempt row; a receiver's huge body is never read whole."""
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= EXCERPT_BYTES:
            break
    return data[:EXCERPT_BYTES].decode("utf-8", "replace")


def _backoff_s(attempts: int) -> float:
    return min(settings.WEBHOOK_RETRY_MAX_S, settings.WEBHOOK_RETRY_BASE_S * 2 ** max(0, attempts - 1))


def delivery_attempt(*, subscription: WebhookSubscription, delivery: WebhookDelivery) -> WebhookAttempt:
    """One POST of one delivery: the attempt row first, then the call, then the outcome."""
    started = timezone.now()
    with transaction.atomic():
        number = (delivery.attempt_rows.aggregate(n=Max("number"))["n"] or 0) + 1
        attempt = WebhookAttempt.objects.create(delivery=delivery, number=number, started_at=started)
        WebhookDelivery.objects.filter(pk=delivery.pk, state=D.PENDING).update(attempts=F("attempts") + 1)
    attempts = delivery.attempts + 1
    body = envelope(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-VPP-Event": delivery.event.type,
        "X-VPP-Event-Id": str(delivery.event.event_id),
        "X-VPP-Delivery": str(delivery.pk),
        "X-VPP-Timestamp": str(timestamp),
        "X-VPP-Signature": signature(subscription.secret, timestamp, body),
    }
    status: int | None = None
    error = ""
    excerpt = ""
    retry = False
    retry_after: float | None = None
    clock = time.monotonic()
    try:
        target_check(subscription.url)
        timeout = httpx.Timeout(settings.WEBHOOK_TIMEOUT_S, connect=min(5.0, settings.WEBHOOK_TIMEOUT_S))
        guarded = transport(allow_private=settings.WEBHOOK_URL_ALLOW_PRIVATE)  # checked at connect too
        with (
            httpx.Client(
                transport=guarded, timeout=timeout, follow_redirects=False, trust_env=False
            ) as client,
            client.stream("POST", subscription.url, content=body, headers=headers) as response,
        ):
            status = response.status_code
            excerpt = _excerpt(response)
        if status == 429 or status >= 500:
            retry = True
            error = f"HTTP {status}"
            retry_after = _retry_after_s(response) if status in (429, 503) else None
        elif not 200 <= status < 300:
            error = f"HTTP {status}: refused, not retried"
    except (TargetRefused, DestinationRefused) as exc:
        error = f"{exc.code}: {exc.message}"
    except (TargetUnresolved, httpx.TransportError) as exc:  # timeouts, refused connections, DNS
        retry = True
        error = f"{type(exc).__name__}: {exc}"
    duration_ms = (time.monotonic() - clock) * 1000
    finished = timezone.now()
    WebhookAttempt.objects.filter(pk=attempt.pk).update(
        finished_at=finished,
        http_status=status,
        error=error[:500],
        response_excerpt=excerpt,
        duration_ms=duration_ms,
    )
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, state=D.PENDING)
    if status is not None and 200 <= status < 300:
        mine.update(state=D.DELIVERED, delivered_at=finished, last_status=status, last_error="")
    elif retry and attempts < settings.WEBHOOK_MAX_ATTEMPTS:
        delay_s = max(_backoff_s(attempts), min(retry_after or 0.0, settings.WEBHOOK_RETRY_MAX_S))
        mine.update(
            next_attempt_at=finished + timedelta(seconds=delay_s), last_status=status, last_error=error[:500]
        )
    else:
        mine.update(state=D.DEAD, last_status=status, last_error=error[:500])
        log.warning("webhook delivery %s dead-lettered after %d attempts: %s", delivery.pk, attempts, error)
    attempt.refresh_from_db()
    return attempt
