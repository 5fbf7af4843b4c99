"""Rate rules, the per-account limits derived from a vendor's table, and the sliding-window slot maths.

Why a sliding-window log and not fixed buckets: the vendors do not document how they count ("once per
minute" may be a calendar minute, a minute since the last call, or a bucket aligned anywhere). At most
``limit`` calls in ANY interval of ``window_s`` implies at most ``limit`` in every bucket of that length,
wherever the vendor aligns it, so it is the one reading that is safe under all of them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_MARGIN_FRAC = 0.02
"""Each effective window is this fraction longer than the vendor's (clock skew, vendor rounding)."""

DEFAULT_MARGIN_S = 0.025
"""Plus this many REAL seconds, never divided by ``speed``: the jitter between the moment a slot is
granted and the moment the request reaches the vendor (scheduling, connect, a slow packet) is real time,
and an accelerated simulator magnifies it by its speed, so it must not shrink as the clock speeds up.
25 ms covers the worst grant-to-call jitter measured with four processes on a loaded two-core machine
(about 20 ms); it costs nothing at the vendors' real windows (a minute or more)."""


@dataclass(frozen=True, slots=True)
class RateRule:
    """At most ``limit`` calls in any interval of ``window_s`` seconds."""

    limit: int
    window_s: float

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1:
            raise ValueError(f"limit must be an int >= 1, got {self.limit!r}")
        window_s = self.window_s
        if not (isinstance(window_s, int | float) and math.isfinite(window_s) and window_s > 0):
            raise ValueError(f"window_s must be a finite number > 0, got {self.window_s!r}")

    def __str__(self) -> str:
        return f"{self.limit}/{self.window_s:g}s"


RuleLike = RateRule | tuple[int, float] | Sequence[Any]
Limits = Mapping[str, tuple[RateRule, ...]]


def as_rule(rule: RuleLike) -> RateRule:
    """Accept ``(limit, window_s)`` pairs as well, the shape overrides arrive in from JSON settings."""
    if isinstance(rule, RateRule):
        return rule
    limit, window_s = rule
    return RateRule(limit, window_s)


def effective_limits(
    base: Limits,
    *,
    overrides: Mapping[str, Iterable[RuleLike]] | None = None,
    speed: float = 1.0,
    margin_frac: float = DEFAULT_MARGIN_FRAC,
    margin_s: float = DEFAULT_MARGIN_S,
) -> dict[str, tuple[RateRule, ...]]:
    """The rules a limiter should enforce for one vendor account, endpoint by endpoint.

    ``overrides`` replace an endpoint's rules entirely (an account with a negotiated quota, or an endpoint
    the table lacks). ``speed`` divides every window so the limits match a simulator whose clock runs
    ``speed`` times faster than real time. The margin then lengthens every window, so a grant recorded
    here can never land inside the vendor's own window of the previous call; limits are never raised.
    """
    if not (math.isfinite(speed) and speed > 0):
        raise ValueError(f"speed must be a finite number > 0, got {speed!r}")
    if not (margin_frac >= 0 and margin_s >= 0):
        raise ValueError("margins must be >= 0")
    merged: dict[str, tuple[RateRule, ...]] = {name: tuple(rules) for name, rules in base.items()}
    for name, rules in (overrides or {}).items():
        merged[name] = tuple(as_rule(rule) for rule in rules)
    return {
        name: tuple(
            RateRule(rule.limit, rule.window_s / speed * (1.0 + margin_frac) + margin_s) for rule in rules
        )
        for name, rules in merged.items()
    }


def looser_overrides(documented: Limits, overrides: Mapping[str, Iterable[RuleLike]]) -> dict[str, str]:
    """Which overrides would let more calls through than the vendor's documented limits: endpoint -> why.

    Stricter means: for every documented rule of the endpoint, some override rule allows no larger burst
    and no higher rate (``limit <= vendor limit`` and ``limit / window <= vendor limit / vendor window``).
    An endpoint the table does not list has no documented limit to be stricter than: naming one is a
    typo or a negotiated quota, both for platform staff to decide."""
    out: dict[str, str] = {}
    for name, rules in overrides.items():
        vendor = documented.get(name)
        if not vendor:
            out[name] = "not an endpoint with a documented limit"
            continue
        mine = [as_rule(rule) for rule in rules]
        for rule in vendor:
            if not any(
                m.limit <= rule.limit and m.limit * rule.window_s <= rule.limit * m.window_s for m in mine
            ):
                out[name] = f"allows more calls than the vendor's {rule.limit} per {rule.window_s:g} s"
                break
    return out


def rate_key(vendor: str, account: str, endpoint: str, *, params: Mapping[str, Any] | None = None) -> str:
    """The limiter key of one vendor account's endpoint, e.g. ``huawei:acct-7:chargeAndDischarge``.

    ``params`` narrows the key to one exact request (hashed, order-insensitive), for a vendor that refuses
    a repeat of the SAME request rather than counting every call to the endpoint (Growatt).
    """
    key = f"{vendor}:{account}:{endpoint}"
    if params is not None:
        canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
        key += ":" + hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return key


def rules_us(rules: Iterable[RateRule]) -> list[tuple[int, int]]:
    """``(limit, window_us)`` pairs; windows rounded UP to whole microseconds so rounding never loosens."""
    return [(rule.limit, math.ceil(rule.window_s * 1_000_000)) for rule in rules]


def earliest_slot_us(now_us: int, recent_desc: Sequence[int], rules: Sequence[tuple[int, int]]) -> int:
    """The earliest time >= ``now_us`` at which one more call keeps every rule, given the log so far.

    ``recent_desc`` is the log of granted (possibly future, booked) slots, newest first. Slots are only
    ever appended at or after the newest one, so the busiest window that a new slot ``t`` closes is
    ``(t - window, t]`` and the rule holds iff the ``limit``-th newest slot is at most ``t - window``.
    The Redis Lua script computes the same thing; this copy is what SQLite uses and tests drive.
    """
    slot = now_us
    if recent_desc:
        slot = max(slot, recent_desc[0])
    for limit, window_us in rules:
        if len(recent_desc) >= limit:
            slot = max(slot, recent_desc[limit - 1] + window_us)
    return slot


def effective_time_us(at_us: int, flight_us: int | None, now_us: int) -> int:
    """When a logged call counts as made, for the bookings after it.

    A settled call (``flight_us`` None) counts at its logged time: its answer's arrival, or its slot if it
    was settled when booked (``reserve``). An open one (booked, maybe sent, no answer yet) counts as made
    now at the earliest, since the vendor may read its clock any time until the answer, but at most
    ``flight_us`` after its slot: a process that died mid-call does not hold its key for ever.
    """
    if flight_us is None:
        return at_us
    return max(at_us, min(now_us, at_us + flight_us))
