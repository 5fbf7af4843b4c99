"""When a campaign runs: a cron expression or an RFC 5545 RRULE, evaluated in a named timezone.

Occurrences are wall-clock times in the campaign's timezone, so "17:00 every weekday" stays at 17:00 local
time across daylight-saving changes (its UTC instant moves by an hour). Both kinds resolve the two DST edge
cases the same way:
- a local time that does not exist (the spring-forward gap, e.g. 02:30 on the last Sunday of March in
  Europe/Berlin) runs once, at the first instant after the gap (cronsim's rule: 03:00);
- a local time that happens twice (the fall-back hour) runs once, at its first occurrence.
Everything returned is an aware datetime in UTC.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from math import gcd
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from cronsim import CronSim, CronSimError
from dateutil.rrule import DAILY, HOURLY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

# One minimum for both kinds: at most one run an hour. A run sends a command to a whole fleet, which takes
# minutes within the vendors' quotas (e.g. one command call a minute per account, 100 plants a call,
# NBI V7 9.3) and leaves quota for commands sent by hand.
MIN_INTERVAL = timedelta(hours=1)
# Occurrences looked at to find the shortest interval: more than a day's worth at the minimum, so the gap
# between two consecutive days shows too (the BY* / cron fields repeat the same times on every day).
INTERVAL_SAMPLE = 60
# How far past the time asked about an RRULE is searched: the years dateutil's walk may enter (at least
# this many calendar years; more for FREQ=YEARLY;INTERVAL>1, which enters every INTERVAL-th year). dateutil
# walks period by period until one matches, up to the year 9999, and UNTIL does not stop that walk: a rule
# that never matches (FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30) held a web process for seconds. Past this
# horizon a rule has "no next occurrence yet"; one that has none within it from its start is refused.
HORIZON_YEARS = 10


class RecurrenceKind(enum.StrEnum):
    CRON = "cron"
    RRULE = "rrule"


class RecurrenceError(ValueError):
    """A recurrence that cannot be used; `field` names the campaign field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def zone(name: str) -> ZoneInfo:
    if name not in _zones():
        raise RecurrenceError("timezone", f"'{name}' is not an IANA timezone name (e.g. Europe/Berlin)")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RecurrenceError(
            "timezone", f"'{name}' is not an IANA timezone name (e.g. Europe/Berlin)"
        ) from None


_ZONES: set[str] | None = None


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = available_timezones() | {"UTC"}
    return _ZONES


def _exists(local: datetime) -> bool:
    """False for a wall time in a spring-forward gap (it does not survive a round trip through UTC)."""
    return local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) == local.replace(tzinfo=None)


def _after_gap(local: datetime) -> datetime:
    """The first existing wall time after a gap, on the same minute grid as cron: the hour the gap ends."""
    probe = local.replace(minute=0, second=0, microsecond=0)
    while not _exists(probe):
        probe += timedelta(minutes=15)
    return probe


@dataclass(frozen=True)
class Recurrence:
    kind: RecurrenceKind
    expression: str
    timezone: str
    anchor: date | None = None  # an RRULE's DTSTART day (INTERVAL and COUNT count from it); cron ignores it

    def occurrences(self, *, after: datetime, until: datetime | None = None) -> Iterator[datetime]:
        """Occurrences strictly after `after` (and not after `until`), as UTC datetimes, in order."""
        tz = zone(self.timezone)
        start_local = after.astimezone(tz)
        for local in self._local_iter(start_local, tz):
            instant = local.astimezone(UTC)
            if instant <= after:
                continue
            if until is not None and instant > until:
                return
            yield instant

    def next_runs(self, *, after: datetime, count: int) -> list[datetime]:
        out: list[datetime] = []
        for instant in self.occurrences(after=after):
            out.append(instant)
            if len(out) >= count:
                break
        return out

    def _local_iter(self, start_local: datetime, tz: ZoneInfo) -> Iterator[datetime]:
        if self.kind == RecurrenceKind.CRON:
            # cronsim works in the tz of the start datetime and applies the DST rules in the module docstring.
            yield from CronSim(self.expression, start_local.replace(second=0, microsecond=0))
            return
        # dateutil's rrule works on naive wall times: DTSTART is local midnight of the anchor day, and we
        # attach the zone ourselves, so wall-clock semantics hold across DST changes.
        anchor = self.anchor or start_local.date()
        # dateutil walks from the rule's start (DTSTART): a campaign started years ago would walk through
        # every run since. The walk starts instead on the latest day in the same phase (walk_start).
        start = walk_start(self.expression, anchor, start_local.date() - timedelta(days=1))
        rule = _rrule(self.expression, datetime.combine(start, time(0, 0)))
        from_naive = max(
            datetime.combine(start, time(0, 0)), start_local.replace(tzinfo=None) - timedelta(days=1)
        )
        # The years up to the time asked about, plus the horizon.
        rule.years_allowed = from_naive.year - start.year + 1 + HORIZON_YEARS
        seen: datetime | None = None
        occurrences = rule.xafter(from_naive, inc=True)
        while True:
            try:
                naive = next(occurrences)
            except (StopIteration, HorizonReached):
                return  # nothing (more) within the horizon: "no next run yet"
            local = naive.replace(tzinfo=tz, fold=0)
            if not _exists(local):
                local = _after_gap(local)
            if seen is not None and local <= seen:
                continue
            seen = local
            yield local


class HorizonReached(Exception):
    """An RRULE evaluation scanned every year it was allowed to (`BoundedRRule`)."""


class BoundedRRule(rrule):
    """dateutil's rrule, stopped once its walk enters more than `years_allowed` calendar years.

    dateutil reads the rule's `_byweekno` once as a walk starts and once for each new year the walk enters
    (its per-year setup, `_iterinfo.rebuild`), however empty the year is: counting those reads counts the
    years scanned, which bounds the walk where nothing else does. tests/campaigns/test_recurrence_bounds.py
    holds dateutil to it.
    """

    years_allowed: int | None = None
    _reads = 0

    @property
    def years_scanned(self) -> int:
        return max(self._reads - 1, 0)

    @property
    def _byweekno(self):
        if self.years_allowed is not None:
            self._reads += 1
            if self.years_scanned > self.years_allowed:
                raise HorizonReached(f"no occurrence within {self.years_allowed} years")
        return self.__dict__.get("_byweekno_value")

    @_byweekno.setter
    def _byweekno(self, value):
        self.__dict__["_byweekno_value"] = value


def _rrule(expression: str, dtstart: datetime) -> BoundedRRule:
    text = expression.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parsed = rrulestr(text, dtstart=dtstart, ignoretz=True, cache=False)
    # The same rule as a BoundedRRule, built as dateutil's own rrule.replace() rebuilds one.
    return BoundedRRule(
        freq=parsed._freq,
        dtstart=parsed._dtstart,
        interval=parsed._interval,
        wkst=parsed._wkst,
        count=parsed._count,
        until=parsed._until,
        cache=False,
        **parsed._original_rule,
    )


def walk_start(expression: str, anchor: date, day: date) -> date:
    """The latest day at most `day` on which the rule's walk may start instead of `anchor` with the same
    runs after it: a whole number of its periods times INTERVAL later, so what dateutil takes from the
    start (month, day of month, weekday, midnight) and the grid INTERVAL counts on stay as they were.
    `anchor` itself when the rule has COUNT (counted from the anchor) or starts on 29 February."""
    rule = _rrule(expression, datetime.combine(anchor, time(0, 0)))
    if rule._count or day <= anchor:
        return anchor
    freq, interval = rule._freq, rule._interval
    if freq in (DAILY, WEEKLY, HOURLY):
        step_days = {DAILY: interval, WEEKLY: 7 * interval, HOURLY: interval // gcd(interval, 24)}[freq]
        return anchor + timedelta(days=(day - anchor).days // step_days * step_days)
    if freq in (MONTHLY, YEARLY) and (anchor.month, anchor.day) != (2, 29):
        step_years = interval // gcd(interval, 12) if freq == MONTHLY else interval
        years = (day.year - anchor.year) // step_years * step_years
        while years > 0 and anchor.replace(year=anchor.year + years) > day:
            years -= step_years
        return anchor.replace(year=anchor.year + max(years, 0))
    return anchor


def parse_recurrence(kind: str, expression: str, timezone: str, anchor: date | None = None) -> Recurrence:
    """Validate and return a Recurrence, or raise RecurrenceError naming the field and the rule."""
    try:
        kind = RecurrenceKind(kind)
    except ValueError:
        raise RecurrenceError(
            "recurrence_kind", f"must be one of {[k.value for k in RecurrenceKind]}"
        ) from None
    zone(timezone)
    expression = (expression or "").strip()
    if not expression:
        raise RecurrenceError("recurrence", "must not be empty")
    if kind == RecurrenceKind.CRON:
        try:
            CronSim(expression, datetime(2026, 1, 1, tzinfo=UTC))
        except CronSimError as exc:
            raise RecurrenceError("recurrence", f"invalid cron expression: {exc}") from None
        if len(expression.split()) != 5:
            raise RecurrenceError(
                "recurrence", "a cron expression has five fields: minute hour day month weekday"
            )
    else:
        upper = expression.upper()
        if "DTSTART" in upper or "TZID" in upper or "\n" in expression:
            raise RecurrenceError(
                "recurrence",
                "give one RRULE without DTSTART or TZID: the campaign's start_date and timezone set them",
            )
        if "FREQ=" not in upper:
            raise RecurrenceError("recurrence", "an RRULE needs FREQ (e.g. FREQ=DAILY;BYHOUR=17;BYMINUTE=0)")
        if "FREQ=SECONDLY" in upper or "FREQ=MINUTELY" in upper:
            raise RecurrenceError(
                "recurrence", "runs more often than hourly are not allowed (FREQ=MINUTELY/SECONDLY)"
            )  # refused before any evaluation: a sample of them would all be too close anyway
        try:
            _rrule(expression, datetime(2026, 1, 1))
        except (ValueError, TypeError) as exc:
            raise RecurrenceError("recurrence", f"invalid RRULE: {exc}") from None
    recurrence = Recurrence(kind, expression, timezone, anchor)
    # An expression that never fires (e.g. "0 0 30 2 *") is a mistake, not a plan.
    probe = (
        datetime.combine(anchor, time(0, 0), tzinfo=UTC) - timedelta(days=1)
        if anchor
        else datetime(2026, 1, 1, tzinfo=UTC)
    )
    if not recurrence.next_runs(after=probe, count=1):
        raise RecurrenceError("recurrence", f"never occurs (none within {HORIZON_YEARS} years)")
    _check_min_interval(kind, expression, anchor, probe)
    return recurrence


def _check_min_interval(kind: RecurrenceKind, expression: str, anchor: date | None, probe: datetime) -> None:
    """Consecutive runs at least MIN_INTERVAL apart, for cron and RRULE alike. Measured in UTC, where no
    daylight-saving change moves a run, over the first INTERVAL_SAMPLE runs."""
    runs = Recurrence(kind, expression, "UTC", anchor).next_runs(after=probe, count=INTERVAL_SAMPLE)
    shortest = min((b - a for a, b in zip(runs, runs[1:], strict=False)), default=None)
    if shortest is not None and shortest < MIN_INTERVAL:
        minutes = int(shortest.total_seconds() // 60)
        raise RecurrenceError(
            "recurrence",
            f"runs more often than hourly are not allowed (two runs {minutes} min apart); "
            "a campaign runs at most once an hour",
        )


def local_day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight starting `day` and the next day (a 23 or 25 hour span at DST)."""
    tz = zone(timezone)
    start = datetime.combine(day, time(0, 0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)
