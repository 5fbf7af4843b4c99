"""The call path of one Huawei northbound account: shared session, shared rate limiter, audit records.

Every interface call of the adapter goes through `AccountCalls.call`:

1. The session (NBI V7 9.1.1): one XSRF-TOKEN per account, shared by every process through
   `vendors.sessions` (a new login ends the old session on the vendor side, so workers logging in on their
   own would knock each other out). Every form of "the token is gone" (a 305 envelope, the field's bare
   `{"failCode":305,"immediately":true,"message":"USER_MUST_RELOGIN"}`, a 306 saying the same, an empty
   200 on a stale token: FIELD_NOTES H2-H4) means: log in again (one process does; the others reuse its
   token) and repeat the call, once (`MAX_RELOGINS`), never a loop.
   Refused credentials (on the live cloud an EMPTY 200, FIELD_NOTES H1) are never retried: the account's
   health record (`vendors.health`, shared by every process) says `credentials_refused` and no process
   logs in with that secret again until it changes or an operator resets the account; a lock (20400
   "locked") holds until its end. Either raises `AuthFailed`.
2. The rate limiter: every HTTP attempt, logins and retries included, first books a slot (key: account +
   endpoint; rules: `huawei_limits` for the account's plant count, with the account's overrides and clock
   speed, via `effective_limits`), and a call counts from when its answer came back (`RateLimiter.take`),
   so however late a busy process sends it, the next one cannot land inside its vendor window. No slot
   within the wait budget -> `RateLimited(retry_after_s)` and nothing is sent. A 407 all the same ->
   `RateLimited(vendor_said=True)`: counted, the goal is none.
3. Transient faults (5xx, dropped connections, timeouts) are retried by the client, bounded.
4. The observer gets a `CallRecord` after every HTTP attempt: no password, no token.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import redis

from vendors import health
from vendors.base import AccountConfig, CallObserver
from vendors.errors import (
    AuthFailed,
    RateLimited,
    SessionExpired,
    TransientError,
    VendorAnswerInvalid,
    VendorError,
)
from vendors.http import ExchangeHook, recorder
from vendors.huawei.answers import as_int, message_of
from vendors.huawei.client import Attempt, HuaweiClient, Reply
from vendors.huawei.spec import SPEC
from vendors.ratelimit import RateLimitTimeout, RateRule, Slot, effective_limits, huawei_limits, rate_key
from vendors.sessions import DEFAULT_PREFIX, LockTimeout, SharedSession
from vendors.state import STORE_UNAVAILABLE_ERRORS, state_store_from_url

log = logging.getLogger(__name__)

# Interface paths under /rest/openapi/pvms/v1/, by the endpoint names of vendors.ratelimit.policy.
PATHS = {
    "login": "login",  # 9.1.1
    "plants": "plants",  # 9.2.1
    "devices": "devices",  # 9.2.2
    "vppPlants": "vpp/plants",  # 9.3.1
    "plantRealtimeKpi": "vpp/plantRealtimeKpi",  # 9.3.2
    "plantHistoryKpi": "vpp/plantHistoryKpi",  # 9.3.3
    "chargeAndDischarge": "vpp/chargeAndDischarge",  # 9.3.4
    "chargeAndDischargeStatus": "vpp/chargeAndDischargeStatus",  # 9.3.5
    "dod": "vpp/dod",  # 9.3.6
    "devOnOff": "vpp/devOnOff",  # 9.3.7
    "ems": "vpp/ems",  # 9.3.8
    "snEnrolment": "vpp/snEnrolment",  # 9.6.1.1
    "acEnrolment": "vpp/acEnrolment",  # 9.6.1.2
    "plantDefaultSetting": "vpp/plantDefaultSetting",  # 9.6.1.3
    "plantDefaultSettingStatus": "vpp/plantDefaultSettingStatus",  # 9.6.1.4
    "plantRatedData": "vpp/plantRatedData",  # 9.6.1.5
    "drm": "vpp/drm",  # 9.6.1.6
    "drmStatus": "vpp/drmStatus",  # 9.6.1.7
}

OK = 0
NOT_LOGGED_IN = 305
MUST_RELOGIN = 306  # FIELD_NOTES H3: {"failCode":306,"immediately":true,"message":"USER_MUST_RELOGIN"}
RELOGIN_MESSAGE = "USER_MUST_RELOGIN"
NO_PERMISSION = 401
TOO_FREQUENT = 407
DAILY_LIMIT = 20618
# The answers that mean "too often" (1.3 Traffic Limiting Policy; 20618 the daily quota): counted as
# rate_limited by the metrics (vpp/metrics.py, through vendors.registry.rate_limit_codes).
RATE_LIMIT_CODES = SPEC.rate_limit_codes  # {"407", "20618"}: declared once, in spec.py
# Login refusals (11 Error Code List): unknown / forbidden / expired third-party system, wrong username or
# password, locked user, expired password, too many sessions, restricted login.
AUTH_CODES = frozenset({20001, 20002, 20003, 20400, 20403, 30029})  # 30029: FIELD_NOTES H16
# The vendor is having a bad moment ("server abnormal", "system busy"): nothing was decided, try later.
TRANSIENT_CODES = frozenset({20004, 20200})

MAX_RELOGINS = 1  # every session-expiry form gets one new session and one more try (issue 14)
SESSION_IDLE_S = 30 * 60  # 9.1.1: the token expires after 30 minutes without a request
LOCK_S = 30 * 60  # 9.1.1: five wrong passwords within 10 minutes lock the account for 30 minutes
COUNT_TTL_S = 24 * 3600.0  # how long a learned plant count is trusted for the plant-dependent limits
SHARED_STATE_ERRORS = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    sqlite3.OperationalError,
    *STORE_UNAVAILABLE_ERRORS,
)
LIMITS_REFRESH_S = 5.0  # how often a process re-reads the shared plant count
FLIGHT_TIMEOUTS = 3
"""A call is open (sent, no answer) for at most this many request timeouts (connect, write, read) plus a
second: the limiter holds this endpoint's later calls until the answer, or that long if a process died."""


class AccountCalls:
    """Authenticated, rate-limited, audited calls for one account. Thread-safe."""

    def __init__(
        self,
        account: AccountConfig,
        *,
        limiter,
        state_url: str,
        max_wait_s: float,
        observer: CallObserver | None,
    ) -> None:
        self.account = account
        self.max_wait_s = max_wait_s
        self.speed = account.clock_speed
        self._limiter = limiter
        self._observer = observer
        self._client = HuaweiClient(
            account.base_url,
            timeout_s=account.timeout_s,
            allow_private_network=account.allow_private_network,
        )
        self._store = state_store_from_url(state_url, prefix=DEFAULT_PREFIX)
        # Session state belongs to a login on one cloud: the key says which, so an account whose URL or
        # user changes never inherits a token of the old one.
        fingerprint = hashlib.sha256(f"{account.base_url}\n{account.username}".encode()).hexdigest()[:16]
        self._state_key = f"huawei:{account.key}:{fingerprint}"
        # Which credentials a refusal concerns: another user name or secret may log in again.
        credentials = f"{account.base_url}\n{account.username}\n{account.secret}"
        self._secret_digest = hashlib.sha256(credentials.encode()).hexdigest()[:16]
        login_budget_s = max_wait_s + self._client.retry_budget_s + account.timeout_s
        self.session = SharedSession(
            self._store,
            self._state_key,
            idle_timeout_s=SESSION_IDLE_S / self.speed,
            lock_ttl_s=login_budget_s,
            lock_wait_s=login_budget_s,
        )
        self._limits_lock = threading.Lock()
        self._limits_read: tuple[int, float] | None = None  # (plant count, monotonic time read)
        self._limits: dict[str, tuple[RateRule, ...]] = {}

    # --- calls ----------------------------------------------------------------------------------------

    def call(
        self,
        endpoint: str,
        body: dict[str, Any],
        *,
        request_id: str | None = None,
        targets: Iterable[str] = (),
        max_wait_s: float | None = None,
    ) -> Reply:
        """One interface call: a limiter slot before every attempt, bounded transient retries, a new shared
        session on 305 (bounded), rate-limit and permission answers raised as errors. Any other failCode
        comes back in the Reply for the caller to interpret.

        The shared state (the limiter's, the session store's) failing is a `TransientError` too: nothing was
        sent to the vendor without a slot, and the caller retries later like after any passing fault."""
        try:
            return self._call(endpoint, body, tuple(targets), request_id, max_wait_s)
        except SHARED_STATE_ERRORS as exc:
            raise TransientError(f"{endpoint}: shared limiter / session state unavailable: {exc!r}") from exc

    def _call(
        self,
        endpoint: str,
        body: dict[str, Any],
        targets: tuple[str, ...],
        request_id: str | None,
        max_wait_s: float | None,
    ) -> Reply:
        wait_s = self.max_wait_s if max_wait_s is None else max_wait_s
        token = self.session.current() or self._login()
        for relogin in range(MAX_RELOGINS + 1):
            before, after = self._limited(
                endpoint, wait_s, self._recorder(endpoint, request_id, targets, body)
            )
            reply = self._client.post(
                PATHS[endpoint], body, token=token, before_attempt=before, after_attempt=after
            )
            if session_gone(reply):
                if relogin == MAX_RELOGINS:
                    break
                token = self._login(stale=token)  # 9.1.1: the token expired, or another login ended it
                continue
            self._raise_for_refusal(endpoint, reply)
            self.session.used(token)
            health.health_success(self._store, self.account.key)
            return reply
        raise SessionExpired(
            f"{endpoint}: still not logged in after {MAX_RELOGINS} new login(s): {excerpt(reply)}"
        )

    def _invalid(self, endpoint: str, reply: Reply, what: str) -> None:
        """An answer we cannot use: recorded in the account's health and raised with its text."""
        message = f"{endpoint}: {what} (HTTP {reply.http_status}): {excerpt(reply)}"
        health.health_error(self._store, self.account.key, message)
        raise VendorAnswerInvalid(message)

    def _raise_for_refusal(self, endpoint: str, reply: Reply) -> None:
        code = reply.fail_code
        if code == TOO_FREQUENT or reply.http_status in (403, 429):
            # 407: this account's limit (1.3 Traffic Limiting Policy); 403 / 429: the system-wide one
            # ("wait for 1 minute and try again"); on the live cloud a 403 {"errorCode":"49401021002",
            # "exceptionInfo":"...quotaControl..."} (FIELD_NOTES H9). A 407 says why in `data` (H8).
            retry = 60.0 / self.speed if reply.http_status in (403, 429) else self.window_s(endpoint)
            reason = refusal_reason(reply)
            message = (
                f"{endpoint}: vendor refused (failCode {code}, HTTP {reply.http_status}) {reason}".strip()
            )
            health.health_rate_limited(self._store, self.account.key, time.time() + retry, message)
            raise RateLimited(message, retry_after_s=retry, vendor_said=True)
        if code == DAILY_LIMIT:
            retry = 3600.0 / self.speed  # a per-day quota: try again much later
            message = f"{endpoint}: daily limit reached (20618)"
            health.health_rate_limited(self._store, self.account.key, time.time() + retry, message)
            health.health_budget(self._store, self.account.key, 0)
            raise RateLimited(message, retry_after_s=retry, vendor_said=True)
        if code == NO_PERMISSION:
            message = f"{endpoint}: the northbound user lacks the interface permission (401)"
            health.health_error(self._store, self.account.key, message)
            raise AuthFailed(message)
        if code in TRANSIENT_CODES:
            raise TransientError(f"{endpoint}: failCode {code} {reply.message}".strip())
        if reply.http_status >= 400:
            self._invalid(endpoint, reply, "an HTTP error without the NBI envelope")
        if reply.body is None:
            # FIELD_NOTES H14, H15: an HTML page from a front end, a truncated body, a JSON list or string.
            self._invalid(endpoint, reply, "an answer that is not a JSON object")
        if code is None:
            # FIELD_NOTES H11: a JSON object without a readable failCode (missing, "abc", a list).
            self._invalid(endpoint, reply, "an answer without a numeric failCode")

    # --- the limiter ----------------------------------------------------------------------------------

    def _limited(
        self, endpoint: str, max_wait_s: float, recorder: ExchangeHook | None
    ) -> tuple[Callable[[int], None], ExchangeHook]:
        """The client's hooks for one call: a slot before every attempt, given back as done (counted from
        now) once that attempt's answer or failure is in, after the audit record."""
        held: list[Slot] = []

        def before(_number: int) -> None:
            held.append(self._acquire(endpoint, max_wait_s))

        def after(attempt: Attempt) -> None:
            try:
                if recorder is not None:
                    recorder(attempt)
            finally:
                while held:
                    slot = held.pop()
                    try:
                        slot.done()
                    except SHARED_STATE_ERRORS:  # the slot stays open: later calls wait its flight out
                        log.warning("%s: could not settle the rate-limit slot of %s", endpoint, slot.key)

        return before, after

    def _acquire(self, endpoint: str, max_wait_s: float) -> Slot:
        """Wait for the endpoint's slot (`RateLimiter.take`); `RateLimited` if it is too far away.

        The slot counts from when `done()` is called, after the answer: a request that reaches the vendor
        late (a busy CPU, a long pause, a queue) pushes the next call back by as much, so the vendor never
        sees two calls closer than its window, whatever the machine's load.
        """
        rules = self.limits().get(endpoint, ())
        key = rate_key("huawei", self.account.key, endpoint)
        try:
            return self._limiter.take(
                key, rules, max_wait_s=max_wait_s, flight_s=FLIGHT_TIMEOUTS * self.account.timeout_s + 1.0
            )
        except RateLimitTimeout as exc:
            message = f"{endpoint}: no rate-limit slot within {max_wait_s:g} s"
            raise RateLimited(message, retry_after_s=exc.retry_after_s) from exc

    def window_s(self, endpoint: str) -> float:
        """The shortest effective window of an endpoint's rules (real seconds)."""
        rules = self.limits().get(endpoint, ())
        return min((rule.window_s for rule in rules), default=60.0 / self.speed)

    def follow_up_wait(self, endpoint: str, number: int) -> float | None:
        """The wait budget of the `number`-th call (0-based) of a helper that makes several in a row. The
        first waits `max_wait_s` like any call; later ones may wait one window of the endpoint, since the
        limit, not the vendor, sets their pace (a 10,000-plant list is a minute a page)."""
        if number == 0:
            return None
        return max(self.max_wait_s, self.window_s(endpoint) * 1.5)

    def limits(self) -> dict[str, tuple[RateRule, ...]]:
        """The effective rules for the account's plant count as last learned by any process (unknown: the
        formulas' floor, one plant, never above the vendor's limit). A plant has at least one device (it
        was enrolled by one), so the plant count is also a floor for the device-dependent limits."""
        with self._limits_lock:
            now = time.monotonic()
            if self._limits_read is None or now - self._limits_read[1] > LIMITS_REFRESH_S:
                count = self.stored_plant_count() or 1
                if self._limits_read is None or count != self._limits_read[0] or not self._limits:
                    vendor = huawei_limits(plant_count=count, device_count=count)
                    overrides = self.account.rate_limit_overrides
                    self._limits = effective_limits(vendor, overrides=overrides, speed=self.speed)
                self._limits_read = (count, now)
            return self._limits

    def stored_plant_count(self) -> int | None:
        raw = self._store.get(f"{self._state_key}:plant-count")
        return int(raw) if raw and raw.isdigit() else None

    def learn_plant_count(self, count: int | None) -> None:
        """Share the account's plant count (9.2.1 `total`): the KPI and daily limits depend on it."""
        if count and count > 0:
            self._store.set(f"{self._state_key}:plant-count", str(count), ttl_s=COUNT_TTL_S)
            with self._limits_lock:
                self._limits_read = None

    def plant_count(self) -> int:
        """The account's plant count, from the shared state or from one 9.2.1 call (its `total`)."""
        count = self.stored_plant_count()
        if count is None:
            try:
                reply = self.call("plants", {"pageNo": 1, "pageSize": 50})
            except RateLimited:
                return 1  # the floor: slower KPI reads, never a 407
            data = reply.data if isinstance(reply.data, dict) else {}
            count = as_int(data.get("total")) if reply.fail_code == OK else None
            self.learn_plant_count(count)
        return count or 1

    # --- the session ----------------------------------------------------------------------------------

    def _login(self, stale: str | None = None) -> str:
        try:
            return self.session.obtain(self._login_now, stale=stale)
        except LockTimeout as exc:
            raise TransientError(f"another process is still logging in: {exc}") from exc

    def _login_now(self) -> str:
        """9.1.1, under the shared login lock: the token comes in the `xsrf-token` header (and cookie).

        Exactly one try per refusal: a refused, locked or unreadable answer is never repeated, by this
        process or any other, until the secret changes or an operator resets the account's health."""
        key = self.account.key
        refusal = health.health_read(self._store, key).login_refusal(self._secret_digest)
        if refusal:
            raise AuthFailed(
                f"login refused recently, not retried until the secret changes or the account is reset: "
                f"{refusal}"
            )
        before, after = self._limited(
            "login", self.max_wait_s, self._recorder("login", None, (), {"username": self.account.username})
        )
        reply = self._client.post(
            PATHS["login"],
            {"username": self.account.username, "password": self.account.secret},
            before_attempt=before,
            after_attempt=after,
        )
        code = reply.fail_code
        if code == OK and reply.token:
            return reply.token
        if code == TOO_FREQUENT or reply.http_status in (403, 429):
            retry = self.window_s("login") if code == TOO_FREQUENT else 60.0 / self.speed
            message = (
                f"login: vendor refused (failCode {code}, HTTP {reply.http_status}) {refusal_reason(reply)}"
            )
            health.health_rate_limited(self._store, key, time.time() + retry, message.strip())
            raise RateLimited(message.strip(), retry_after_s=retry, vendor_said=True)
        if code in TRANSIENT_CODES:
            raise TransientError(f"login: failCode {code} {reply.message}".strip())
        if code == OK:
            message = "login succeeded without an XSRF-TOKEN in the answer"
            health.health_error(self._store, key, message)
            raise VendorError(message)
        if reply.http_status == 200 and not reply.text.strip():
            # FIELD_NOTES H1: the live cloud answers a wrong user or password with an empty 200.
            detail = "the vendor answered the login with an empty body (wrong user name or password)"
        elif code is None:
            # Not the NBI envelope: we cannot tell a refusal from a glitch, so we do not try again blindly.
            detail = f"unreadable login answer (HTTP {reply.http_status}): {excerpt(reply)}"
        else:
            detail = f"failCode {code}: {reply.message or message_of(code)}"
        if code == 20400 and "lock" in reply.message.lower():
            until = time.time() + LOCK_S / self.speed  # 9.1.1: locked for 30 minutes
            health.health_locked(self._store, key, until, f"login refused ({detail})")
        else:
            health.health_refused(
                self._store, key, f"login refused ({detail})", secret_digest=self._secret_digest
            )
        raise AuthFailed(f"login refused ({detail})")

    # --- the audit trail ------------------------------------------------------------------------------

    def _recorder(
        self, endpoint: str, request_id: str | None, targets: tuple[str, ...], params: dict[str, Any]
    ) -> ExchangeHook | None:
        # Recorded under the rate-limit endpoint name, with the parameters given (never the password).
        return recorder(
            self._observer,
            account_key=self.account.key,
            request_id=request_id,
            targets=targets,
            endpoint=endpoint,
            params=params,
        )

    def close(self) -> None:
        """Release connections. No logout: the session is shared with every other worker (9.1.2)."""
        self._client.close()
        self._store.close()


def session_gone(reply: Reply) -> bool:
    """Every form in which the vendor says "log in again" (FIELD_NOTES H2-H4)."""
    if reply.fail_code in (NOT_LOGGED_IN, MUST_RELOGIN):
        return True
    if reply.body is not None and RELOGIN_MESSAGE in reply.message.upper():
        return True
    # H4: realtime KPIs (and others) answer a stale token with an empty 200.
    return reply.http_status == 200 and reply.body is None and not reply.text.strip()


def refusal_reason(reply: Reply) -> str:
    """The reason of a 407 (in `data`, H8) or a quota 403 (`exceptionInfo`, H9), for the message."""
    body = reply.body or {}
    for value in (body.get("data"), body.get("exceptionInfo"), body.get("message"), body.get("errorCode")):
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return ""


def excerpt(reply: Reply, chars: int = 300) -> str:
    text = reply.text.strip()
    if not text:
        return "(empty)"
    if reply.token:
        text = text.replace(reply.token, "***")
    return text[:chars] + ("..." if len(text) > chars else "")
