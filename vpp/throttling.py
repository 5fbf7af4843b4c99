"""API throttles (README "Settings": API_THROTTLE_TOKEN_RATE, API_THROTTLE_ANON_RATE, API_NUM_PROXIES).

- scope "token": per API token (per user for a session login), for every authenticated call
  (TokenRateThrottle, DRF's DEFAULT_THROTTLE_CLASSES);
- scope "anon": per client IP, for every call without valid credentials: none (the public schema and docs,
  and 401s elsewhere) or a wrong token. vpp.authentication counts those (ClientIpThrottle) while it
  authenticates, because DRF answers 401 before its throttles run, so guessing tokens is throttled too.

Past the rate the answer is a JSON 429 with Retry-After (RFC 6585 section 4). Counts live in the "throttle"
cache: Redis when REDIS_URL is set, so every web process shares them; one process's memory otherwise.
The rates are read at each request (not when the module is imported, as DRF's own classes do), so a
changed setting takes effect at once.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import caches
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

log = logging.getLogger(__name__)


class _Throttle(SimpleRateThrottle):
    def __init__(self):
        self.cache = caches["throttle"]
        super().__init__()

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except Exception:  # noqa: BLE001 - the counter store being down must not take the API down
            log.warning("throttle %s: cache unavailable, request let through", self.scope, exc_info=True)
            return True

    def wait(self):
        """Seconds until this caller's next call is let through: when enough of the calls in the window
        have left it. (DRF's own estimate is None, so no Retry-After, when the rate was lowered below the
        calls already counted.) At least 1: Retry-After is whole seconds, and 0 would invite a retry storm."""
        history = self.history  # newest first, all inside the window
        if len(history) < self.num_requests:
            return 1.0
        return max(1.0, history[self.num_requests - 1] + self.duration - self.now)


class TokenRateThrottle(_Throttle):
    scope = "token"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        if isinstance(request.auth, Token):
            # A digest, not the token itself: cache keys are not secrets' place.
            ident = "t" + hashlib.sha256(request.auth.key.encode()).hexdigest()[:40]
        else:
            ident = f"u{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ClientIpThrottle(_Throttle):
    """Counts per client IP (API_NUM_PROXIES says whether X-Forwarded-For is read); it touches no
    request.user, so authentication itself may consult it."""

    scope = "anon"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
