"""The cloud serves lifetime totals as 0 around local midnight (FIELD_NOTES 24): a charge's energy is then
taken from the SOC, never as a negative or a lost delta."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from vendors.growatt.progress import Baseline, Reading, _energy

ZONE = ZoneInfo("Etc/GMT-8")


def _reading(total_in: str, soc: str) -> Reading:
    record = {"status": "1", "capacity": soc, "eChargeTotal": total_in, "eDischargeTotal": "1101.9"}
    return Reading.parse("SPB1", record, ZONE)


def test_a_lifetime_total_read_as_zero_falls_back_to_the_soc_delta():
    baseline = Baseline(soc=40.0, charged_total_kwh=1204.7, discharged_total_kwh=1101.9)

    charged, discharged = _energy(baseline, [_reading("0", "50")], 50.0, 10.0)

    assert charged == 1.0 and discharged == 0.0  # 10 % of 10 kWh, from the SOC


def test_a_lifetime_total_as_a_string_gives_its_delta():
    baseline = Baseline(soc=40.0, charged_total_kwh=1204.7, discharged_total_kwh=1101.9)

    charged, discharged = _energy(baseline, [_reading("1206.2", "55")], 55.0, 10.0)

    assert charged == 1.5 and discharged == 0.0


def test_a_baseline_read_as_zero_at_midnight_is_no_baseline():
    """Sent in the minutes after local midnight, the baseline's totals read 0: the later real total must not
    count the machine's whole life as this charge (the SOC delta counts instead)."""
    baseline = Baseline.of([_reading("0", "40")])
    assert baseline.charged_total_kwh is None

    charged, discharged = _energy(baseline, [_reading("1206.2", "55")], 55.0, 10.0)

    assert charged == 1.5 and discharged == 0.0  # 15 % of 10 kWh, not 1206.2
