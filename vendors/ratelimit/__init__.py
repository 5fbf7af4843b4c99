"""The vendor-call rate limiter shared by every worker process on every machine.

Vendors refuse calls past their documented limits (Huawei answers 407 and the call is wasted), so a
worker books a slot here before every vendor request, keyed by vendor account and endpoint::

    from vendors.ratelimit import HUAWEI_LIMITS, effective_limits, limiter_from_url, rate_key

    limiter = limiter_from_url("redis://127.0.0.1:6379/0")        # or "sqlite:////path/ratelimit.db"
    limits = effective_limits(HUAWEI_LIMITS, overrides=account_overrides, speed=sim_speed)
    limiter.acquire(rate_key("huawei", account_id, "chargeAndDischarge"),
                    limits["chargeAndDischarge"], timeout_s=30)   # RateLimitTimeout past the timeout
    # ... now call the vendor

``reserve`` takes a slot only if one is free now (else returns the wait); ``reserve_earliest`` books the
next free slot and returns how long to wait for it; ``acquire`` is ``reserve_earliest`` plus the sleep.
``take`` (what the vendor adapters use) waits like ``acquire`` but counts the call from when its answer
came back (``Slot.done()``), so a call that reached the vendor late cannot squeeze the next one into the
vendor's window.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from .base import RateLimiter, RateLimitTimeout, RateStats, Slot
from .policy import GROWATT_LIMITS, HUAWEI_LIMITS, huawei_limits
from .redis_limiter import RedisRateLimiter
from .rules import (
    DEFAULT_MARGIN_FRAC,
    DEFAULT_MARGIN_S,
    Limits,
    RateRule,
    effective_limits,
    rate_key,
)
from .sqlite_limiter import SQLiteRateLimiter

_REDIS_SCHEMES = ("redis", "rediss", "unix")


def limiter_from_url(url: str | os.PathLike[str], *, prefix: str | None = None) -> RateLimiter:
    """A limiter for a settings value: ``redis://``, ``rediss://``, ``unix://`` -> Redis; otherwise SQLite.

    SQLite URLs follow dj-database-url: ``sqlite:////abs/path.db`` is absolute, ``sqlite:///var/x.db``
    is relative to the working directory; a bare file path works too. ``prefix`` namespaces the keys
    (tests give each run its own).
    """
    text = os.fspath(url)
    extra = {} if prefix is None else {"prefix": prefix}
    scheme = urlsplit(text).scheme
    if scheme in _REDIS_SCHEMES:
        return RedisRateLimiter(text, **extra)
    if scheme == "sqlite":
        path = text.removeprefix("sqlite://").removeprefix("/")
        if not path or path == ":memory:":
            raise ValueError(f"{text!r}: the SQLite limiter needs a file shared by the processes")
        return SQLiteRateLimiter(path, **extra)
    if scheme and len(scheme) > 1:  # "C:\\..." parses as scheme "c"; anything else is a typo
        raise ValueError(f"{text!r}: expected redis://, rediss://, unix://, sqlite:/// or a file path")
    return SQLiteRateLimiter(text, **extra)


__all__ = [
    "DEFAULT_MARGIN_FRAC",
    "DEFAULT_MARGIN_S",
    "GROWATT_LIMITS",
    "HUAWEI_LIMITS",
    "Limits",
    "RateLimitTimeout",
    "RateLimiter",
    "RateRule",
    "RateStats",
    "RedisRateLimiter",
    "SQLiteRateLimiter",
    "Slot",
    "effective_limits",
    "huawei_limits",
    "limiter_from_url",
    "rate_key",
]
