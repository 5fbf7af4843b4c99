"""Authentication that also counts calls without valid credentials per client IP (vpp.throttling, scope
"anon"). DRF authenticates before it throttles and answers 401 without throttling at all, so without these
a caller could guess tokens, or call without any, as fast as the server answers."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed, Throttled

from vpp.throttling import ClientIpThrottle


def _count_against_the_ip(request) -> None:
    throttle = ClientIpThrottle()
    if not throttle.allow_request(request, None):
        raise Throttled(wait=throttle.wait())


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's `Authorization: Token <key>`; a wrong token counts against the caller's IP before its 401."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            _count_against_the_ip(request)
            raise


class AnonymousCalls(authentication.BaseAuthentication):
    """Last of the authentication classes, so reached only by a call that brought no credentials at all:
    counted against its IP (then anonymous: 401 on every route but the public schema and docs)."""

    def authenticate(self, request):
        _count_against_the_ip(request)
        return None


class AnonymousCallsScheme(OpenApiAuthenticationExtension):
    """For the OpenAPI schema: AnonymousCalls takes no credentials, so it adds no security scheme."""

    target_class = AnonymousCalls
    name: list[str] = []

    def get_security_requirement(self, auto_schema):
        return None

    def get_security_definition(self, auto_schema):
        return []
