"""How one Growatt call reaches the cloud: the shared limiter, the repeat rule, exactly-once settings,
the read cache and the audit trail. ``GrowattAdapter`` (``adapter``) builds on it.

The repeat rule. Growatt refuses the SAME request (device, type, values) repeated within 5 minutes with
error_code 10012 (the live cloud's "error_frequently_access"; the rule comes from our issue, not from the
document). In storageSet's own table (# Growatt 4.3.12) 10012 means "Energy storage machine does not
exist". The two are told apart by ``error_msg``: the repeat refusal says "frequently" (the simulator's
"error_frequently_access: ..."), the other does not and is a final refusal. So that the rule never costs a
refused call:

- the shared limiter keys every limited call by its exact content (``rate_key(..., params=...)``,
  ``GROWATT_LIMITS``): an identical request waits out the 5 minutes (or ``RateLimited``), a different one
  never waits;
- a retry of the very same setting (after a drop, a timeout, a 5xx, or a crash and a re-send under the
  same ``request_id``) is the same body again, sent without a new slot while the vendor's window is open,
  and its 10012 repeat means our earlier attempt landed: the setting is in place, treated as accepted.
  Never a different request to get around it, never a loop. In-process retries of a setting stop once
  the vendor's window would have closed (``setting_retry_budget_s``), since a later retry would be
  accepted as a second command; a re-send after that is sent once more (an identical setting, harmless,
  but a second entry in the vendor's log);
- a 10012 repeat on a first attempt (someone outside our limiter sent the same thing) is
  ``RateLimited(vendor_said=True)``; what was done before it is kept and a re-send resumes there;
- a read Growatt would refuse to repeat is answered from the last answer, kept in the shared state for
  exactly that window (Growatt's data does not change faster anyway).

Exactly once. A command's settings run in order under one progress record per (request, plant, phase) in
the shared state (``state_url``): how many are in place, and when the next one was sent if it was. A
re-send with the same ``request_id`` skips what is in place and recognises what may have landed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from vendors import health
from vendors.base import AccountConfig, CallObserver, PlantTarget
from vendors.errors import AuthFailed, RateLimited, TransientError, VendorRejected
from vendors.http import ExchangeHook, recorder
from vendors.ratelimit import GROWATT_LIMITS, RateLimitTimeout, effective_limits, rate_key
from vendors.sessions import DEFAULT_PREFIX
from vendors.state import LockTimeout, StateStore, state_store_from_url

from . import commands as cmd
from .client import Answer, BadAnswer, GrowattClient, Method
from .commands import Step
from .spec import SPEC

log = logging.getLogger(__name__)

REPEAT_REFUSED = 10012  # the repeat rule; also "Energy storage machine does not exist" in 4.3.12
# Counted as rate_limited by the metrics (vpp/metrics.py): the call log keeps the code, not the message, so
# storageSet's rare "does not exist" 10012 is counted there too.
RATE_LIMIT_CODES = SPEC.rate_limit_codes  # {"10012"}: declared once, in spec.py
REPEAT_MARGIN_S = 0.5
"""Real seconds added to Growatt's 5-minute window before an identical request is sent again. The limiter's
default (10 ms) absorbs the jitter between a grant and the request's arrival at normal speed; against a
simulator at speed 600 a loaded host queues requests for tens of milliseconds, i.e. simulated minutes.
Waiting half a second more before an identical setting costs nothing; a refused call costs a retry."""
PLAN_TTL_S = 3 * 86_400.0  # longer than any task (a window is at most a day, then the timeout grace)
DAY_S = 86_400.0
DAILY_BUDGETS = {"plant/list": 10}
"""Calls a day the cloud allows (issue 14: plant lists to about 10 calls a day); counted over the last 24 h,
shared by every process through the state store, and reported as the account's budget left today."""
BLOCKED_CODES = frozenset({507})
"""The 24 h lock (HA core PR 142874: msg 507, "Current account has been locked for 24 hours", lockDuration
24). Also recognised by "locked" in error_msg, whatever the code."""
DEFAULT_BLOCK_HOURS = 24.0
FORMS_TTL_S = 30 * DAY_S
HEALTH_SUCCESS_EVERY_S = 30.0  # a success is news once in a while, not on every call
TYPE_UNKNOWN, VALUE_OUT_OF_RANGE = 10006, 10008  # Growatt 4.3.12 / 4.3.7 codes


def is_repeat_refusal(answer: Answer) -> bool:
    """10012 from the repeat rule ("error_frequently_access"), not storageSet's "does not exist"."""
    return answer.error_code == REPEAT_REFUSED and "frequent" in answer.error_msg.lower()


def is_block(answer: Answer) -> bool:
    return answer.error_code in BLOCKED_CODES or "locked" in answer.error_msg.lower()


class AccountBlocked(RateLimited):
    """Growatt blocked the account (24 h after too many queries or failed logins): no call until it ends."""


# Where the sources disagree (FIELD_NOTES.md), the forms a setting may take; the first is the document's.
AC_CHARGE_FORMS = (cmd.AC_CHARGE_ENABLE, cmd.AC_CHARGE_ENABLE_APP)
ON_FORMS = (cmd.ON, cmd.ON_SHINEPHONE)


REFUSAL_CHECK_EVERY_S = 5.0
"""How often a process looks whether another one saw this account's token refused (account health)."""


class StepRefused(Exception):
    """The vendor refused one setting of a plan: final for the plant."""

    def __init__(self, step: Step, answer: Answer) -> None:
        super().__init__(f"{step.label}: {answer.error_code} {answer.error_msg}")
        self.step = step
        self.answer = answer


class GrowattCalls:
    """The call path of one Growatt API token (thread-safe)."""

    def __init__(
        self,
        account: AccountConfig,
        *,
        limiter,
        state_url: str,
        max_wait_s: float = 5.0,
        observer: CallObserver | None = None,
    ) -> None:
        self.account = account
        self.max_wait_s = max_wait_s
        self._limiter = limiter
        self._held = threading.local()  # the slots this thread took and has not settled yet
        self._observer = observer
        overrides, speed = account.rate_limit_overrides, account.clock_speed
        self._limits = effective_limits(
            GROWATT_LIMITS, overrides=overrides, speed=speed, margin_s=REPEAT_MARGIN_S
        )
        # How long, in our seconds, the vendor remembers a setting (its own window, without our margin)...
        vendor = effective_limits(GROWATT_LIMITS, overrides=overrides, speed=speed, margin_frac=0, margin_s=0)
        self.vendor_repeat_window_s = max((r.window_s for r in vendor.get("storageSet", ())), default=0.0)
        # ... and how long we wait before sending the same setting again (with our margin).
        self.repeat_window_s = max((r.window_s for r in self._limits.get("storageSet", ())), default=0.0)
        # A setting's retries must reach the vendor while it still recognises the repeat (see above).
        self.setting_retry_budget_s = (
            0.6 * self.vendor_repeat_window_s if self.vendor_repeat_window_s else None
        )
        self._client = GrowattClient(
            account.base_url,
            account.secret,
            timeout_s=account.timeout_s,
            allow_private_network=account.allow_private_network,
        )
        # What must be remembered between calls and across processes: a command is several storageSet calls
        # whose identity is their exact content (no request id, # Growatt 4.3.12), and a window's content
        # depends on when it was computed. A re-send after a crash must repeat the very same requests, skip
        # the ones already accepted and recognise a possibly-landed one, so the plan and each step's
        # progress are kept in the shared store (durable on PostgreSQL: they must outlive a Redis restart).
        # Latest readings too, for the minutes in which Growatt refuses to send the same data again.
        self._state = state_store_from_url(state_url, prefix="")  # keys carry "growatt-adapter:<account>"
        self._prefix = f"growatt-adapter:{account.key}"
        # The account's health record lives where every reader of it looks (fleets.adapters, the API, the
        # reset action): under the shared prefix, like the Huawei adapter's, not under this adapter's keys.
        self._health_store = state_store_from_url(state_url, prefix=DEFAULT_PREFIX)
        # Which token on which server a refusal was for: another token or base URL may try again.
        self._secret_digest = hashlib.sha256(f"{account.base_url}\n{account.secret}".encode()).hexdigest()[
            :16
        ]
        speed = account.clock_speed if account.clock_speed > 0 else 1.0
        self.day_s = DAY_S / speed  # the vendor's day in our seconds
        self._hour_s = 3600.0 / speed
        self._last_success_note = 0.0
        self._refusal: str | None = None  # see _token_refusal
        self._refusal_checked_at = -REFUSAL_CHECK_EVERY_S
        # How long a call may be open (sent, retried, no answer yet): the client's retries may start until
        # its budget ends, and the last one then takes up to its timeouts (connect, write, read).
        self._flight_s = self._client.retry_budget_s + 3 * account.timeout_s + 1.0

    def close(self) -> None:
        self._client.close()
        self._health_store.close()
        self._state.close()

    # --- steps: one setting each, exactly once ------------------------------------------------------------

    def run_steps(
        self, steps: list[Step], target: PlantTarget, request_id: str, phase: str, *, fresh: bool = False
    ) -> None:
        """Each step in order, exactly once; returns when all are in place, StepRefused at a refusal.

        Progress is one record per (request, plant, phase): how many steps are in place and when the next
        one was sent, if it was (a crash or a lost answer leaves it "in flight"). ``fresh``: nothing of
        this request was sent before, so there is no progress to look up.
        """
        key = self._key("progress", request_id, target.plant_code, phase)
        progress = {"done": 0, "sent_at": None} if fresh else self._progress(key)
        for index in range(progress["done"], len(steps)):
            started = progress["sent_at"] if index == progress["done"] else None
            self._run_step(steps[index], target, request_id, key, index, started)
            # In place: recorded before anything else can fail (the next step's limiter wait, a Redis
            # outage), or a re-send would take this step for one still in flight and, once the vendor's
            # window has closed, send it a second time.
            self._state.set(key, json.dumps({"done": index + 1, "sent_at": None}), ttl_s=PLAN_TTL_S)

    def _progress(self, key: str) -> dict:
        raw = self._state.get(key)
        return json.loads(raw) if raw else {"done": 0, "sent_at": None}

    def steps_done(self, request_id: str, target: PlantTarget, phase: str) -> int:
        return self._progress(self._key("progress", request_id, target.plant_code, phase))["done"]

    def _run_step(
        self, step: Step, target: PlantTarget, request_id: str, key: str, index: int, started: float | None
    ) -> None:
        # A step we sent before (a crash, a lost answer) may be with the vendor. While its repeat window
        # is open, the same body goes again WITHOUT a new slot; either way a 10012 repeat then proves it
        # landed (nobody else sends our exact setting).
        params = self._in_learned_form(step.params)
        if started is None or time.time() - started >= 0.8 * self.vendor_repeat_window_s:
            self._acquire(step.endpoint, params)
        self._state.set(key, json.dumps({"done": index, "sent_at": time.time()}), ttl_s=PLAN_TTL_S)
        try:
            answer = self._call(
                "POST", step.endpoint, params, request_id, (target.plant_code, step.sn),
                budget_s=self.setting_retry_budget_s,
            )  # fmt: skip
            other = self._other_form(params, answer)
            if other is not None:
                # The cloud does not know this form (FIELD_NOTES "AC-charge spelling", "on code"): the other
                # one, once; whichever works is remembered for the account, so the probe is paid once.
                log.info("%s: %s %s; trying the other form", step.label, answer.error_code, answer.error_msg)
                self._acquire(step.endpoint, other)
                params = other
                answer = self._call(
                    "POST", step.endpoint, params, request_id, (target.plant_code, step.sn),
                    budget_s=self.setting_retry_budget_s,
                )  # fmt: skip
        except (AuthFailed, VendorRejected):
            self._not_sent(key, index)  # refused before the vendor looked at the setting
            raise
        if answer.ok:
            self._learn_form(params)
            return
        if is_repeat_refusal(answer):
            if answer.attempts > 1 or started is not None:
                log.info("%s: 10012 repeat of our own earlier attempt: it landed", step.label)
                return
            self._not_sent(key, index)
            raise RateLimited(
                f"{step.label}: Growatt refused an identical setting within 5 minutes (10012)",
                retry_after_s=self.repeat_window_s,
                vendor_said=True,
            )
        self._not_sent(key, index)
        raise StepRefused(step, answer)

    # --- forms the sources disagree on, learned once per account ------------------------------------------

    def _form_kind(self, params: Mapping[str, str]) -> tuple[str, str, tuple[str, ...]] | None:
        """``(memo name, the value that carries the form, its forms)`` for a setting whose form is in
        doubt, else None. The AC-charge switch's name is its ``type``; the on code is the first value."""
        if params.get("type") in AC_CHARGE_FORMS:
            return "ac_charge_type", params["type"], AC_CHARGE_FORMS
        value = params.get("param1") if "type" in params else params.get("command_1")
        setting = params.get("type") or params.get("paramId")
        if setting in (cmd.STORAGE_ON_OFF, cmd.PV_ON_OFF) and value in ON_FORMS:
            return "on_code", value, ON_FORMS
        return None

    def _with_form(self, params: Mapping[str, str], form: str) -> dict[str, str]:
        out = dict(params)
        if out.get("type") in AC_CHARGE_FORMS:
            out["type"] = form
        elif "type" in out:
            out["param1"] = form
        else:
            out["command_1"] = form
        return out

    def _in_learned_form(self, params: Mapping[str, str]) -> dict[str, str]:
        kind = self._form_kind(params)
        if kind is None:
            return dict(params)
        learned = self.recall(f"form:{kind[0]}")
        return self._with_form(params, learned) if learned in kind[2] else dict(params)

    def _other_form(self, params: Mapping[str, str], answer: Answer) -> dict[str, str] | None:
        kind = self._form_kind(params)
        if kind is None or answer.ok:
            return None
        name, value, forms = kind
        refused = TYPE_UNKNOWN if name == "ac_charge_type" else VALUE_OUT_OF_RANGE
        if answer.error_code != refused:
            return None
        other = next(f for f in forms if f != value)
        return self._with_form(params, other)

    def _learn_form(self, params: Mapping[str, str]) -> None:
        kind = self._form_kind(params)
        if kind is not None and self.recall(f"form:{kind[0]}") != kind[1]:
            self.remember(f"form:{kind[0]}", kind[1], FORMS_TTL_S)

    def _not_sent(self, key: str, index: int) -> None:
        self._state.set(key, json.dumps({"done": index, "sent_at": None}), ttl_s=PLAN_TTL_S)

    # --- reads and the call path ---------------------------------------------------------------------------

    def read(
        self,
        method: Method,
        endpoint: str,
        params: Mapping[str, str],
        *,
        request_id: str | None = None,
        targets: tuple[str, ...] = (),
        wait_s: float | None = None,
    ) -> tuple[Answer, float]:
        """A read and when it was fetched (our clock). Where Growatt would refuse the identical request
        (its 5-minute rule), the answer fetched last time is used, kept for exactly that long."""
        rules = self._limits.get(endpoint, ())
        cache_key = self._key("read", rate_key("growatt", self.account.key, endpoint, params=dict(params)))
        day_key = cache_key + ":day"
        if rules:
            try:
                self._acquire(endpoint, params, wait_s=wait_s)
            except RateLimited:
                cached = self._state.get(cache_key)
                if cached is None:
                    raise
                stored = json.loads(cached)
                return Answer(endpoint, stored["data"], 0, "", 200, 1), stored["at"]
        if endpoint in DAILY_BUDGETS:
            try:
                retry_after_s = self._spend_budget(endpoint)
            except BaseException:
                self._settle_held()  # nothing was sent
                raise
            if retry_after_s:
                self._settle_held()  # nothing is sent
                # Today's budget is spent: the last answer of the day (plant lists change rarely), if any.
                cached = self._state.get(day_key)
                if cached is None:
                    allowed = DAILY_BUDGETS[endpoint]
                    raise RateLimited(
                        f"{endpoint}: Growatt allows {allowed} a day; next in {retry_after_s:.0f} s",
                        retry_after_s=retry_after_s,
                    )
                stored = json.loads(cached)
                return Answer(endpoint, stored["data"], 0, "", 200, 1), stored["at"]
        answer = self._call(method, endpoint, params, request_id, targets)
        now = time.time()
        if answer.ok and rules:
            ttl = max(rule.window_s for rule in rules)
            self._state.set(cache_key, json.dumps({"data": answer.data, "at": now}), ttl_s=ttl)
            if endpoint in DAILY_BUDGETS:
                self._state.set(day_key, json.dumps({"data": answer.data, "at": now}), ttl_s=self.day_s)
        if is_repeat_refusal(answer):
            raise RateLimited(
                f"{endpoint}: Growatt refused a repeat (10012)",
                retry_after_s=self.repeat_window_s,
                vendor_said=True,
            )
        return answer, now

    def _spend_budget(self, endpoint: str) -> float:
        """Take one of today's calls of ``endpoint``: 0.0, or the seconds until one is free again."""
        limit = DAILY_BUDGETS[endpoint]
        key = self._key("budget", endpoint)
        try:
            with self._state.lock(key, ttl_s=10.0, wait_s=10.0):
                now = time.time()
                raw = self._state.get(key)
                times = [t for t in (json.loads(raw) if raw else []) if t > now - self.day_s]
                if len(times) >= limit:
                    health.health_budget(self._health_store, self.account.key, left_today=0)
                    return max(times[0] + self.day_s - now, 0.001)
                times.append(now)
                self._state.set(key, json.dumps(times), ttl_s=self.day_s)
        except LockTimeout as exc:
            raise RateLimited(f"{endpoint}: budget lock busy", retry_after_s=1.0) from exc
        health.health_budget(self._health_store, self.account.key, left_today=limit - len(times))
        return 0.0

    def budget_left(self, endpoint: str) -> int | None:
        """Calls of ``endpoint`` left in the last 24 h (None when it has no daily budget)."""
        if endpoint not in DAILY_BUDGETS:
            return None
        raw = self._state.get(self._key("budget", endpoint))
        now = time.time()
        used = [t for t in (json.loads(raw) if raw else []) if t > now - self.day_s]
        return max(DAILY_BUDGETS[endpoint] - len(used), 0)

    # --- the 24 h block and account health ------------------------------------------------------------------

    def blocked_until(self) -> float | None:
        raw = self._state.get(self._key("blocked"))
        until = float(raw) if raw else None
        return until if until is not None and until > time.time() else None

    def _check_blocked(self, endpoint: str) -> None:
        until = self.blocked_until()
        if until is not None:
            raise AccountBlocked(
                f"{endpoint}: Growatt blocked this account; no call until {until:.0f} (epoch s)",
                retry_after_s=until - time.time(),
            )

    def _judge(self, endpoint: str, answer: Answer) -> None:
        """What the answer says about the account: recorded in its health; a block stops every call."""
        key, now = self.account.key, time.time()
        if is_block(answer):
            data = answer.data if isinstance(answer.data, dict) else {}
            try:
                hours = float(data.get("lockDuration") or DEFAULT_BLOCK_HOURS)
            except (TypeError, ValueError):
                hours = DEFAULT_BLOCK_HOURS
            hours = hours if 0 < hours <= 72 else DEFAULT_BLOCK_HOURS
            until = now + hours * self._hour_s
            self._state.set(self._key("blocked"), repr(until), ttl_s=until - now + 60.0)
            message = f"{endpoint}: {answer.error_code} {answer.error_msg}"
            health.health_blocked(self._health_store, key, until=until, message=message)
            log.warning("Growatt account %s blocked for %.0f h: %s", key, hours, message)
            raise AccountBlocked(message, retry_after_s=until - now, vendor_said=True)
        if is_repeat_refusal(answer):
            until = now + self.repeat_window_s
            health.health_rate_limited(
                self._health_store,
                key,
                until=until,
                message=f"{endpoint}: {answer.error_code} {answer.error_msg}",
            )
        elif answer.ok:
            if now - self._last_success_note >= HEALTH_SUCCESS_EVERY_S:
                self._last_success_note = now
                health.health_success(self._health_store, key)
        else:
            message = f"{endpoint}: {answer.error_code} {answer.error_msg}"
            health.health_error(self._health_store, key, message=message)

    def _acquire(self, endpoint: str, params: Mapping[str, str], *, wait_s: float | None = None) -> None:
        """Wait for the request's slot (``RateLimiter.take``); the next ``_call`` settles it once its answer
        (retries included) is in, so the 5 minutes count from then: a request that reached the cloud late
        on a busy machine cannot make its repeat land inside the cloud's window."""
        rules = self._limits.get(endpoint, ())
        if not rules:
            return
        budget = self.max_wait_s if wait_s is None else wait_s
        key = rate_key("growatt", self.account.key, endpoint, params=dict(params))
        try:
            slot = self._limiter.take(key, rules, max_wait_s=budget, flight_s=self._flight_s)
        except RateLimitTimeout as exc:
            raise RateLimited(
                f"{endpoint}: the same request was sent less than 5 minutes ago; next slot in "
                f"{exc.retry_after_s:.1f} s",
                retry_after_s=exc.retry_after_s,
            ) from exc
        self._held.__dict__.setdefault("slots", []).append(slot)

    def _settle_held(self) -> None:
        """The answers are in (or nothing was sent after all): this thread's slots count from now."""
        slots = self._held.__dict__.get("slots", [])
        while slots:
            slot = slots.pop()
            try:
                slot.done()
            except Exception:  # the slot stays open: later identical requests wait its flight out
                log.warning("could not settle the rate-limit slot of %s", slot.key, exc_info=True)

    def _call(
        self,
        method: Method,
        endpoint: str,
        params: Mapping[str, str],
        request_id: str | None,
        targets: tuple[str, ...],
        *,
        budget_s: float | None = None,
    ) -> Answer:
        # A refused token stays refused for every process until the token or the server changes (another
        # digest) or an operator resets the account: its calls would only be refused again (FIELD_NOTES 22,
        # 25: a token of another region's server). Nothing is sent, so the slot taken for it is given back.
        refusal = self._token_refusal()
        if refusal is not None:
            self._settle_held()
            raise AuthFailed(f"{endpoint}: not sent, {refusal} (refused recently; fix the token or reset)")
        try:
            self._check_blocked(endpoint)
            recorder = self._recorder(request_id, targets)
            answer = self._client.call(method, endpoint, params, on_attempt=recorder, budget_s=budget_s)
        except AuthFailed as exc:  # 10011: the token is wrong or withdrawn (Growatt 5); a person must act
            health.health_refused(
                self._health_store, self.account.key, message=str(exc), secret_digest=self._secret_digest
            )
            self._refusal, self._refusal_checked_at = str(exc), time.monotonic()
            raise
        except (BadAnswer, TransientError) as exc:
            health.health_error(self._health_store, self.account.key, message=str(exc))
            raise
        finally:
            self._settle_held()
        self._judge(endpoint, answer)
        return answer

    def _token_refusal(self) -> str | None:
        """Why this token may not be sent now (another process saw it refused), read from the account's
        health at most every ``REFUSAL_CHECK_EVERY_S``: a read per call would slow every command's steps."""
        now = time.monotonic()
        if now - self._refusal_checked_at < REFUSAL_CHECK_EVERY_S and self._refusal is None:
            return None
        self._refusal_checked_at = now
        refusal = health.health_read(self._health_store, self.account.key).login_refusal(self._secret_digest)
        self._refusal = refusal if refusal is not None and refusal.startswith("credentials refused") else None
        return self._refusal

    def _recorder(self, request_id: str | None, targets: tuple[str, ...]) -> ExchangeHook | None:
        # The token travels in a header, never in the recorded parameters.
        return recorder(self._observer, account_key=self.account.key, request_id=request_id, targets=targets)

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

    # for ``adapter``: a command's plan and progress, in the shared state under this account
    @property
    def state(self) -> StateStore:
        return self._state

    def key(self, *parts: str) -> str:
        return self._key(*parts)

    # for ``discovery``: the shared state, keyed under this account
    def remember(self, name: str, value: Any, ttl_s: float) -> None:
        self._state.set(self._key("memo", name), json.dumps(value), ttl_s=ttl_s)

    def recall(self, name: str) -> Any:
        raw = self._state.get(self._key("memo", name))
        return None if raw is None else json.loads(raw)

    def call(
        self, method: Method, endpoint: str, params: Mapping[str, str], *, targets: tuple[str, ...] = ()
    ) -> Answer:
        """An unlimited endpoint (not in GROWATT_LIMITS) or a limited one, booking its slot first."""
        self._acquire(endpoint, params)
        return self._call(method, endpoint, params, None, targets)
