"""The NBI envelope, errors as exceptions, body parsing, and the decorator every interface uses.

Every interface answers HTTP 200 with ``{"success", "failCode", "message", "data"}``; failures,
including 305 (not logged in) and 407 (too frequent), are failCodes in that body, never HTTP statuses
(# NBI V7 9.1.1 Response Packet, 11 Error Code List). Only a body that is not a JSON object gets HTTP 400.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from vendors.simkit import ACCOUNT_KEY

from . import codes, field
from .state import SIM_KEY, HuaweiSim

TOKEN_HEADER = "XSRF-TOKEN"

Body = dict[str, Any]
Impl = Callable[[HuaweiSim, str, Body], Body]


class ApiError(Exception):
    """Raised by interface code to answer ``failCode`` (with optional message and data)."""

    def __init__(self, fail_code: int, message: str | None = None, data: Any = None) -> None:
        super().__init__(fail_code)
        self.fail_code = fail_code
        self.message = message if message is not None else codes.MESSAGES.get(fail_code)
        self.data = data


def ok(data: Any = None, message: str | None = None) -> Body:
    return {"success": True, "failCode": codes.OK, "message": message, "data": data}


def failure(fail_code: int, message: str | None = None, data: Any = None) -> Body:
    if message is None:
        message = codes.MESSAGES.get(fail_code)
    return {"success": False, "failCode": fail_code, "message": message, "data": data}


async def read_body(request: web.Request) -> Body:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(
            text=json.dumps(failure(codes.SERVER_ABNORMAL, "The request body must be a JSON object.")),
            content_type="application/json",
        )
    return body


def raw_response(status: int, text: str | None, content_type: str = "application/json") -> web.Response:
    """An answer as bytes: ``None`` is an empty body (the field's refused login and stale-token KPIs)."""
    if text is None:
        return web.Response(status=status, body=b"", content_type=content_type)
    return web.Response(status=status, text=text, content_type=content_type)


def quota_refusal(sim: HuaweiSim, account: str | None, path: str) -> web.Response:
    """FIELD_NOTES H9: the gateway's quota refusal, HTTP 403 without the NBI envelope."""
    sim.core.stats.rate_limited(account, path)
    body = {**field.QUOTA_BODY, "exceptionInfo": field.QUOTA_BODY["exceptionInfo"].format(path=path)}
    return web.json_response(body, status=403)


def interface(endpoint: str) -> Callable[[Impl], Callable[[web.Request], Any]]:
    """Wrap an interface: XSRF-TOKEN check (305), rate limit (407/20618), body, ApiError -> failCode, and
    the field profile's shapes and provoked answers (field.py)."""

    def wrap(impl: Impl) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.Response:
            sim: HuaweiSim = request.app[SIM_KEY]
            profile = sim.field
            path = request.path
            token = request.headers.get(TOKEN_HEADER)
            if profile.take(path, ("quota403",)):
                return quota_refusal(sim, sim.sessions.peek(token), path)
            account = sim.sessions.touch(token)
            if account is None:
                status, text = profile.expired(had_token=bool(token), endpoint=endpoint)
                return raw_response(status, text)
            request[ACCOUNT_KEY] = account
            early = profile.take(path, ("empty", "unknown_code"))
            if early == "empty":
                return raw_response(200, None)
            if early == "unknown_code":
                return web.json_response(failure(field.UNKNOWN_CODE, "Unknown error."))
            refused = sim.check_limit(account, endpoint, path)
            if refused is not None:
                answer = failure(refused)
                if refused == codes.RATE_LIMITED and profile.switches.reason_in_data_407:
                    answer.update(message=None, data="ACCESS_FREQUENCY_IS_TOO_HIGH")  # H8
                return web.json_response(answer)
            body = await read_body(request)
            try:
                answer = impl(sim, account, body)
            except ApiError as exc:
                answer = failure(exc.fail_code, exc.message, exc.data)
            if profile.switches.null_data_when_empty and answer.get("data") == []:
                answer["data"] = None  # H10
            answer = profile.envelope(answer, body, sim.core.clock.now_ms())
            garbled = profile.take(path, ("html", "truncated", "wrong_type", "no_fail_code"))
            if garbled:
                status, content_type, text = profile.garble(garbled, json.dumps(answer))
                return raw_response(status, text, content_type)
            return web.json_response(answer)

        handler.__name__ = impl.__name__
        handler.__doc__ = impl.__doc__
        return handler

    return wrap


# --- parameter parsing: each helper raises ApiError(code) with the interface's own code ---------------


def code_list(
    value: Any, empty_code: int, *, max_items: int | None = None, too_many_code: int = 0
) -> list[str]:
    """A comma-separated String of codes/DNs (the document's type), de-duplicated in order."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApiError(empty_code)
    if not isinstance(value, str):
        raise ApiError(empty_code, "The value must be a comma-separated string.")
    items = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if not items:
        raise ApiError(empty_code)
    if max_items is not None and len(items) > max_items:
        raise ApiError(too_many_code)
    return items


def as_int(value: Any) -> int | None:
    """An Integer/Long parameter: JSON integers, integral floats or digit strings; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def as_number(value: Any) -> float | None:
    """A Double parameter: JSON numbers or numeric strings; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
