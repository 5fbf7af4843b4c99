"""Webhook subscriptions, the event outbox, deliveries and their attempts.

WebhookSubscription  an organisation's target URL, the events it wants and its signing secret (encrypted
                     at rest like vendor secrets, shown once at creation); its lease makes one worker at
                     a time deliver to it, in order
WebhookEvent         the outbox: one row per event, written in the transaction of the state change
WebhookDelivery      one event for one subscription: pending -> delivered | dead (dead-lettered)
WebhookAttempt       one HTTP POST, written before the call and completed after (STYLE 21)
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from fleets.models import Organization
from vpp.fields import EncryptedTextField
from webhooks.events import EVENT_TYPES


class WebhookSubscription(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500, help_text="Where events are POSTed (https in production)")
    events = models.JSONField(default=list, help_text=f"Event types: {', '.join(EVENT_TYPES)}")
    description = models.CharField(max_length=200, blank=True)
    secret = EncryptedTextField(help_text="HMAC-SHA256 signing secret; shown once at creation")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_holder = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["organization", "active"])]

    def __str__(self) -> str:
        return f"webhook {self.pk} -> {self.url}"


class WebhookEvent(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=64, choices=[(k, k) for k in EVENT_TYPES])
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookDelivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"  # due at next_attempt_at, after every earlier pending one
        DELIVERED = "delivered", "Delivered"  # the receiver answered 2xx
        DEAD = "dead", "Dead-lettered"  # out of attempts, or refused (4xx other than 429): replay to resend

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Attempts since creation or replay")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event"], name="webhook_delivery_unique"),
        ]
        indexes = [
            models.Index(fields=["subscription", "state", "id"]),
            models.Index(fields=["state", "next_attempt_at"]),  # the tick's due deliveries
        ]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"delivery {self.pk} of {self.event_id} ({self.state})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True, help_text="Empty: the worker died mid-call")
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.TextField(blank=True)
    duration_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_unique_number"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}: {self.http_status or self.error}"
