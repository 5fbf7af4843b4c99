"""How a receiver knows a webhook is ours and fresh: HMAC-SHA256 over the timestamp and the body.

Every POST carries
    X-VPP-Timestamp: <unix seconds>
    X-VPP-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<unix seconds>.<raw body>")>
The receiver recomputes the HMAC over the raw body bytes with the subscription's secret, compares in
constant time, and refuses a timestamp too far from its clock (5 minutes here) so a captured request cannot
be replayed later. Each attempt is signed afresh with its own timestamp. (The same shape as Stripe's
`Stripe-Signature`; the scheme is written here, not copied.)
"""

from __future__ import annotations

import hashlib
import hmac
import time

TOLERANCE_S = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """True if `header` (X-VPP-Signature) signs `body` with `secret` and its timestamp is fresh."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_S:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
