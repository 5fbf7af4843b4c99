"""Which URLs a webhook may be sent to: https to a public host, unless WEBHOOK_URL_ALLOW_PRIVATE is on.

A webhook makes our workers POST wherever a subscription says, from inside our network: without this check
an organisation admin could aim it at the metadata service, the database or an admin port (SSRF). So by
default the scheme must be https and every address the host resolves to must be public (not loopback,
private, link-local, reserved or multicast). Checked when a subscription is saved and again before every
attempt (a name may resolve elsewhere later). WEBHOOK_URL_ALLOW_PRIVATE=1 (development and the tests, whose
receiver listens on loopback) allows http and private hosts.

At send time the POST goes through the vendors' guarded transport (vendors.egress, issue 10): it resolves
the host once, checks every address with the same rule and connects to a checked one, so a name that
resolves elsewhere by then (DNS rebinding) gets nowhere.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from vendors.egress import address_is_public


class TargetRefused(Exception):
    """The URL is not one we send to; `code` names the rule."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TargetUnresolved(Exception):
    """The host does not resolve (now): worth another attempt later."""


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise TargetUnresolved(f"{host} does not resolve: {exc}") from None
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def target_check(url: str) -> None:
    """Raise TargetRefused (or TargetUnresolved) unless `url` may receive webhooks."""
    allow_private = settings.WEBHOOK_URL_ALLOW_PRIVATE
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not allow_private):
        raise TargetRefused("https_required", "The URL must use https.")
    if not parts.hostname:
        raise TargetRefused("invalid", "The URL has no host.")
    if parts.username or parts.password:
        raise TargetRefused("credentials_in_url", "The URL must not carry a user or password.")
    if allow_private:
        return
    for address in _addresses(parts.hostname):
        if not address_is_public(address):
            raise TargetRefused(
                "private_host",
                f"{parts.hostname} resolves to {address}, a private, loopback or reserved address.",
            )
