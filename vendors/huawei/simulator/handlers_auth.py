"""Login and logout (# NBI V7 9.1).

The token comes back both as the ``xsrf-token`` response header and as an ``XSRF-TOKEN`` cookie, as
in the document's sample response; later requests must carry it as the ``XSRF-TOKEN`` request header.
"""

from __future__ import annotations

from aiohttp import web

from vendors.simkit import ACCOUNT_KEY

from . import codes
from . import field as fieldmod
from .protocol import TOKEN_HEADER, failure, ok, quota_refusal, raw_response, read_body
from .state import SIM_KEY


def _refused(sim, fail_code: int, message: str | None = None) -> web.Response:
    if sim.field.switches.login_refused_empty:
        return raw_response(200, None)  # FIELD_NOTES H1: the live cloud's refusal is an empty 200
    return web.json_response(failure(fail_code, message))


async def login(request: web.Request) -> web.Response:
    """POST /rest/openapi/pvms/v1/login {username, password}."""
    body = await read_body(request)
    return login_answer(request, body.get("username"), body.get("password"))


def login_answer(request: web.Request, username: object, password: object) -> web.Response:
    """The login logic, for the V7 path and the V6 ``/thirdData/login`` (userName / systemCode)."""
    sim = request.app[SIM_KEY]
    if sim.field.take(request.path, ("quota403",)):
        return quota_refusal(sim, None, request.path)
    if not isinstance(username, str) or username not in sim.world.accounts:
        # The document's failed-login example answers 20001 (third-party system ID does not exist).
        return _refused(sim, codes.SYSTEM_ID_NOT_FOUND)
    request[ACCOUNT_KEY] = username
    if sim.field.take(request.path, fieldmod.LOGIN_KINDS):
        # FIELD_NOTES H16: a login refused with failCode 30029 in the envelope (even under H1's empty form)
        return web.json_response(failure(fieldmod.AUTH_FAILED, fieldmod.AUTH_FAILED_MESSAGE))
    refused = sim.check_limit(username, "login", request.path)  # NBI V7 9.1.1: 5 per 10 minutes
    if refused is not None:
        return web.json_response(failure(refused))
    if sim.sessions.is_locked(username):
        return _refused(sim, codes.LOGIN_FAILED, "The user is locked.")
    if password != sim.world.accounts[username]:
        locked = sim.sessions.record_failure(username)
        message = "The user is locked." if locked else codes.MESSAGES[codes.LOGIN_FAILED]
        return _refused(sim, codes.LOGIN_FAILED, message)
    token = sim.sessions.login(username)
    answer = ok()
    if sim.field.switches.params_echo:
        answer["params"] = {}  # FIELD_NOTES H12: the live login answer carries an empty params
    response = web.json_response(answer)
    response.headers["xsrf-token"] = token
    response.set_cookie("XSRF-TOKEN", token, path="/")
    response.set_cookie("JSESSIONID", token[2:34].upper(), path="/", httponly=True)
    return response


async def logout(request: web.Request) -> web.Response:
    """POST /rest/openapi/pvms/v1/logout {xsrfToken}: releases the token."""
    sim = request.app[SIM_KEY]
    body = await read_body(request)
    token = body.get("xsrfToken")
    if not isinstance(token, str) or not token:
        # The document's failed-logout example answers 20004.
        return web.json_response(failure(codes.SERVER_ABNORMAL, "xsrfToken is mandatory."))
    account = sim.sessions.peek(token) or sim.sessions.peek(request.headers.get(TOKEN_HEADER))
    if account is None:
        return web.json_response(failure(codes.NOT_LOGGED_IN))
    request[ACCOUNT_KEY] = account
    refused = sim.check_limit(account, "logout", request.path)  # NBI V7 9.1.2: 5 per 10 minutes
    if refused is not None:
        return web.json_response(failure(refused))
    if not sim.sessions.logout(token):
        return web.json_response(failure(codes.NOT_LOGGED_IN))
    return web.json_response(ok())
