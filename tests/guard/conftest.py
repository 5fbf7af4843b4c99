"""The world every guard test calls into: one organisation (Acme) with one of each object the API serves,
its admin alice, operator bob and viewer vera, and olga, an admin of another organisation (Rival) that has
objects of its own. Callers are named by role, so a test can say who it is without naming a person."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone
from rest_framework.test import APIClient

from dispatch.powertargets.models import PowerTarget
from fleets.models import Membership
from tests.factories import (
    CampaignFactory,
    DeviceFactory,
    DispatchJobFactory,
    DispatchTaskFactory,
    EnrolmentFactory,
    EnrolmentItemFactory,
    FleetFactory,
    MembershipFactory,
    PlantFactory,
    PlantTelemetryFactory,
    UserFactory,
    VendorAccountFactory,
    WebhookDeliveryFactory,
    WebhookEventFactory,
    WebhookSubscriptionFactory,
    token_for,
)

CALLERS = ("anonymous", "viewer", "operator", "admin", "other_admin")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users get passwords; PBKDF2 costs seconds a test on a busy CPU."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(org, other_org, alice, bob):
    vera = MembershipFactory(
        user=UserFactory(username="vera"), organization=org, role=Membership.Role.VIEWER
    ).user
    olga = MembershipFactory(
        user=UserFactory(username="olga"), organization=other_org, role=Membership.Role.ADMIN
    ).user
    account = VendorAccountFactory(organization=org, name="Acme Huawei")
    plant = PlantFactory(vendor_account=account, name="Acme plant")
    DeviceFactory(plant=plant)
    PlantTelemetryFactory(plant=plant)
    spare = PlantFactory(vendor_account=account, name="Acme spare plant")
    fleet = FleetFactory(organization=org, name="Acme fleet")
    fleet.plants.add(plant)
    enrolment = EnrolmentFactory(vendor_account=account)
    EnrolmentItemFactory(enrolment=enrolment)
    job = DispatchJobFactory(organization=org, created_by=bob, task_count=1)
    DispatchTaskFactory(job=job, plant=plant)
    power_target_job = DispatchJobFactory(organization=org, created_by=bob, task_count=0)
    now = timezone.now()
    PowerTarget.objects.create(
        job=power_target_job, direction="discharge", power_kw=5, duration_min=60, window_start=now,
        window_end=now + timedelta(hours=1),
    )  # fmt: skip
    webhook = WebhookSubscriptionFactory(organization=org)
    webhook_event = WebhookEventFactory(organization=org)
    webhook_delivery = WebhookDeliveryFactory(subscription=webhook, event=webhook_event, state="dead")
    rival_account = VendorAccountFactory(organization=other_org, name="Rival Huawei")
    PlantFactory(vendor_account=rival_account, name="Rival plant")
    return {
        "users": {"viewer": vera, "operator": bob, "admin": alice, "other_admin": olga},
        "account": account,
        "empty_account": VendorAccountFactory(organization=org, name="Acme spare account"),
        "plant": plant,
        "spare": spare,
        "fleet": fleet,
        "campaign": CampaignFactory(organization=org, name="Acme evening"),
        "enrolment": enrolment,
        "job": job,
        "power_target_job": power_target_job,
        "webhook": webhook,
        "webhook_delivery": webhook_delivery,
        "rival_fleet": FleetFactory(organization=other_org, name="Rival fleet"),
    }


def fresh_ip() -> str:
    """An address no other test (or earlier run) used: calls without credentials count per IP, in Redis for
    a minute, and these tests make many."""
    return str(ipaddress.IPv6Address((0x20010DB8 << 96) | uuid.uuid4().int >> 32))


def client_for(world, caller: str) -> APIClient:
    client = APIClient(REMOTE_ADDR=fresh_ip())
    if caller != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(world['users'][caller])}")
    return client


# Every model of ours, so a write we did not expect shows up wherever it lands.
_APPS = ("fleets", "dispatch", "campaigns", "vpp", "webhooks")


def snapshot() -> dict[str, list[dict]]:
    """Every row of every model of ours, as values: equal snapshots mean nothing was written."""
    rows = {}
    for label in _APPS:
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = list(model.objects.order_by("pk").values())
    return rows
