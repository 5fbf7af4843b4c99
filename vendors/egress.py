"""Where vendor HTTP calls may go: https, to a host whose every address is public (issue 10).

An organisation admin chooses an account's base URL, and a worker then connects to it: without a rule that
is a way into our own network (loopback, private ranges, the cloud metadata service at 169.254.169.254).
So a vendor base URL must be https and its host must resolve only to global unicast addresses. It is
checked twice:

- when the account is saved (``check_url``, from the API serializer, the admin form and the model's clean);
- at every new connection (``transport``, used by every vendor HTTP client): the host is resolved once, each
  address checked, and the socket opened to that very address (TLS still verifies the host name), so a name
  that resolved to a public address when saved and to 127.0.0.1 now (DNS rebinding) gets nowhere.

A refusal raises ``DestinationRefused`` (final, never retried). A connection that fails after the check is
one ``httpcore.ConnectError`` with one message whatever happened (refused, timed out, TLS failed), so the
error an account shows cannot tell an open port from a closed one.

``VENDOR_URL_ALLOW_PRIVATE=1`` lifts both rules (plain http and any address): the demo, the tests and the
benches set it for the simulators, which run plain http on 127.0.0.1. Proxy variables (HTTPS_PROXY, ...) are
not used by vendor clients: through a proxy the address connected to would not be the one checked.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from vendors.errors import DestinationRefused

ENV_FLAG = "VENDOR_URL_ALLOW_PRIVATE"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
# 6to4 (RFC 3056) and NAT64 (RFC 6052) addresses carry an IPv4 address that the packet may end up at.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def private_allowed_from_env() -> bool:
    """The flag as the environment says (vendors has no Django settings; vpp.settings reads it too)."""
    return os.environ.get(ENV_FLAG, "").strip().lower() in {"1", "true", "yes", "on"}


def address_is_public(address: Address) -> bool:
    """True only for a global unicast address: not loopback, private (RFC 1918, IPv6 ULA), link-local,
    multicast, reserved, unspecified, shared (CGNAT 100.64/10), site-local, nor an IPv6 address that wraps
    an IPv4 one (mapped, 6to4, NAT64, Teredo) unless the wrapped one is public."""
    if address.is_multicast or address.is_unspecified or address.is_loopback or address.is_link_local:
        return False
    if address.is_private or address.is_reserved or not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local or address.ipv4_mapped is not None:
            return False
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not address_is_public(embedded):
            return False
    return True


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to for a TCP connection (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _refuse_non_public(host: str, addresses: Iterable[str]) -> None:
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
        if not address_is_public(address):
            raise DestinationRefused(
                "non_public_address",
                f"{host} resolves to {address}, which is not a public address: vendor clouds are on the "
                "internet",
            )


def check_url(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> None:
    """Raise DestinationRefused unless ``url`` is an https URL whose host resolves to public addresses only.

    Codes: ``https_required``, ``credentials_in_url``, ``host_required``, ``unresolvable``,
    ``non_public_address``. With ``allow_private`` only the scheme (http or https) and the host are checked.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DestinationRefused("invalid", f"Not a URL: {exc}") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes:
        raise DestinationRefused("https_required", "Vendor URLs must use https.")
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused("credentials_in_url", "Put no user name or password in the URL.")
    host = parts.hostname
    if not host:
        raise DestinationRefused("host_required", "The URL needs a host.")
    if allow_private:
        return
    try:
        addresses = resolver(host, port or 443)
    except (OSError, UnicodeError):
        raise DestinationRefused("unresolvable", f"{host} does not resolve to an address.") from None
    if not addresses:
        raise DestinationRefused("unresolvable", f"{host} does not resolve to an address.")
    _refuse_non_public(host, addresses)


# --- connect time -----------------------------------------------------------------------------------------


class _Stream(httpcore.NetworkStream):
    """A connected socket whose TLS failure reads like any other failure to connect (no port oracle)."""

    def __init__(self, inner: httpcore.NetworkStream, where: str) -> None:
        self._inner, self._where = inner, where

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        try:
            return _Stream(self._inner.start_tls(ssl_context, server_hostname, timeout), self._where)
        except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError):
            raise httpcore.ConnectError(_cannot_connect(self._where)) from None

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _cannot_connect(where: str) -> str:
    return f"could not connect to the vendor at {where}"


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend that resolves the host itself, checks every address and connects to a
    checked one: the address connected to is the address checked."""

    def __init__(self, *, allow_private: bool, resolver: Resolver = resolve) -> None:
        self.allow_private = allow_private
        self._resolver = resolver
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        where = f"{host}:{port}"
        try:
            addresses = self._resolver(host, port)
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            raise httpcore.ConnectError(f"could not resolve the vendor host {host}")
        if not self.allow_private:
            _refuse_non_public(host, addresses)
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout, OSError):
                continue
            return _Stream(stream, where)
        raise httpcore.ConnectError(_cannot_connect(where))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):  # noqa: ANN001
        raise DestinationRefused("unix_socket", "Vendor calls go over TCP only.")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport on the guarded backend, refusing plain http unless private targets are allowed."""

    def __init__(
        self,
        *,
        allow_private: bool,
        limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),  # noqa: B008
        resolver: Resolver = resolve,
    ) -> None:
        super().__init__(limits=limits, trust_env=False)
        self.allow_private = allow_private
        # The pool httpx built is replaced by the same pool on our backend (httpx takes no backend itself).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private=allow_private, resolver=resolver),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.allow_private and request.url.scheme != "https":
            raise DestinationRefused("https_required", "Vendor URLs must use https.")
        return super().handle_request(request)


def transport(*, allow_private: bool, limits: httpx.Limits | None = None) -> GuardedTransport:
    """The transport every vendor HTTP client uses (pass it to ``httpx.Client(transport=...)``)."""
    if limits is None:
        return GuardedTransport(allow_private=allow_private)
    return GuardedTransport(allow_private=allow_private, limits=limits)
