"""`vendor_account.health_changed`: a wrong Huawei password, seen by the real adapter against the simulator,
reaches a real receiver as one signed event; a second refusal says nothing new; the operator's reset (the
API action) announces the way back to ok. Deliveries run the delivery service directly (test_delivery.py)."""

from __future__ import annotations

import pytest

from fleets.adapters import account_key, adapter_for, health_written, shared_state_store
from fleets.models import VendorAccount, VendorCall
from tests.factories import VendorAccountFactory, WebhookSubscriptionFactory
from vendors import health
from vendors.base import AuthFailed
from webhooks.delivery import deliver_run
from webhooks.models import WebhookDelivery, WebhookEvent
from webhooks.signing import verify

EVENT = "vendor_account.health_changed"
pytestmark = pytest.mark.django_db(transaction=True)


def _deliver_all(subscription) -> None:
    for _ in range(20):
        if deliver_run(subscription_id=subscription.pk, budget_s=10) is None:
            break
    pending = WebhookDelivery.objects.filter(subscription=subscription).exclude(
        state=WebhookDelivery.State.DELIVERED
    )
    assert not pending.exists(), "every delivery settled as delivered"


def _changes(receiver) -> list[tuple[str, str]]:
    return [
        (e["data"]["previous_health"], e["data"]["health"]) for e in receiver.events() if e["type"] == EVENT
    ]


def test_a_refused_password_is_announced_once_and_the_reset_announces_ok(
    alice_api, org, huawei_sim, receiver
):
    username, _password = huawei_sim.accounts[0]
    account = VendorAccountFactory(
        organization=org,
        vendor="huawei",
        base_url=huawei_sim.base_url,
        username=username,
        secret="not-the-password",
        clock_speed=huawei_sim.speed,
    )
    subscription = WebhookSubscriptionFactory(organization=org, url=receiver.url, events=[EVENT])

    with pytest.raises(AuthFailed):
        adapter_for(account).list_plants()
    _deliver_all(subscription)

    assert health.health_read(shared_state_store(), account_key(account)).status == "credentials_refused"
    assert _changes(receiver) == [("ok", "credentials_refused")]
    (request,) = receiver.requests
    assert verify(subscription.secret, request.headers["X-VPP-Signature"], request.body)
    body = request.json["data"]
    assert body["vendor_account"] == {"id": account.pk, "name": account.name, "vendor": "huawei"}
    assert "not-the-password" not in request.body.decode()
    logins = VendorCall.objects.filter(vendor_account=account).count()
    assert logins >= 1

    # The second call is refused here (the record stops every worker): no vendor call, no second event.
    with pytest.raises(AuthFailed):
        adapter_for(account).list_plants()
    _deliver_all(subscription)
    assert VendorCall.objects.filter(vendor_account=account).count() == logins
    assert WebhookEvent.objects.filter(type=EVENT).count() == 1
    assert _changes(receiver) == [("ok", "credentials_refused")]

    response = alice_api.post(f"/api/v1/vendor-accounts/{account.pk}/reset-health")
    assert response.status_code == 200 and response.json()["health"]["status"] == "ok"
    _deliver_all(subscription)

    assert _changes(receiver) == [("ok", "credentials_refused"), ("credentials_refused", "ok")]
    assert all(verify(subscription.secret, r.headers["X-VPP-Signature"], r.body) for r in receiver.requests)
    assert VendorAccount.objects.get(pk=account.pk).health_status == "ok"


def test_processes_that_see_the_same_change_announce_it_once(org, receiver):
    """Two workers that each wrote a rate limit (or read the same record) race on the conditional update:
    one event. A change to another status is announced again."""
    account = VendorAccountFactory(organization=org, vendor="huawei")
    subscription = WebhookSubscriptionFactory(organization=org, url=receiver.url, events=[EVENT])
    store, key = shared_state_store(), account_key(account)

    limited = health.health_rate_limited(store, key, 4_000_000_000, "407 ACCESS_FREQUENCY_IS_TOO_HIGH")
    health_written(store, key, limited)  # a second process announcing what the first already did
    health.health_rate_limited(store, key, 4_000_000_000, "407 again")
    health.health_locked(store, key, 4_000_000_000, "The user is locked.")
    _deliver_all(subscription)

    assert _changes(receiver) == [("ok", "rate_limited"), ("rate_limited", "locked")]
    assert receiver.events()[0]["data"]["detail"] == "407 ACCESS_FREQUENCY_IS_TOO_HIGH"
