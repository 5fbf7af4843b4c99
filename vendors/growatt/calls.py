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

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from vendors.base import AccountConfig, CallObserver, CallRecord, PlantTarget
from vendors.errors import AuthFailed, RateLimited, VendorRejected
from vendors.ratelimit import GROWATT_LIMITS, RateLimitTimeout, effective_limits, rate_key
from vendors.state import state_store_from_url

from .client import Answer, Attempt, GrowattClient, Method
from .commands import Step

log = logging.getLogger(__name__)

REPEAT_REFUSED = 10012  # the repeat rule; also "Energy storage machine does not exist" in 4.3.12
# Counted as rate_limited by the metrics (vpp/metrics.py): the call log keeps the code, not the message, so
# storageSet's rare "does not exist" 10012 is counted there too.
RATE_LIMIT_CODES = frozenset({str(REPEAT_REFUSED)})
REPEAT_MARGIN_S = 0.5
"""Real seconds added to Growatt's 5-minute window before an identical request is sent again. The limiter's
default (10 ms) absorbs the jitter between a grant and the request's arrival at normal speed; against a
simulator at speed 600 a loaded host queues requests for tens of milliseconds, i.e. simulated minutes.
Waiting half a second more before an identical setting costs nothing; a refused call costs a retry."""
PLAN_TTL_S = 3 * 86_400.0  # longer than any task (a window is at most a day, then the timeout grace)


def is_repeat_refusal(answer: Answer) -> bool:
    """10012 from the repeat rule ("error_frequently_access"), not storageSet's "does not exist"."""
    return answer.error_code == REPEAT_REFUSED and "frequent" in answer.error_msg.lower()


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

    def close(self) -> None:
        self._client.close()
        self._state.close()

    # --- steps: one setting each, exactly once ------------------------------------------------------------

    def _run_steps(
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

    def _steps_done(self, request_id: str, target: PlantTarget, phase: str) -> int:
        return self._progress(self._key("progress", request_id, target.plant_code, phase))["done"]

    def _run_step(
        self, step: Step, target: PlantTarget, request_id: str, key: str, index: int, started: float | None
    ) -> None:
        # A step we sent before (a crash, a lost answer) may be with the vendor. While its repeat window
        # is open, the same body goes again WITHOUT a new slot; either way a 10012 repeat then proves it
        # landed (nobody else sends our exact setting).
        if started is None or time.time() - started >= 0.8 * self.vendor_repeat_window_s:
            self._acquire(step.endpoint, step.params)
        self._state.set(key, json.dumps({"done": index, "sent_at": time.time()}), ttl_s=PLAN_TTL_S)
        try:
            answer = self._call(
                "POST", step.endpoint, step.params, request_id, (target.plant_code, step.sn),
                budget_s=self.setting_retry_budget_s,
            )  # fmt: skip
        except (AuthFailed, VendorRejected):
            self._not_sent(key, index)  # refused before the vendor looked at the setting
            raise
        if answer.ok:
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
        if rules:
            try:
                self._acquire(endpoint, params, wait_s=wait_s)
            except RateLimited:
                cached = self._state.get(cache_key)
                if cached is None:
                    raise
                stored = json.loads(cached)
                return Answer(endpoint, stored["data"], 0, "", 200, 1), stored["at"]
        answer = self._call(method, endpoint, params, request_id, targets)
        now = time.time()
        if answer.ok and rules:
            ttl = max(rule.window_s for rule in rules)
            self._state.set(cache_key, json.dumps({"data": answer.data, "at": now}), ttl_s=ttl)
        if is_repeat_refusal(answer):
            raise RateLimited(
                f"{endpoint}: Growatt refused a repeat (10012)",
                retry_after_s=self.repeat_window_s,
                vendor_said=True,
            )
        return answer, now

    def _acquire(self, endpoint: str, params: Mapping[str, str], *, wait_s: float | None = None) -> None:
        rules = self._limits.get(endpoint, ())
        if not rules:
            return
        budget = self.max_wait_s if wait_s is None else wait_s
        key = rate_key("growatt", self.account.key, endpoint, params=dict(params))
        try:
            delay_s = self._limiter.reserve_earliest(key, rules, max_wait_s=budget)
        except RateLimitTimeout as exc:
            raise RateLimited(
                f"{endpoint}: the same request was sent less than 5 minutes ago; next slot in "
                f"{exc.retry_after_s:.1f} s",
                retry_after_s=exc.retry_after_s,
            ) from exc
        if delay_s > 0:
            time.sleep(delay_s)

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
        recorder = self._recorder(request_id, targets)
        return self._client.call(method, endpoint, params, on_attempt=recorder, budget_s=budget_s)

    def _recorder(self, request_id: str | None, targets: tuple[str, ...]) -> Callable[[Attempt], None]:
        observer = self._observer
        account_key = self.account.key

        def record(attempt: Attempt) -> None:
            if observer is None:
                return
            try:
                observer(
                    CallRecord(
                        account_key=account_key,
                        endpoint=attempt.endpoint,
                        request_id=request_id,
                        targets=targets,
                        params=dict(attempt.params),  # the token travels in a header, never here
                        http_status=attempt.http_status,
                        vendor_code=None if attempt.error_code is None else str(attempt.error_code),
                        duration_ms=attempt.duration_ms,
                        error=attempt.error,
                        response_excerpt=attempt.excerpt,
                    )
                )
            except Exception:  # the audit trail must never break the call it records
                log.exception("call observer failed for %s", attempt.endpoint)

        return record

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

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
