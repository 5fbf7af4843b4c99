"""HTTP to the Huawei SmartPVMS northbound interface (NBI V7), on the shared vendor HTTP layer
(``vendors.http``: timeouts, bounded retries of transient faults, the record of every exchange). What is
Huawei's lives here: the JSON POSTs, the XSRF-TOKEN header and cookie, the envelope, the empty answers.
What the answers mean is the adapter's business.

Every NBI V7 interface is ``POST /rest/openapi/pvms/v1/<name>`` with a JSON body, answered with
``{"success", "failCode", "message", "data"}``; the session token travels in the ``XSRF-TOKEN`` request
header (NBI V7 9.1.1 NOTICE). Anything the vendor *answered* below HTTP 500 (any failCode, including 305
and 407, an empty body) is returned to the caller, never retried here.

A retry may re-send a request the vendor already processed (the connection dropped after it was
handled). Whether that is safe is the adapter's call, per interface; see ``vendors.huawei.adapter``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx

from vendors.http import Exchange, ExchangeHook, Note, VendorHttp

API_PREFIX = "/rest/openapi/pvms/v1/"
TOKEN_HEADER = "XSRF-TOKEN"  # NBI V7 9.1.1: sent back on every request after login


@dataclass(frozen=True)
class Reply:
    """One HTTP answer. ``body`` is the JSON object, or None if the answer was not one."""

    http_status: int
    body: dict[str, Any] | None
    text: str
    token: str | None  # XSRF-TOKEN from the response header or cookie (login answers carry it)

    @property
    def fail_code(self) -> int | None:
        if self.body is None:
            return None
        code = self.body.get("failCode")
        try:
            return int(code) if code is not None else None
        except (TypeError, ValueError):
            return None

    @property
    def message(self) -> str:
        return str((self.body or {}).get("message") or "")

    @property
    def data(self) -> Any:
        return (self.body or {}).get("data")


BeforeAttempt = Callable[[int], None]
Attempt = Exchange  # what ``after_attempt`` gets: one HTTP exchange, successful or not (the audit trail)


def _no_cookies() -> CookieJar:
    # The token must travel only as the header we choose: a cookie jar would replay whatever an earlier
    # login set (possibly another process's dead session) on every request.
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class HuaweiClient(VendorHttp):
    """One connection pool to one SmartPVMS base URL. Thread-safe (httpx.Client is)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 30.0,
        connect_timeout_s: float = 5.0,
        max_attempts: int = 4,
        backoff_initial_s: float = 0.25,
        backoff_max_s: float = 4.0,
        retry_budget_s: float = 90.0,
        allow_private_network: bool = False,
    ) -> None:
        """Backoff 0.25 + 0.5 + 1 s plus jitter: seconds, well under a minute (``vendors.http``)."""
        super().__init__(
            base_url,
            timeout_s=timeout_s,
            connect_timeout_s=connect_timeout_s,
            max_attempts=max_attempts,
            backoff_initial_s=backoff_initial_s,
            backoff_max_s=backoff_max_s,
            retry_budget_s=retry_budget_s,
            allow_private_network=allow_private_network,
            headers={"Accept": "application/json"},
            cookies=_no_cookies(),
        )

    def post(
        self,
        name: str,
        body: dict[str, Any],
        *,
        token: str | None = None,
        before_attempt: BeforeAttempt | None = None,
        after_attempt: ExchangeHook | None = None,
    ) -> Reply:
        """POST ``body`` to interface ``name`` (e.g. ``"vpp/chargeAndDischarge"``) and return the answer.

        ``before_attempt(n)`` runs before every try (the adapter takes a rate-limit slot there; what it
        raises ends the call); ``after_attempt`` gets every exchange, failed ones included, with ``body``
        as its parameters (the caller's recorder says what of it may be kept).
        Raises ``TransientError`` when every try failed transiently.
        """
        headers = {TOKEN_HEADER: token} if token else {}

        def once(number: int) -> Reply:
            if before_attempt is not None:
                before_attempt(number)
            return self.exchange(
                "POST",
                API_PREFIX + name,
                endpoint=name,
                label=name,
                number=number,
                record_params=body,
                read=_read,
                on_exchange=after_attempt,
                json=body,
                headers=headers,
            )

        return self.with_retries(once)


def _read(response: httpx.Response, note: Note) -> Reply:
    text = response.text
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    # FIELD_NOTES H19: the live cloud sends the token as the header, as a cookie, or both.
    token = response.headers.get("xsrf-token") or response.cookies.get(TOKEN_HEADER)
    reply = Reply(
        http_status=response.status_code,
        body=parsed if isinstance(parsed, dict) else None,
        text=text,
        token=token or None,
    )
    note.secret = reply.token  # a token never reaches the audit trail
    if reply.fail_code is not None:
        note.vendor_code = str(reply.fail_code)
    if reply.body is None:
        # Not retried here: on the live cloud a 200 with an EMPTY body is a refused login or a stale token
        # (FIELD_NOTES H1, H3), and repeating a wrong password walks the account into the lockout. The
        # caller decides (vendors.huawei.calls); the record says what came.
        note.error = "empty answer" if not text.strip() else "answer is not a JSON object"
    return reply
