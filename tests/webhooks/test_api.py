"""/api/v1/webhooks: admins write, operators replay, every member reads; other organisations get 404;
the secret is shown once and stored encrypted; bad input is a 400 naming the field and writes nothing."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.factories import WebhookSubscriptionFactory
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import webhook_event_emit

HOOKS = "/api/v1/webhooks"
pytestmark = pytest.mark.django_db
GOOD = {"url": "https://8.8.8.8/vpp-hooks", "events": ["job.finished", "task.failed"]}


def test_an_admin_subscribes_and_sees_the_secret_once(alice_api):
    response = alice_api.post(HOOKS, GOOD, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["events"] == ["job.finished", "task.failed"]
    again = alice_api.get(f"{HOOKS}/{body['id']}").json()
    assert "secret" not in again and body["secret"] not in str(alice_api.get(HOOKS).json())
    assert WebhookSubscription.objects.get(pk=body["id"]).secret == body["secret"]


def test_the_secret_is_encrypted_at_rest(alice_api):
    body = alice_api.post(HOOKS, GOOD, format="json").json()
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhooksubscription WHERE id = %s", [body["id"]])
        (stored,) = cursor.fetchone()
    assert body["secret"] not in stored and stored.startswith("gAAAA")  # Fernet


def test_rotating_the_secret_shows_the_new_one_once(alice_api):
    body = alice_api.post(HOOKS, GOOD, format="json").json()
    rotated = alice_api.post(f"{HOOKS}/{body['id']}/rotate-secret").json()
    assert rotated["secret"] != body["secret"]
    assert WebhookSubscription.objects.get(pk=body["id"]).secret == rotated["secret"]


def test_operators_read_but_do_not_subscribe_or_change(bob_api, org):
    subscription = WebhookSubscriptionFactory(organization=org)
    assert bob_api.get(HOOKS).status_code == 200
    assert bob_api.post(HOOKS, GOOD, format="json").status_code == 403
    assert bob_api.patch(f"{HOOKS}/{subscription.pk}", {"active": False}, format="json").status_code == 403
    assert bob_api.delete(f"{HOOKS}/{subscription.pk}").status_code == 403
    assert bob_api.post(f"{HOOKS}/{subscription.pk}/rotate-secret").status_code == 403
    assert WebhookSubscription.objects.get(pk=subscription.pk).active


def test_another_organisation_gets_404_and_changes_nothing(charlie_api, org):
    subscription = WebhookSubscriptionFactory(organization=org)
    delivery_event = webhook_event_emit(organization_id=org.pk, event_type="job.finished", payload={})
    delivery = WebhookDelivery.objects.get(event=delivery_event)
    assert charlie_api.get(HOOKS).json()["results"] == []
    for method, path in [
        ("get", f"{HOOKS}/{subscription.pk}"),
        ("patch", f"{HOOKS}/{subscription.pk}"),
        ("delete", f"{HOOKS}/{subscription.pk}"),
        ("post", f"{HOOKS}/{subscription.pk}/rotate-secret"),
        ("get", f"{HOOKS}/{subscription.pk}/deliveries"),
        ("get", f"{HOOKS}/deliveries/{delivery.pk}"),
        ("post", f"{HOOKS}/deliveries/{delivery.pk}/replay"),
    ]:
        assert getattr(charlie_api, method)(path, {}, format="json").status_code == 404, (method, path)
    assert WebhookSubscription.objects.filter(pk=subscription.pk, active=True).exists()


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({**GOOD, "url": "http://8.8.8.8/hooks"}, "url", "https_required"),
        ({**GOOD, "url": "https://127.0.0.1/hooks"}, "url", "private_host"),
        ({**GOOD, "url": "https://10.1.2.3/hooks"}, "url", "private_host"),
        ({**GOOD, "url": "https://[::1]/hooks"}, "url", "private_host"),
        ({**GOOD, "url": "https://169.254.169.254/latest"}, "url", "private_host"),
        ({**GOOD, "url": "https://localhost/hooks"}, "url", "private_host"),
        ({**GOOD, "url": "https://user:pw@8.8.8.8/hooks"}, "url", "credentials_in_url"),
        ({**GOOD, "url": "ftp://8.8.8.8/x"}, "url", "https_required"),
        ({**GOOD, "url": "not a url"}, "url", "invalid"),
        ({**GOOD, "events": []}, "events", "empty"),
        ({**GOOD, "events": ["job.exploded"]}, "events.0", "invalid_choice"),
        ({"url": GOOD["url"]}, "events", "required"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_the_rule(alice_api, body, field, code):
    response = alice_api.post(HOOKS, body, format="json")
    assert response.status_code == 400
    assert response.json()["fields"][field][0]["code"] == code, response.json()
    assert not WebhookSubscription.objects.exists()


def test_private_targets_are_allowed_only_with_the_flag(alice_api, settings):
    settings.WEBHOOK_URL_ALLOW_PRIVATE = True
    assert (
        alice_api.post(HOOKS, {**GOOD, "url": "http://127.0.0.1:9/hooks"}, format="json").status_code == 201
    )


def test_operators_list_deliveries_and_replay_a_dead_one(bob_api, org):
    subscription = WebhookSubscriptionFactory(organization=org)
    event = webhook_event_emit(organization_id=org.pk, event_type="task.failed", payload={"task": {"id": 1}})
    delivery = WebhookDelivery.objects.get(event=event)
    replay = f"{HOOKS}/deliveries/{delivery.pk}/replay"
    assert bob_api.post(replay).status_code == 409  # still pending: nothing to replay
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="dead", attempts=8, last_error="HTTP 500")

    listed = bob_api.get(f"{HOOKS}/{subscription.pk}/deliveries?state=dead").json()["results"]
    assert [d["id"] for d in listed] == [delivery.pk] and listed[0]["event_type"] == "task.failed"
    answer = bob_api.post(replay)

    assert answer.status_code == 200 and answer.json()["state"] == "pending"
    assert WebhookDelivery.objects.get(pk=delivery.pk).attempts == 0
    detail = bob_api.get(f"{HOOKS}/deliveries/{delivery.pk}").json()
    assert detail["state"] == "pending" and detail["attempt_rows"] == []
    bad = bob_api.get(f"{HOOKS}/{subscription.pk}/deliveries?state=lost")
    assert bad.status_code == 400 and "state" in bad.json()["fields"]


def test_the_admin_replays_dead_deliveries(admin_client, org):
    subscription = WebhookSubscriptionFactory(organization=org)
    event = webhook_event_emit(organization_id=org.pk, event_type="job.finished", payload={"job": {}})
    WebhookDelivery.objects.filter(event=event).update(state="dead")
    delivery = WebhookDelivery.objects.get(event=event)
    page = admin_client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert page.status_code == 200

    response = admin_client.post(
        "/admin/webhooks/webhookdelivery/", {"action": "replay", "_selected_action": [delivery.pk]}
    )

    assert response.status_code == 302
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == "pending"
    assert subscription.deliveries.count() == 1


def test_the_admin_creates_a_subscription_showing_its_secret_once_and_refuses_private_targets(
    admin_client, org
):
    add = "/admin/webhooks/webhooksubscription/add/"
    assert admin_client.get(add).status_code == 200
    refused = admin_client.post(
        add, {"organization": org.pk, "url": "https://127.0.0.1/x", "events": ["job.finished"]}
    )
    assert refused.status_code == 200 and not WebhookSubscription.objects.exists()  # the form, with its error

    response = admin_client.post(
        add,
        {"organization": org.pk, "url": GOOD["url"], "events": ["job.finished"], "active": "on"},
        follow=True,
    )

    subscription = WebhookSubscription.objects.get()
    assert subscription.secret.startswith("whsec_") and subscription.secret in response.content.decode()
    change = admin_client.get(f"/admin/webhooks/webhooksubscription/{subscription.pk}/change/")
    assert change.status_code == 200 and subscription.secret not in change.content.decode()


def test_ids_that_cannot_exist_are_404_not_500(alice_api, org):
    WebhookSubscriptionFactory(organization=org)
    huge = "9" * 30
    assert alice_api.post(f"{HOOKS}/deliveries/{huge}/replay").status_code == 404
    assert alice_api.get(f"{HOOKS}/{huge}").status_code == 404
    assert alice_api.get(f"{HOOKS}/abc").status_code == 404
