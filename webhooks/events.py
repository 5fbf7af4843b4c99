"""The event types a subscription can ask for: one table (STYLE 19), the API's choices come from it."""

from __future__ import annotations

EVENT_TYPES: dict[str, str] = {
    "job.created": "A dispatch job was created (scheduled or running)",
    "job.state_changed": "A dispatch job moved from one state to another",
    "job.finished": "A dispatch job ended (completed, partially_completed, failed, cancelled, timed_out)",
    "task.failed": "A plant's task failed or the vendor rejected it (`state` says which), with the vendor's "
    "code and message",
    "vendor_account.health_changed": "A vendor account's health status changed (ok, credentials_refused, "
    "locked, rate_limited, blocked, error), once per change, with the previous one",
}
