"""The one HTTP layer under every vendor client (STYLE 22): timeouts, retries of transient faults only, and
the call observer that records each exchange. What an answer *means* is each vendor client's business.

- ``VendorHttp`` owns one connection pool to one base URL, always through ``vendors.egress`` (https and
  public addresses only, unless the account allows private ones: the simulators) and never through a proxy.
  Every request has explicit connect and read timeouts (STYLE 15).
- ``VendorHttp.with_retries`` runs one try after another (tenacity): only a ``TransientError`` is tried
  again, at most ``max_attempts`` times, with exponential backoff and jitter, and no retry STARTS once
  ``retry_budget_s`` (or a smaller budget the caller gives) has passed since the first try; the backoff
  shrinks to fit a small budget. Anything else ends the call at once.
- ``VendorHttp.exchange`` sends one request. A timeout, a dropped or refused connection, a connection
  closed before an answer and an HTTP 5xx are ``TransientError``; a destination ``vendors.egress`` refuses
  is final. Any other answer is handed to the vendor client's ``read``, which returns what the answer says
  or raises, and notes in ``Note`` what the record should say (the vendor's code, what was wrong, a session
  token the excerpt must hide).
- Every exchange, failed ones included, is reported once as an ``Exchange`` (never a secret: parameters
  are the caller's to choose, and the excerpt hides ``Note.secret``). ``recorder`` turns them into the
  ``CallRecord``s the adapter's observer receives (the audit trail, STYLE 14); an observer that fails is
  logged and never breaks the call it records.

A retry may re-send a request the vendor already processed (the connection dropped after it was handled):
``Exchange.number`` and the number passed to each try say which try it is; whether a repeat is safe is the
vendor package's call, per interface.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import tenacity

from vendors import egress
from vendors.base import CallObserver, CallRecord
from vendors.errors import DestinationRefused, TransientError

log = logging.getLogger(__name__)

EXCERPT_CHARS = 2000  # how much of an answer a record keeps (CallRecord.response_excerpt)
REDACTED = "***"

T = TypeVar("T")


@dataclass
class Note:
    """What the record of one exchange says beyond its status and timing; the vendor's ``read`` fills it."""

    vendor_code: str | None = None
    error: str = ""  # what was wrong, also when the answer is returned all the same
    secret: str | None = None  # a value (a session token) the excerpt must never show


@dataclass(frozen=True)
class Exchange:
    """One HTTP exchange, successful or not, as reported to the ``on_exchange`` hook."""

    endpoint: str
    method: str
    number: int  # 1 for the first try; more: an earlier try may have reached the vendor
    params: Mapping[str, Any]
    http_status: int | None
    vendor_code: str | None
    duration_ms: float
    error: str = ""
    excerpt: str = ""


ExchangeHook = Callable[[Exchange], None]
Read = Callable[[httpx.Response, Note], T]


class VendorHttp:
    """One connection pool to one vendor base URL. Thread-safe (httpx.Client is)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float,
        connect_timeout_s: float,
        max_attempts: int,
        backoff_initial_s: float,
        backoff_max_s: float,
        retry_budget_s: float,
        allow_private_network: bool,
        headers: Mapping[str, str] | None = None,
        cookies: Any = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        """``max_attempts`` bounds the tries of one request; backoff doubles from ``backoff_initial_s`` up
        to ``backoff_max_s``; ``retry_budget_s`` bounds the time in which a retry may start, so slow
        timeouts cannot add up. ``allow_private_network``: plain http and non-public addresses (egress)."""
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.retry_budget_s = retry_budget_s
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            headers=dict(headers or {}),
            cookies=cookies,
            transport=egress.transport(allow_private=allow_private_network, limits=limits),
            trust_env=False,  # no proxy: the address connected to must be the one egress checked
        )

    def with_retries(self, once: Callable[[int], T], *, budget_s: float | None = None) -> T:
        """``once(n)`` for n = 1, 2, ... while it raises ``TransientError`` and the bounds allow; its result,
        or the last error. ``budget_s`` narrows the retry budget for this call (never widens it)."""
        budget = self.retry_budget_s if budget_s is None else min(budget_s, self.retry_budget_s)
        initial = min(self.backoff_initial_s, budget / 10)
        wait = tenacity.wait_exponential(
            multiplier=initial, max=min(self.backoff_max_s, budget / 3)
        ) + tenacity.wait_random(0, initial)
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts) | tenacity.stop_before_delay(budget),
            wait=wait,
            retry=tenacity.retry_if_exception_type(TransientError),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return once(attempt.retry_state.attempt_number)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def exchange(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        label: str,
        number: int,
        record_params: Mapping[str, Any],
        read: Read[T],
        on_exchange: ExchangeHook | None,
        **request: Any,
    ) -> T:
        """Send one request (``request``: httpx's ``json=``, ``data=``, ``params=``, ``headers=``) and return
        ``read(response, note)``. Transient faults raise ``TransientError`` (its message starts with
        ``label``); the exchange is reported to ``on_exchange`` whatever happens, showing ``record_params``
        as its parameters."""
        started = time.perf_counter()
        note = Note()
        response: httpx.Response | None = None
        try:
            try:
                response = self._http.request(method, path, **request)
            except httpx.TimeoutException as exc:
                note.error = f"timeout: {type(exc).__name__}"
                raise TransientError(f"{label}: {note.error}") from exc
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                note.error = f"connection: {type(exc).__name__}: {exc}"
                raise TransientError(f"{label}: {note.error}") from exc
            except DestinationRefused as exc:  # the base URL leads inside: final, recorded, never retried
                note.error = str(exc)
                raise
            if response.status_code >= 500:
                note.error = f"HTTP {response.status_code}"
                raise TransientError(f"{label}: {note.error}")
            return read(response, note)
        finally:
            if on_exchange is not None:
                excerpt = response.text[:EXCERPT_CHARS] if response is not None else ""
                if note.secret:
                    excerpt = excerpt.replace(note.secret, REDACTED)
                on_exchange(
                    Exchange(
                        endpoint=endpoint,
                        method=method,
                        number=number,
                        params=record_params,
                        http_status=response.status_code if response is not None else None,
                        vendor_code=note.vendor_code,
                        duration_ms=(time.perf_counter() - started) * 1000,
                        error=note.error,
                        excerpt=excerpt,
                    )
                )

    def close(self) -> None:
        self._http.close()


def recorder(
    observer: CallObserver | None,
    *,
    account_key: str,
    request_id: str | None,
    targets: tuple[str, ...],
    endpoint: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> ExchangeHook | None:
    """The hook that hands each exchange to ``observer`` as a ``CallRecord``. ``endpoint`` and ``params``
    replace the exchange's own in the record (the name the rate limits use; parameters without a
    password)."""
    if observer is None:
        return None

    def record(exchange: Exchange) -> None:
        name = endpoint or exchange.endpoint
        try:
            observer(
                CallRecord(
                    account_key=account_key,
                    endpoint=name,
                    request_id=request_id,
                    targets=targets,
                    params=dict(exchange.params if params is None else params),
                    http_status=exchange.http_status,
                    vendor_code=exchange.vendor_code,
                    duration_ms=exchange.duration_ms,
                    error=exchange.error,
                    response_excerpt=exchange.excerpt,
                )
            )
        except Exception:  # the audit trail must never break the call it records
            log.exception("call observer failed for %s", name)

    return record
