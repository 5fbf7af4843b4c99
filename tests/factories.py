"""factory-boy factories for test data. Plants get realistic codes and batteries."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from fleets.models import Device, Fleet, Membership, Organization, Plant, Vendor, VendorAccount


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Grid operator {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password("correct horse battery staple")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.OPERATOR


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


class VendorAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VendorAccount

    organization = factory.SubFactory(OrganizationFactory)
    vendor = Vendor.HUAWEI
    name = factory.Sequence(lambda n: f"account {n}")
    base_url = "http://127.0.0.1:1"
    username = factory.Sequence(lambda n: f"nbi_user_{n}")
    secret = factory.Sequence(lambda n: f"s3cret-{n}-do-not-leak")


class PlantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plant

    vendor_account = factory.SubFactory(VendorAccountFactory)
    organization = factory.SelfAttribute("vendor_account.organization")
    plant_code = factory.Sequence(lambda n: f"NE={10000000 + n}")
    name = factory.Sequence(lambda n: f"Plant {n}")
    timezone = "Europe/Berlin"
    pv_capacity_kwp = 8.0
    inverter_rated_power_w = 5000
    battery_rated_kwh = 10.0
    battery_usable_kwh = 9.5
    battery_max_charge_w = 5000
    battery_max_discharge_w = 5000
    enrolment_method = Plant.EnrolmentMethod.BOUND


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    plant = factory.SubFactory(PlantFactory)
    dn = factory.Sequence(lambda n: f"NE={20000000 + n}")
    sn = factory.Sequence(lambda n: f"SN{n:08d}")
    device_type = Device.Type.INVERTER


class FleetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fleet

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Fleet {n}")


class CampaignFactory(factory.django.DjangoModelFactory):
    """A weekday 17:00 Berlin discharge campaign; its cursor starts at `now` (pass now= to control it)."""

    class Meta:
        model = "campaigns.Campaign"

    organization = factory.SubFactory(OrganizationFactory)
    fleet = factory.SubFactory(FleetFactory, organization=factory.SelfAttribute("..organization"))
    name = factory.Sequence(lambda n: f"Campaign {n}")
    command_kind = "charge_discharge"
    params = factory.LazyFunction(
        lambda: {"action": "discharge", "control": "duration", "duration_min": 120, "power_w": 3000}
    )
    recurrence_kind = "cron"
    recurrence = "0 17 * * 1-5"
    timezone = "Europe/Berlin"
    start_date = datetime.date(2026, 1, 1)

    @classmethod
    def _create(cls, model_class, *args, now=None, **kwargs):
        from django.utils import timezone

        from dispatch.campaigns.services import campaign_reschedule

        campaign = model_class(*args, **kwargs)
        campaign_reschedule(campaign, now=now or timezone.now())
        campaign.save()
        return campaign


# --- fleets: enrolments and telemetry ----------------------------------------------------------------------


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "fleets.Enrolment"

    vendor_account = factory.SubFactory(VendorAccountFactory)
    organization = factory.SelfAttribute("vendor_account.organization")
    method = "sn"


class EnrolmentItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "fleets.EnrolmentItem"

    enrolment = factory.SubFactory(EnrolmentFactory)
    position = factory.Sequence(lambda n: n)
    sn = factory.Sequence(lambda n: f"HV{n:010d}")
    owner_email = factory.Sequence(lambda n: f"owner_{n}@example.com")


def _now():
    from django.utils import timezone

    return timezone.now()


class PlantTelemetryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "fleets.PlantTelemetry"

    plant = factory.SubFactory(PlantFactory)
    measured_at = factory.LazyFunction(_now)
    soc_pct = 55.0
    battery_power_w = 1200.0
    pv_power_w = 3000.0
    load_power_w = 800.0
    meter_power_w = 1000.0
    health = "ok"


# --- dispatch: jobs and their tasks, written as the service would but never sent -------------------------


def _command_json(job) -> dict:
    from dispatch.engine.codec import command_to_json
    from dispatch.kinds import validate_command

    return command_to_json(validate_command(job.command_kind, job.params)[1])


class DispatchJobFactory(factory.django.DjangoModelFactory):
    """A running charge job with no tasks; add them with DispatchTaskFactory(job=...)."""

    class Meta:
        model = "dispatch.DispatchJob"

    organization = factory.SubFactory(OrganizationFactory)
    command_kind = "charge_discharge"
    params = factory.LazyFunction(
        lambda: {"action": "charge", "control": "soc", "target_soc_pct": 90, "power_w": 3000}
    )
    command = factory.LazyAttribute(_command_json)


class DispatchTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "dispatch.DispatchTask"

    job = factory.SubFactory(DispatchJobFactory)
    plant = factory.SubFactory(
        PlantFactory, vendor_account__organization=factory.SelfAttribute("...job.organization")
    )
    vendor_account = factory.SelfAttribute("plant.vendor_account")


class WebhookSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "webhooks.WebhookSubscription"

    organization = factory.SubFactory(OrganizationFactory)
    url = "https://hooks.example.com/vpp"
    events = factory.LazyFunction(lambda: ["job.created", "job.state_changed", "job.finished", "task.failed"])
    secret = factory.Sequence(lambda n: f"whsec_test_{n}")


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "webhooks.WebhookEvent"

    organization = factory.SubFactory(OrganizationFactory)
    type = "job.finished"
    payload = factory.LazyFunction(lambda: {"job": {"id": 1}})


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "webhooks.WebhookDelivery"

    subscription = factory.SubFactory(WebhookSubscriptionFactory)
    event = factory.SubFactory(
        WebhookEventFactory, organization=factory.SelfAttribute("..subscription.organization")
    )
