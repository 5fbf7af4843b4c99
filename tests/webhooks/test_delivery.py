"""Delivery of webhooks to a real HTTP receiver on loopback: signatures, retries, dead letters, order.

These call the delivery service directly (a Celery worker runs the same function: see
test_dispatch_events.py); the receiver is a real server, the database is PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import WebhookSubscriptionFactory
from webhooks.delivery import deliver_run, due_subscription_ids
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from webhooks.services import webhook_delivery_replay, webhook_event_emit
from webhooks.signing import verify

D = WebhookDelivery.State
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_retries(settings):
    settings.WEBHOOK_RETRY_BASE_S = 0.0  # every retry due at once: the tests drive attempts themselves
    settings.WEBHOOK_TIMEOUT_S = 1.0
    settings.WEBHOOK_MAX_ATTEMPTS = 5
    return settings


def _subscribe(receiver, org, **kwargs):
    return WebhookSubscriptionFactory(organization=org, url=receiver.url, **kwargs)


def _emit(org, n=1, event_type="job.created"):
    return [
        webhook_event_emit(organization_id=org.pk, event_type=event_type, payload={"job": {"id": i}})
        for i in range(n)
    ]


def _deliver_until_settled(subscription, rounds=20):
    for _ in range(rounds):
        if deliver_run(subscription_id=subscription.pk, budget_s=10) is None:
            return
    pytest.fail("deliveries did not settle")


def test_a_receiver_answering_500_three_times_gets_the_event_on_the_fourth_attempt_all_recorded(
    receiver, org, fast_retries
):
    subscription = _subscribe(receiver, org)
    (event,) = _emit(org)
    receiver.answer(500, 500, 500)
    seen_open_attempts = []

    def attempt_row_is_written_before_the_call(request):
        delivery = int(request.headers["X-VPP-Delivery"])
        open_rows = WebhookAttempt.objects.filter(delivery_id=delivery, finished_at__isnull=True)
        seen_open_attempts.append(list(open_rows.values_list("number", flat=True)))

    receiver.on_request = attempt_row_is_written_before_the_call
    _deliver_until_settled(subscription)

    assert not receiver.errors
    assert len(receiver.requests) == 4
    assert seen_open_attempts == [[1], [2], [3], [4]]  # each attempt's row existed, open, during its call
    delivery = WebhookDelivery.objects.get(subscription=subscription, event=event)
    assert delivery.state == D.DELIVERED and delivery.attempts == 4 and delivery.last_status == 200
    attempts = list(delivery.attempt_rows.order_by("number"))
    assert [a.http_status for a in attempts] == [500, 500, 500, 200]
    assert all(a.finished_at is not None and a.duration_ms is not None for a in attempts)
    assert attempts[0].error == "HTTP 500"
    for request in receiver.requests:  # each attempt is signed, afresh, over its exact body
        assert verify(subscription.secret, request.headers["X-VPP-Signature"], request.body)
        assert request.headers["X-VPP-Event-Id"] == str(event.event_id)
        assert request.json["type"] == "job.created" and request.json["data"] == {"job": {"id": 0}}
    assert not verify(
        "another secret", receiver.requests[0].headers["X-VPP-Signature"], receiver.requests[0].body
    )
    assert not verify(subscription.secret, receiver.requests[0].headers["X-VPP-Signature"], b"{}")


def test_a_400_is_not_retried_and_the_delivery_is_dead_lettered(receiver, org, fast_retries):
    subscription = _subscribe(receiver, org)
    _emit(org)
    receiver.answer(400)
    _deliver_until_settled(subscription)

    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.state == D.DEAD and delivery.last_status == 400 and delivery.attempts == 1
    assert "not retried" in delivery.last_error


def test_a_429_waits_at_least_its_retry_after(receiver, org, fast_retries):
    subscription = _subscribe(receiver, org)
    _emit(org)
    receiver.answer((429, {"Retry-After": "120"}))

    wait_s = deliver_run(subscription_id=subscription.pk, budget_s=10)

    assert len(receiver.requests) == 1
    assert wait_s is not None and wait_s > 100
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    attempt = delivery.attempt_rows.get()
    assert delivery.state == D.PENDING and attempt.http_status == 429
    assert delivery.next_attempt_at - attempt.finished_at >= timedelta(seconds=120)


def test_a_timeout_is_retried(receiver, org, fast_retries):
    subscription = _subscribe(receiver, org)
    _emit(org)
    receiver.answer(("sleep", 3))  # longer than WEBHOOK_TIMEOUT_S
    _deliver_until_settled(subscription)

    delivery = WebhookDelivery.objects.get(subscription=subscription)
    first, second = delivery.attempt_rows.order_by("number")
    assert first.http_status is None and "Timeout" in first.error
    assert second.http_status == 200 and delivery.state == D.DELIVERED


def test_after_the_last_attempt_the_delivery_is_dead_and_a_replay_delivers_it(receiver, org, fast_retries):
    subscription = _subscribe(receiver, org)
    _emit(org)
    receiver.answer(*[503] * 5)
    _deliver_until_settled(subscription)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.state == D.DEAD and delivery.attempts == 5 and len(receiver.requests) == 5

    webhook_delivery_replay(delivery=delivery)
    _deliver_until_settled(subscription)

    delivery.refresh_from_db()
    assert delivery.state == D.DELIVERED and delivery.attempts == 1
    assert list(delivery.attempt_rows.values_list("number", "http_status")) == [
        (1, 503), (2, 503), (3, 503), (4, 503), (5, 503), (6, 200),
    ]  # fmt: skip


def test_a_subscriptions_events_go_out_in_order_a_failing_head_holds_the_rest_back(
    receiver, org, fast_retries
):
    fast_retries.WEBHOOK_RETRY_BASE_S = 30.0
    subscription = _subscribe(receiver, org)
    events = _emit(org, n=3)
    receiver.answer(500)

    wait_s = deliver_run(subscription_id=subscription.pk, budget_s=10)

    assert wait_s is not None and wait_s > 20
    assert [r.json["id"] for r in receiver.requests] == [str(events[0].event_id)]  # the others wait
    WebhookDelivery.objects.filter(subscription=subscription).update(next_attempt_at=timezone.now())
    _deliver_until_settled(subscription)
    delivered = [r.json["id"] for r in receiver.requests if r is not receiver.requests[0]]
    assert delivered == [str(e.event_id) for e in events]


def test_only_the_subscribed_events_of_the_own_organisation_are_delivered(
    receiver, org, other_org, fast_retries
):
    subscription = _subscribe(receiver, org, events=["job.finished"])
    _subscribe(receiver, other_org, events=["job.created"])
    assert webhook_event_emit(organization_id=org.pk, event_type="job.created", payload={}) is None
    finished = webhook_event_emit(organization_id=org.pk, event_type="job.finished", payload={"job": {}})
    _deliver_until_settled(subscription)
    assert [r.json["id"] for r in receiver.requests] == [str(finished.event_id)]


def test_an_inactive_subscription_gets_nothing(receiver, org, fast_retries):
    subscription = _subscribe(receiver, org, active=False)
    assert _emit(org) == [None]
    assert deliver_run(subscription_id=subscription.pk) is None
    assert receiver.requests == []


def test_the_request_never_carries_the_secret(receiver, org, fast_retries):
    subscription = _subscribe(receiver, org)
    _emit(org)
    _deliver_until_settled(subscription)
    (request,) = receiver.requests
    assert subscription.secret not in request.body.decode()
    assert not any(subscription.secret in value for value in request.headers.values())


def test_an_attempt_a_dead_worker_left_open_stays_recorded_and_the_event_goes_again_after_its_lease(
    receiver, org, fast_retries
):
    subscription = _subscribe(receiver, org)
    _emit(org)
    delivery = WebhookDelivery.objects.get()
    # A worker claimed the lane, wrote its attempt row, POSTed and died before the answer was recorded.
    WebhookAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now())
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=1)
    lease = WebhookSubscription.objects.filter(pk=subscription.pk)
    lease.update(lease_until=timezone.now() + timedelta(minutes=1), lease_holder="dead worker")

    assert deliver_run(subscription_id=subscription.pk) is None  # its lease still holds the lane
    assert due_subscription_ids() == [] and receiver.requests == []
    lease.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert due_subscription_ids() == [subscription.pk]  # the tick hands it to a worker again
    _deliver_until_settled(subscription)

    assert len(receiver.requests) == 1
    first, second = delivery.attempt_rows.order_by("number")
    assert first.finished_at is None and first.http_status is None  # the trace of the dead worker's call
    assert second.number == 2 and second.http_status == 200
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == D.DELIVERED


def test_a_target_that_is_private_at_send_time_is_refused_and_dead_lettered_unsent(
    receiver, org, fast_retries
):
    subscription = _subscribe(receiver, org)  # saved while private targets were allowed
    _emit(org)
    fast_retries.WEBHOOK_URL_ALLOW_PRIVATE = False
    _deliver_until_settled(subscription)

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.state == D.DEAD and delivery.last_error.startswith("https_required")
    (attempt,) = delivery.attempt_rows.all()
    assert attempt.finished_at is not None and attempt.http_status is None
