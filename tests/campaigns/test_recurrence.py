"""Campaign recurrences fire at the right local times, across DST changes, in both notations."""

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatch.campaigns.recurrence import RecurrenceError, parse_recurrence, zone

BERLIN = "Europe/Berlin"
WEEKDAYS_17H = [
    ("cron", "0 17 * * 1-5"),
    ("rrule", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=17;BYMINUTE=0;BYSECOND=0"),
]


def _local(instants, tz=BERLIN):
    return [i.astimezone(zone(tz)).strftime("%a %Y-%m-%d %H:%M %z") for i in instants]


@pytest.mark.parametrize(("kind", "expression"), WEEKDAYS_17H)
def test_a_17h_campaign_stays_at_17h_local_across_the_autumn_dst_change(kind, expression):
    recurrence = parse_recurrence(kind, expression, BERLIN)
    runs = recurrence.next_runs(after=datetime(2026, 10, 22, 12, 0, tzinfo=UTC), count=4)
    assert _local(runs) == [
        "Thu 2026-10-22 17:00 +0200",
        "Fri 2026-10-23 17:00 +0200",
        "Mon 2026-10-26 17:00 +0100",  # DST ended on Sunday 25th: same local time, an hour later in UTC
        "Tue 2026-10-27 17:00 +0100",
    ]
    assert [r.hour for r in runs] == [15, 15, 16, 16]


@pytest.mark.parametrize(("kind", "expression"), WEEKDAYS_17H)
def test_a_17h_campaign_stays_at_17h_local_across_the_spring_dst_change(kind, expression):
    recurrence = parse_recurrence(kind, expression, BERLIN)
    runs = recurrence.next_runs(after=datetime(2026, 3, 27, 0, 0, tzinfo=UTC), count=2)
    assert _local(runs) == ["Fri 2026-03-27 17:00 +0100", "Mon 2026-03-30 17:00 +0200"]


@pytest.mark.parametrize(
    ("kind", "expression"),
    [("cron", "30 2 * * *"), ("rrule", "FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0")],
)
def test_a_time_in_the_spring_gap_runs_once_right_after_the_gap(kind, expression):
    recurrence = parse_recurrence(kind, expression, BERLIN)
    runs = recurrence.next_runs(after=datetime(2026, 3, 28, 12, 0, tzinfo=UTC), count=2)
    assert _local(runs) == ["Sun 2026-03-29 03:00 +0200", "Mon 2026-03-30 02:30 +0200"]


@pytest.mark.parametrize(
    ("kind", "expression"),
    [("cron", "30 2 * * *"), ("rrule", "FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0")],
)
def test_a_time_in_the_repeated_autumn_hour_runs_once(kind, expression):
    recurrence = parse_recurrence(kind, expression, BERLIN)
    runs = recurrence.next_runs(after=datetime(2026, 10, 24, 12, 0, tzinfo=UTC), count=2)
    assert _local(runs) == ["Sun 2026-10-25 02:30 +0200", "Mon 2026-10-26 02:30 +0100"]


def test_southern_hemisphere_dst_moves_the_other_way():
    recurrence = parse_recurrence("cron", "0 17 * * *", "Australia/Sydney")
    runs = recurrence.next_runs(after=datetime(2026, 10, 3, 0, 0, tzinfo=UTC), count=2)
    assert _local(runs, "Australia/Sydney") == ["Sat 2026-10-03 17:00 +1000", "Sun 2026-10-04 17:00 +1100"]


def test_rrule_interval_counts_from_the_anchor_day_not_from_now():
    recurrence = parse_recurrence(
        "rrule", "FREQ=DAILY;INTERVAL=2;BYHOUR=1;BYMINUTE=0", "UTC", anchor=date(2026, 1, 1)
    )
    first = recurrence.next_runs(after=datetime(2026, 1, 2, 12, 0, tzinfo=UTC), count=2)
    assert [d.date().isoformat() for d in first] == ["2026-01-03", "2026-01-05"]


def test_occurrences_respect_until():
    recurrence = parse_recurrence("cron", "0 * * * *", "UTC")
    runs = list(
        recurrence.occurrences(
            after=datetime(2026, 1, 1, 0, 0, tzinfo=UTC), until=datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
        )
    )
    assert [r.hour for r in runs] == [1, 2, 3]


@pytest.mark.parametrize(
    ("kind", "expression", "timezone", "field", "rule"),
    [
        ("cron", "61 * * * *", "UTC", "recurrence", "invalid cron"),
        ("cron", "0 17 * *", "UTC", "recurrence", "invalid cron"),
        ("cron", "0 0 30 2 *", "UTC", "recurrence", ""),
        ("cron", "", "UTC", "recurrence", "must not be empty"),
        ("rrule", "FREQ=SOMETIMES", "UTC", "recurrence", "invalid RRULE"),
        ("rrule", "BYHOUR=3", "UTC", "recurrence", "needs FREQ"),
        ("rrule", "FREQ=MINUTELY", "UTC", "recurrence", "more often than hourly"),
        ("rrule", "DTSTART:20260101T000000\nRRULE:FREQ=DAILY", "UTC", "recurrence", "without DTSTART"),
        ("cron", "0 17 * * *", "Mars/Olympus", "timezone", "IANA"),
        ("weekly", "0 17 * * *", "UTC", "recurrence_kind", "must be one of"),
    ],
)
def test_invalid_recurrences_name_the_field_and_the_rule(kind, expression, timezone, field, rule):
    with pytest.raises(RecurrenceError) as info:
        parse_recurrence(kind, expression, timezone)
    assert info.value.field == field
    assert rule in info.value.message


@given(
    minute=st.integers(0, 59),
    hour=st.integers(0, 23),
    tz=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Shanghai", "UTC"]),
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)),
)
def test_daily_cron_and_rrule_agree_and_are_increasing(minute, hour, tz, start):
    after = start.replace(tzinfo=UTC)
    cron = parse_recurrence("cron", f"{minute} {hour} * * *", tz).next_runs(after=after, count=5)
    rrule = parse_recurrence("rrule", f"FREQ=DAILY;BYHOUR={hour};BYMINUTE={minute};BYSECOND=0", tz).next_runs(
        after=after, count=5
    )
    assert cron == rrule
    assert all(a < b for a, b in zip(cron, cron[1:], strict=False))
    assert all(r > after for r in cron)
