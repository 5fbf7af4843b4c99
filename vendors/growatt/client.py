"""Growatt OpenAPI v1 over HTTP, and nothing else (STYLE 4).

Wire rules (# Growatt 3.1): every call carries the account's ``token`` in an HTTP header; parameters are
utf-8 and urlencoded (GET in the query string, POST as a form body); every answer is JSON
``{data, error_code, error_msg}`` with 0 meaning success. Error code 10011 "Permission denied" is
universal (# Growatt 5) and means the token is missing, wrong or withdrawn: ``AuthFailed``, never retried.

Transient faults (HTTP 5xx, a dropped or refused connection, a timeout, an answer that is not the
envelope) are retried a bounded number of times with exponential backoff and jitter (tenacity); every
other answer is returned as it is, for the adapter to judge. A retried setting may already have taken
effect: ``Answer.attempts`` tells the adapter so, because Growatt then refuses the identical repeat with
10012 (see ``adapter``). Each HTTP exchange, retries included, is reported to ``on_attempt``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential,
    wait_random,
)

from vendors import egress
from vendors.errors import AuthFailed, DestinationRefused, TransientError, VendorRejected

OK = 0
PERMISSION_DENIED = 10011  # Growatt 5: "Permission denied (Universal)"
EXCERPT_CHARS = 2000

Method = Literal["GET", "POST"]


class BadAnswer(VendorRejected):
    """An answer that is not Growatt's envelope (an HTML page, a truncated or empty body, a non-integer
    error_code: HA core growatt_server coordinator.py catches JSONDecodeError for exactly this), or one
    whose ``data`` is of the wrong type. Retried like a transient fault; when it persists it is final for
    the task at hand, which ends with the answer recorded (``message`` holds its start)."""

    def __init__(self, endpoint: str, reason: str, text: str) -> None:
        super().__init__("bad-answer", f"{endpoint}: {reason}: {text[:300]!r}")
        self.endpoint = endpoint
        self.text = text


class _NotEnvelope(TransientError):
    def __init__(self, endpoint: str, text: str) -> None:
        super().__init__(f"Growatt {endpoint}: the answer is not the {{data, error_code, error_msg}} shape")
        self.endpoint = endpoint
        self.text = text


@dataclass(frozen=True)
class Answer:
    """One endpoint's answer (# Growatt 3.1 envelope), after any retries."""

    endpoint: str
    data: Any
    error_code: int
    error_msg: str
    http_status: int
    attempts: int  # > 1: an earlier attempt may have reached the vendor before its answer was lost

    @property
    def ok(self) -> bool:
        return self.error_code == OK


@dataclass(frozen=True)
class Attempt:
    """One HTTP exchange, for the audit trail. Holds the request parameters, never the token."""

    endpoint: str
    method: str
    params: Mapping[str, str]
    http_status: int | None
    error_code: int | None
    duration_ms: float
    error: str = ""
    excerpt: str = ""


AttemptHook = Callable[[Attempt], None]


class GrowattClient:
    """A thread-safe HTTP client for one Growatt token (httpx pools connections across threads)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 30.0,
        max_attempts: int = 4,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 2.0,
        retry_budget_s: float | None = None,
        allow_private_network: bool = False,
    ) -> None:
        # Explicit connect/read/write/pool timeouts (STYLE 15); connecting should never take long.
        timeout = httpx.Timeout(timeout_s, connect=min(5.0, timeout_s))
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"token": token, "Accept": "application/json"},
            timeout=timeout,
            # Plain http and non-public addresses only when allowed (simulators; vendors.egress).
            transport=egress.transport(
                allow_private=allow_private_network,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            ),
            trust_env=False,  # no proxy: the address connected to must be the one egress checked
        )
        self.max_attempts = max_attempts
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        # Bounded in time too: total backoff stays far below a Celery task's time limit.
        self.retry_budget_s = retry_budget_s if retry_budget_s is not None else 4 * timeout_s + 10.0

    def call(
        self,
        method: Method,
        endpoint: str,
        params: Mapping[str, str] | None = None,
        *,
        on_attempt: AttemptHook | None = None,
        budget_s: float | None = None,
    ) -> Answer:
        """``/v1/<endpoint>`` with ``params``; retries transient faults, then raises TransientError.

        ``budget_s`` bounds the time in which a retry may START (a setting's retries must reach the vendor
        while it still recognises the repeat); the backoff shrinks to fit it. Raises AuthFailed on 10011
        and VendorRejected on an HTTP 4xx; any other error_code is returned.
        """
        body = {k: str(v) for k, v in (params or {}).items()}
        budget = self.retry_budget_s if budget_s is None else min(budget_s, self.retry_budget_s)
        initial = min(self.backoff_initial_s, budget / 10)
        wait = wait_exponential(multiplier=initial, max=min(self.backoff_max_s, budget / 3)) + wait_random(
            0, initial
        )
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(budget),
            wait=wait,
            retry=retry_if_exception_type(TransientError),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    number = attempt.retry_state.attempt_number
                    return self._once(method, endpoint, body, number, on_attempt)
        except _NotEnvelope as exc:
            raise BadAnswer(endpoint, "not the {data, error_code, error_msg} envelope", exc.text) from exc
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _once(
        self, method: Method, endpoint: str, body: dict[str, str], number: int, on_attempt: AttemptHook | None
    ) -> Answer:
        path = f"/v1/{endpoint}"
        started = time.perf_counter()
        status: int | None = None
        code: int | None = None
        error = ""
        text = ""
        try:
            if method == "GET":
                response = self._http.get(path, params=body)
            else:
                response = self._http.post(path, data=body)
            status = response.status_code
            text = response.text
            if status >= 500:
                error = f"HTTP {status}"
                raise TransientError(f"Growatt {endpoint}: HTTP {status}")
            if status >= 400:
                error = f"HTTP {status}"
                raise VendorRejected(f"http-{status}", text[:200])
            envelope = _envelope(text)
            if envelope is None:
                error = "the answer is not the {data, error_code, error_msg} envelope"
                raise _NotEnvelope(endpoint, text)
            code = envelope[1]
            if code == PERMISSION_DENIED:
                error = "permission denied (token)"
                raise AuthFailed(f"Growatt {endpoint}: 10011 {envelope[2]}")
            return Answer(endpoint, envelope[0], code, envelope[2], status, number)
        except DestinationRefused as exc:  # the base URL leads inside: final, recorded, never retried
            error = str(exc)
            raise
        except httpx.TimeoutException as exc:
            error = f"timeout: {type(exc).__name__}"
            raise TransientError(f"Growatt {endpoint}: {error}") from exc
        except httpx.TransportError as exc:
            error = f"connection: {type(exc).__name__}: {exc}"
            raise TransientError(f"Growatt {endpoint}: {error}") from exc
        finally:
            if on_attempt is not None:
                on_attempt(
                    Attempt(
                        endpoint=endpoint,
                        method=method,
                        params=body,
                        http_status=status,
                        error_code=code,
                        duration_ms=(time.perf_counter() - started) * 1000,
                        error=error,
                        excerpt=text[:EXCERPT_CHARS],
                    )
                )

    def close(self) -> None:
        self._http.close()


def _envelope(text: str) -> tuple[Any, int, str] | None:
    """``(data, error_code, error_msg)`` or None when the text is not Growatt's envelope."""
    try:
        body = json.loads(text)
    except ValueError:
        return None
    if not isinstance(body, dict) or "error_code" not in body:
        return None
    try:
        code = int(body["error_code"])
    except (TypeError, ValueError):
        return None
    if "data" not in body:
        # device/vpp/getSocData answers its fields beside error_code (GrowattPublicApiPy vpp.py soc(),
        # FIELD_NOTES H4): they are the answer's data.
        rest = {k: v for k, v in body.items() if k not in ("error_code", "error_msg")}
        return (rest or None), code, str(body.get("error_msg") or "")
    return body.get("data"), code, str(body.get("error_msg") or "")
