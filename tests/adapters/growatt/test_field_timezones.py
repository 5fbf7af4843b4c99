"""Every form of a Growatt plant's ``timezone`` (FIELD_NOTES rows 1, 3, 4) resolves to the zone whose
offset the device's clock keeps all year. Offsets that are not whole hours and have no all-year IANA zone
("GMT-3:30", "GMT+10:30", "GMT+12:45") are fixed ``UTC±HH:MM`` zones, not the DST-following
America/St_Johns, Australia/Lord_Howe or Pacific/Chatham, which are an hour off half the year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vendors import zones
from vendors.growatt.timezones import resolve_timezone

WINTER = datetime(2026, 1, 15, 12, tzinfo=UTC)
SUMMER = datetime(2026, 7, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("shown", "minutes"),
    [
        ("GMT-3:30", -210),
        ("GMT+10:30", 630),
        ("GMT+12:45", 765),
        ("+5.5", 330),
        ("5.75", 345),
        ("GMT+5:45", 345),
        ("-3.5", -210),
        (5.5, 330),
        ("GMT+9:30", 570),
        ("GMT+3:30", 210),
        ("GMT+8", 480),
        ("8", 480),
        ("GMT-4", -240),
        ("GMT+0", 0),
        ("UTC-03:30", -210),  # our own name read back
    ],
)
def test_an_offset_in_any_form_keeps_that_offset_all_year(shown, minutes):
    name = resolve_timezone(shown)
    assert zones.is_known(name), name
    zone = zones.load(name)
    for moment in (WINTER, SUMMER):
        assert moment.astimezone(zone).utcoffset() == timedelta(minutes=minutes), (shown, name, moment)


def test_fractional_offsets_without_an_all_year_iana_zone_get_fixed_names():
    assert resolve_timezone("GMT-3:30") == "UTC-03:30"
    assert resolve_timezone("GMT+10:30") == "UTC+10:30"
    assert resolve_timezone("GMT+12:45") == "UTC+12:45"
    assert resolve_timezone("+5.5") == "Asia/Kolkata" and resolve_timezone("5.75") == "Asia/Kathmandu"
    assert zones.key(zones.load("UTC+12:45")) == "UTC+12:45"


@pytest.mark.parametrize("shown", ["GMT+14:30", "GMT-12:30", "inf", "nan", float("inf"), "GMT+3:75", "abc"])
def test_impossible_offsets_fall_back_to_the_coordinates(shown):
    assert resolve_timezone(shown) is None
    assert resolve_timezone(shown, 52.52, 13.40) == "Europe/Berlin"


def test_zone_names_are_iana_or_fixed_offsets_only():
    assert zones.is_known("Europe/Berlin") and zones.is_known("UTC-03:30")
    for bad in ("UTC-3:30", "UTC+15:00", "UTC+05:60", "GMT-3:30", "", None, 5):
        assert not zones.is_known(bad), bad
    with pytest.raises(ValueError):
        zones.load("Mars/Olympus")
