"""Signed, retried, logged webhooks: per-organisation subscriptions to dispatch and vendor-account events.

models      subscriptions, the event outbox, one delivery per (subscription, event), one row per attempt
events      the event types, once
targets     which target URLs are allowed (https, no private or loopback hosts unless told)
signing     the X-VPP-Signature scheme
services    what writes: subscriptions, emitting events into the outbox, replay
hooks       the one-call functions dispatch (and vendor account health) call at each transition
delivery    claim a subscription's lane, send its deliveries in order, record every attempt
tasks       the Celery entry points
"""
