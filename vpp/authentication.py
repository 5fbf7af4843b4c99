"""Token authentication whose failures count against the caller's IP (vpp.throttling, scope "anon")."""

from __future__ import annotations

from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed, Throttled

from vpp.throttling import ClientIpThrottle


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's `Authorization: Token <key>`. DRF authenticates before it throttles, so without this a wrong
    token is answered 401 without ever being counted, and guessing tokens would be unlimited."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            throttle = ClientIpThrottle()
            if not throttle.allow_request(request, None):
                raise Throttled(wait=throttle.wait()) from None
            raise
