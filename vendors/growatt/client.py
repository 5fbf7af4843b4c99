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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from vendors.errors import AuthFailed, TransientError, VendorRejected
from vendors.http import Exchange, ExchangeHook, Note, VendorHttp

OK = 0
PERMISSION_DENIED = 10011  # Growatt 5: "Permission denied (Universal)"

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


Attempt = Exchange  # one HTTP exchange, for the audit trail: the request parameters, never the token
AttemptHook = ExchangeHook


class GrowattClient(VendorHttp):
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
        super().__init__(
            base_url,
            timeout_s=timeout_s,
            connect_timeout_s=min(5.0, timeout_s),  # connecting should never take long
            max_attempts=max_attempts,
            backoff_initial_s=backoff_initial_s,
            backoff_max_s=backoff_max_s,
            # Bounded in time too: total backoff stays far below a Celery task's time limit.
            retry_budget_s=retry_budget_s if retry_budget_s is not None else 4 * timeout_s + 10.0,
            allow_private_network=allow_private_network,
            headers={"token": token, "Accept": "application/json"},  # Growatt 3.1: the token header
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

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
        # Growatt 3.1: utf-8 urlencoded, in the query string of a GET, as the form body of a POST.
        request = {"params": body} if method == "GET" else {"data": body}

        def once(number: int) -> Answer:
            def read(response: httpx.Response, note: Note) -> Answer:
                return _read(endpoint, number, response, note)

            return self.exchange(
                method,
                f"/v1/{endpoint}",
                endpoint=endpoint,
                label=f"Growatt {endpoint}",
                number=number,
                record_params=body,
                read=read,
                on_exchange=on_attempt,
                **request,
            )

        try:
            return self.with_retries(once, budget_s=budget_s)
        except _NotEnvelope as exc:
            raise BadAnswer(endpoint, "not the {data, error_code, error_msg} envelope", exc.text) from exc


def _read(endpoint: str, number: int, response: httpx.Response, note: Note) -> Answer:
    status, text = response.status_code, response.text
    if status >= 400:
        note.error = f"HTTP {status}"
        raise VendorRejected(f"http-{status}", text[:200])
    envelope = _envelope(text)
    if envelope is None:
        # An HTML page, an empty or truncated body: retried like a transient fault (see BadAnswer).
        note.error = "the answer is not the {data, error_code, error_msg} envelope"
        raise _NotEnvelope(endpoint, text)
    data, code, message = envelope
    note.vendor_code = str(code)
    if code == PERMISSION_DENIED:
        note.error = "permission denied (token)"
        raise AuthFailed(f"Growatt {endpoint}: 10011 {message}")
    return Answer(endpoint, data, code, message, status, number)


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
