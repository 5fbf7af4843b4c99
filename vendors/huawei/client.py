"""HTTP to the Huawei SmartPVMS northbound interface (NBI V7): JSON POSTs, the XSRF-TOKEN header, timeouts,
and bounded retries of transient faults. Nothing else: what the answers mean is the adapter's business.

Every NBI V7 interface is ``POST /rest/openapi/pvms/v1/<name>`` with a JSON body, answered with
``{"success", "failCode", "message", "data"}``; the session token travels in the ``XSRF-TOKEN`` request
header (NBI V7 9.1.1 NOTICE). Transient faults are retried here with exponential backoff (tenacity): HTTP
5xx, connection errors, connections dropped before an answer, timeouts. Anything the vendor *answered*
(any failCode, including 305 and 407) is returned to the caller, never retried here.

A retry may re-send a request the vendor already processed (the connection dropped after it was
handled). Whether that is safe is the adapter's call, per interface; see ``vendors.huawei.adapter``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any

import httpx
import tenacity

from vendors import egress
from vendors.errors import DestinationRefused, TransientError

API_PREFIX = "/rest/openapi/pvms/v1/"
TOKEN_HEADER = "XSRF-TOKEN"  # NBI V7 9.1.1: sent back on every request after login
EXCERPT_CHARS = 2000


@dataclass(frozen=True)
class Reply:
    """One HTTP answer. ``body`` is the JSON object, or None if the answer was not one."""

    http_status: int
    body: dict[str, Any] | None
    text: str
    token: str | None  # XSRF-TOKEN from the response header or cookie (login answers carry it)
    duration_ms: float

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


@dataclass(frozen=True)
class Attempt:
    """One HTTP exchange, successful or not, as handed to ``after_attempt`` (the audit trail)."""

    name: str
    attempt: int
    reply: Reply | None
    error: str
    duration_ms: float


BeforeAttempt = Callable[[int], None]
AfterAttempt = Callable[[Attempt], None]


def _no_cookies() -> CookieJar:
    # The token must travel only as the header we choose: a cookie jar would replay whatever an earlier
    # login set (possibly another process's dead session) on every request.
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class HuaweiClient:
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
        """``max_attempts`` bounds the tries of one request; backoff doubles from ``backoff_initial_s``
        (0.25 + 0.5 + 1 s plus jitter: seconds, well under a minute); ``retry_budget_s`` stops retrying
        once that much time has passed since the first try, so slow timeouts cannot add up.
        ``allow_private_network``: plain http and non-public addresses allowed (simulators; egress)."""
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.retry_budget_s = retry_budget_s
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            cookies=_no_cookies(),
            headers={"Accept": "application/json"},
            transport=egress.transport(allow_private=allow_private_network),
            trust_env=False,  # no proxy: the address connected to must be the one egress checked
        )

    def post(
        self,
        name: str,
        body: dict[str, Any],
        *,
        token: str | None = None,
        before_attempt: BeforeAttempt | None = None,
        after_attempt: AfterAttempt | None = None,
    ) -> Reply:
        """POST ``body`` to interface ``name`` (e.g. ``"vpp/chargeAndDischarge"``) and return the answer.

        ``before_attempt(n)`` runs before every try (the adapter takes a rate-limit slot there; what it
        raises ends the call); ``after_attempt`` gets every exchange, failed ones included.
        Raises ``TransientError`` when every try failed transiently.
        """
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts)
            | tenacity.stop_after_delay(self.retry_budget_s),
            wait=tenacity.wait_exponential(multiplier=self.backoff_initial_s, max=self.backoff_max_s)
            + tenacity.wait_random(0, self.backoff_initial_s),
            retry=tenacity.retry_if_exception_type(TransientError),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                number = attempt.retry_state.attempt_number
                if before_attempt is not None:
                    before_attempt(number)
                return self._exchange(name, body, token, number, after_attempt)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _exchange(
        self, name: str, body: dict[str, Any], token: str | None, number: int, after: AfterAttempt | None
    ) -> Reply:
        headers = {TOKEN_HEADER: token} if token else {}
        started = time.perf_counter()
        reply: Reply | None = None
        error = ""
        try:
            try:
                response = self._http.post(API_PREFIX + name, json=body, headers=headers)
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                error = f"{type(exc).__name__}: {exc}"
                raise TransientError(f"{name}: {error}") from exc
            except DestinationRefused as exc:  # the base URL leads inside: final, recorded, never retried
                error = str(exc)
                raise
            reply = _reply(response, (time.perf_counter() - started) * 1000)
            if response.status_code >= 500:
                error = f"HTTP {response.status_code}"
                raise TransientError(f"{name}: HTTP {response.status_code}")
            if reply.body is None:
                # Not retried here: on the live cloud a 200 with an EMPTY body is a refused login or a
                # stale token (FIELD_NOTES H1, H3), and repeating a wrong password walks the account
                # into the lockout. The caller decides (vendors.huawei.calls); the record says what came.
                error = "empty answer" if not reply.text.strip() else "answer is not a JSON object"
            return reply
        finally:
            if after is not None:
                duration = reply.duration_ms if reply else (time.perf_counter() - started) * 1000
                after(Attempt(name=name, attempt=number, reply=reply, error=error, duration_ms=duration))

    def close(self) -> None:
        self._http.close()


def _reply(response: httpx.Response, duration_ms: float) -> Reply:
    text = response.text
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    # FIELD_NOTES H19: the live cloud sends the token as the header, as a cookie, or both.
    token = response.headers.get("xsrf-token") or response.cookies.get(TOKEN_HEADER)
    return Reply(
        http_status=response.status_code,
        body=parsed if isinstance(parsed, dict) else None,
        text=text,
        token=token or None,
        duration_ms=duration_ms,
    )
