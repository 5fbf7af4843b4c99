"""Vendor error types, raised where they happen and handled where a decision is made (STYLE 6)."""

from __future__ import annotations


class VendorError(Exception):
    """Base of every error an adapter raises."""


class RateLimited(VendorError):
    """No rate-limit slot within the caller's wait budget, or the vendor answered 407 / 10012 anyway.

    `retry_after_s` says when a slot should be free; the caller reschedules rather than hammering.
    """

    def __init__(
        self, message: str = "rate limited", *, retry_after_s: float = 0.0, vendor_said: bool = False
    ):
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.vendor_said = vendor_said  # True when the vendor answered 407: a wasted call, never the goal


class SessionExpired(VendorError):
    """The vendor session is gone (Huawei failCode 305): the adapter logs in again, a bounded few times."""


class AuthFailed(VendorError):
    """Credentials refused (wrong password, locked account, invalid token). Not retried: a person must act."""


class TransientError(VendorError):
    """A fault that may pass: 5xx, a dropped connection, a timeout. Retried with backoff, then raised."""


class VendorRejected(VendorError):
    """The vendor refused the whole request with a code (e.g. 20015 too many plants). Final, never retried."""

    def __init__(self, code: str | int, message: str = ""):
        super().__init__(f"vendor code {code}: {message}" if message else f"vendor code {code}")
        self.code = str(code)
        self.message = message


class DestinationRefused(VendorRejected):
    """The account's base URL leads where vendor calls may not go: plain http, or a host that resolves to a
    loopback, private, link-local or other non-public address (vendors.egress). Final like any rejection: a
    person must fix the account's URL. ``code`` names the rule (``https_required``, ``non_public_address``,
    ...)."""


class VendorAnswerInvalid(VendorRejected):
    """The vendor answered something we cannot read: not JSON, truncated, the wrong type, or a code we do
    not know. Final for the request it answered (never retried blindly); `message` carries the answer."""

    def __init__(self, message: str, *, code: str = "bad_answer"):
        super().__init__(code, message)
