"""Growatt OpenAPI v1 wire conventions: request parameters, the answer envelope, times, paging.

Why one module: every endpoint shares them, and each is a rule a client relies on
(# Growatt 3.1): parameters are utf-8 and urlencoded, answers are JSON ``{data, error_code, error_msg}``
and times are ``YYYY-MM-DD HH:mm:ss``. HTTP status is always 200; the outcome is ``error_code``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web
from multidict import MultiDict

OK = 0
PERMISSION_DENIED = 10011  # Growatt 5: "Permission denied (Universal)"

DATE_FORMAT = "%Y-%m-%d"  # Growatt 3.1 date format YYYY-MM-DD
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # Growatt 3.1 time format YYYY-MM-DD HH:mm:ss


class GrowattError(Exception):
    """Raised inside a handler to answer ``error_code`` (HTTP 200, as the real cloud does)."""

    def __init__(self, code: int, message: str, data: Any = "", *, rate_limited: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data
        self.rate_limited = rate_limited
        """Counted as a rate-limit refusal in ``/_sim/stats`` (the 10012 repeat rule)."""


def answer(data: Any = "", *, code: int = OK, message: str = "") -> web.Response:
    """The envelope every endpoint returns (# Growatt 3.1): main content, error code, error message."""
    return web.json_response({"data": data, "error_code": code, "error_msg": message})


async def read_params(request: web.Request) -> MultiDict[str]:
    """Query string plus an urlencoded body, also on GET (# Growatt 3.1 "urlencode processing").

    aiohttp only parses bodies of POST-like methods, and Growatt clients do send GET with a body, so
    the body is parsed here whatever the method. Body values win over query values of the same name.
    """
    params: MultiDict[str] = MultiDict(request.query)
    raw = await request.read()
    if raw:
        body = parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
        for key in {k for k, _ in body}:
            params.popall(key, None)
        params.extend(body)
    return params


def text(params: MultiDict[str], name: str) -> str:
    """A parameter stripped of blanks; "" when absent (Growatt pads unused values with " ")."""
    return (params.get(name) or "").strip()


def page_args(
    params: MultiDict[str], *, default_perpage: int = 20, max_perpage: int = 100
) -> tuple[int, int]:
    """``(page, perpage)``: page default 1, perpage default 20 and at most 100 (# Growatt 4.2.1).

    A perpage above the maximum is clamped rather than refused: the document gives no error for it.
    """
    page = _positive_int(text(params, "page"), 1)
    perpage = min(_positive_int(text(params, "perpage"), default_perpage), max_perpage)
    return page, perpage


def _positive_int(value: str, default: int) -> int:
    try:
        number = int(value)
    except ValueError:
        return default
    return number if number > 0 else default


def parse_date(value: str) -> date | None:
    """A ``YYYY-MM-DD`` date or None (# Growatt 3.1)."""
    try:
        return datetime.strptime(value, DATE_FORMAT).date()
    except ValueError:
        return None


def timezone_of(value: str, default: str) -> ZoneInfo | None:
    """A ``timezone_id`` parameter as a zone; None when it is unknown.

    # Growatt 4.2.7 refers to an "attached 2" list of codes that the document does not contain, so the
    simulator takes IANA names (``Europe/Berlin``; ``PRC`` and ``UTC`` are IANA names too).
    """
    try:
        return ZoneInfo(value or default)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_time(ts: float, zone: ZoneInfo) -> str:
    """Unix seconds as Growatt's ``YYYY-MM-DD HH:mm:ss`` in ``zone``."""
    return datetime.fromtimestamp(ts, zone).strftime(TIME_FORMAT)
