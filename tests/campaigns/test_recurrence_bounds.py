"""Recurrences are evaluated within a bound, and cron and RRULE share one minimum interval (an hour).

dateutil walks an RRULE period by period up to the year 9999 looking for a match, and UNTIL does not stop
the walk: `FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;BYMINUTE=0` held a web process for seconds before its 400.
The walk is now stopped after HORIZON_YEARS calendar years past the time asked about; these tests count the
years scanned (never the time taken).
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from dispatch.campaigns.models import Campaign
from dispatch.campaigns.recurrence import (
    HORIZON_YEARS,
    HorizonReached,
    Recurrence,
    RecurrenceError,
    RecurrenceKind,
    _rrule,
    parse_recurrence,
    walk_start,
)
from tests.factories import FleetFactory

NEVER = "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;BYMINUTE=0"


def test_a_rule_that_never_matches_is_given_up_after_the_horizon_in_years_scanned():
    rule = _rrule(NEVER, datetime(2026, 1, 1))
    rule.years_allowed = HORIZON_YEARS
    with pytest.raises(HorizonReached):
        next(iter(rule.xafter(datetime(2026, 1, 1), inc=True)))
    # dateutil entered one year more than allowed, and was stopped there (not at the year 9999).
    assert rule.years_scanned == HORIZON_YEARS + 1


def test_an_unbounded_rule_scans_only_as_many_years_as_it_needs():
    rule = _rrule("FREQ=DAILY;BYHOUR=17;BYMINUTE=0", datetime(2026, 1, 1))
    rule.years_allowed = HORIZON_YEARS
    assert next(iter(rule.xafter(datetime(2026, 1, 1), inc=True))) == datetime(2026, 1, 1, 17, 0)
    assert rule.years_scanned <= 2


@pytest.mark.parametrize(
    "expression",
    [NEVER, "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4,6,9,11"],
)
def test_a_recurrence_that_never_occurs_is_refused(expression):
    with pytest.raises(RecurrenceError) as caught:
        parse_recurrence("rrule", expression, "Europe/Berlin")
    assert caught.value.field == "recurrence"
    assert "never occurs" in caught.value.message


def test_a_rare_rule_lists_the_runs_within_the_horizon_and_stops():
    # Feb 29 at midnight: the runs of the next ten years, then "no next run yet" (not a walk to 9999).
    recurrence = Recurrence(
        RecurrenceKind.RRULE, "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "UTC", date(2026, 1, 1)
    )
    runs = recurrence.next_runs(after=datetime(2026, 1, 1, tzinfo=UTC), count=5)
    assert [r.year for r in runs] == [2028, 2032, 2036]


def test_a_campaign_started_long_ago_still_finds_its_next_run():
    """The bound counts from the time asked about: years since the start do not use up the horizon."""
    recurrence = Recurrence(
        RecurrenceKind.RRULE, "FREQ=DAILY;BYHOUR=17;BYMINUTE=0", "Europe/Berlin", date(2010, 1, 1)
    )
    after = datetime(2026, 6, 1, tzinfo=UTC)
    assert recurrence.next_runs(after=after, count=1) == [datetime(2026, 6, 1, 15, 0, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("kind", "expression"),
    [
        ("cron", "* * * * *"),
        ("cron", "*/30 * * * *"),
        ("cron", "0,45 * * * *"),
        ("cron", "0,50 9-10 * * *"),  # 09:50 then 10:00
        ("rrule", "FREQ=HOURLY;BYMINUTE=0,30"),
        ("rrule", "FREQ=DAILY;BYHOUR=17;BYMINUTE=0,15"),
        ("rrule", "FREQ=MINUTELY;INTERVAL=90"),
    ],
)
def test_cron_and_rrule_refuse_runs_closer_than_an_hour(kind, expression):
    with pytest.raises(RecurrenceError) as caught:
        parse_recurrence(kind, expression, "Europe/Berlin")
    assert caught.value.field == "recurrence"
    assert "more often than hourly" in caught.value.message


@pytest.mark.parametrize(
    ("kind", "expression", "anchor"),
    [
        ("cron", "0 * * * *", None),
        ("cron", "59 * * * *", None),
        ("cron", "0 17 * * 1-5", None),
        ("cron", "30 * * * *", date(2026, 3, 28)),  # spans the spring-forward night in Berlin
        ("rrule", "FREQ=HOURLY", None),
        ("rrule", "FREQ=DAILY;BYHOUR=0,23;BYMINUTE=0", None),  # 23:00 then 00:00: an hour apart
        ("rrule", "FREQ=HOURLY;BYMINUTE=30", date(2026, 10, 24)),  # spans the fall-back night
    ],
)
def test_runs_an_hour_apart_or_more_are_accepted(kind, expression, anchor):
    parse_recurrence(kind, expression, "Europe/Berlin", anchor)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "expression", "rule"),
    [("rrule", NEVER, "never occurs"), ("cron", "* * * * *", "more often than hourly")],
)
def test_the_api_answers_400_naming_the_recurrence_and_writes_nothing(bob_api, org, kind, expression, rule):
    fleet = FleetFactory(organization=org)
    body = {
        "name": "Too much",
        "fleet": fleet.pk,
        "command_kind": "charge_discharge",
        "params": {"action": "discharge", "control": "duration", "duration_min": 30, "power_w": 3000},
        "recurrence_kind": kind,
        "recurrence": expression,
        "timezone": "Europe/Berlin",
        "start_date": (datetime.now(UTC) + timedelta(days=1)).date().isoformat(),
    }
    response = bob_api.post("/api/v1/campaigns", body, format="json")
    assert response.status_code == 400, response.json()
    assert rule in response.json()["fields"]["recurrence"][0]["message"]
    assert not Campaign.objects.exists()


PHASED = [
    "FREQ=HOURLY;INTERVAL=5",
    "FREQ=HOURLY;INTERVAL=36;BYMINUTE=15",
    "FREQ=DAILY;INTERVAL=3;BYHOUR=17;BYMINUTE=0",
    "FREQ=WEEKLY;INTERVAL=2",  # the weekday comes from the start
    "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR;BYHOUR=6;BYMINUTE=0",
    "FREQ=MONTHLY;INTERVAL=5",  # the day of month comes from the start
    "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=18;BYMINUTE=0",
    "FREQ=MONTHLY;INTERVAL=7;BYMONTHDAY=15;BYHOUR=12",
    "FREQ=YEARLY;INTERVAL=3",
    "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;BYHOUR=1;BYMINUTE=0",
    "FREQ=DAILY;COUNT=6000;BYHOUR=3;BYMINUTE=0",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9",
]


@pytest.mark.parametrize("anchor", [date(2012, 2, 29), date(2016, 1, 31), date(2019, 11, 4)])
@pytest.mark.parametrize("expression", PHASED)
def test_a_walk_started_near_the_time_asked_about_finds_the_runs_a_walk_from_the_start_finds(
    expression, anchor
):
    """A campaign started years ago is not walked through every run since (a 10-year-old hourly RRULE
    took a second an answer): the walk starts in the same phase close to the time asked about."""
    from itertools import islice

    from dateutil.rrule import rrulestr

    after = datetime(2026, 5, 17, 13, 0, tzinfo=UTC)
    from_anchor = rrulestr(expression, dtstart=datetime.combine(anchor, datetime.min.time()))
    expected = [t.replace(tzinfo=UTC) for t in islice(from_anchor.xafter(after.replace(tzinfo=None)), 8)]
    runs = Recurrence(RecurrenceKind.RRULE, expression, "UTC", anchor).next_runs(after=after, count=8)
    assert runs == expected[: len(runs)]
    if len(runs) < len(expected):  # only runs past the horizon are left out
        assert expected[len(runs)].year > after.year + HORIZON_YEARS


def test_the_walk_of_an_old_hourly_campaign_starts_the_day_before():
    assert walk_start("FREQ=HOURLY", date(2016, 1, 1), date(2026, 5, 16)) == date(2026, 5, 16)
    assert walk_start("FREQ=DAILY;COUNT=10", date(2016, 1, 1), date(2026, 5, 16)) == date(2016, 1, 1)
