"""The battery model on its own (no process): windows in local wall time, stop SOCs, history.

These pin the arithmetic the HTTP tests can only observe through an accelerated clock.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from vendors.growatt.simulator.battery import CHARGING, DISCHARGING, IDLE, Battery, Schedule

BERLIN = ZoneInfo("Europe/Berlin")
SYDNEY = ZoneInfo("Australia/Sydney")


def ts(zone: ZoneInfo, *args: int) -> float:
    return datetime(*args, tzinfo=zone).timestamp()


def battery(soc: float = 30.0, t: float | None = None) -> Battery:
    # 10 kWh at 2 kW: 1 % per 3 minutes.
    return Battery(capacity_wh=10_000, power_w=2_000, soc=soc, t=t or ts(BERLIN, 2026, 3, 1, 0, 0))


def test_idle_battery_keeps_its_soc_forever() -> None:
    b = battery(42.0)
    assert b.at(ts(BERLIN, 2030, 1, 1, 0, 0)).soc == 42.0


def test_ac_charge_window_charges_at_machine_power_until_the_stop_soc() -> None:
    b = battery(30.0)
    b.set_schedule(
        ts(BERLIN, 2026, 3, 1, 0, 0),
        Schedule(ac_enabled=True, ac_start_min=120, ac_end_min=300, ac_soc_limit=60),
        BERLIN,
    )
    assert b.at(ts(BERLIN, 2026, 3, 1, 1, 59), BERLIN).soc == pytest.approx(30.0)
    assert b.at(ts(BERLIN, 2026, 3, 1, 2, 30), BERLIN).soc == pytest.approx(40.0)  # 1 kWh in 30 min
    assert b.mode(ts(BERLIN, 2026, 3, 1, 2, 30), 40.0, BERLIN) == CHARGING
    done = b.at(ts(BERLIN, 2026, 3, 1, 4, 0), BERLIN)
    assert done.soc == pytest.approx(60.0)
    assert done.charged_wh == pytest.approx(3_000)
    assert b.mode(ts(BERLIN, 2026, 3, 1, 4, 0), done.soc, BERLIN) == IDLE  # in window, at the stop SOC


def test_window_is_local_wall_time_not_utc() -> None:
    start = ts(SYDNEY, 2026, 3, 1, 0, 0)
    b = battery(30.0, start)
    b.set_schedule(
        start, Schedule(ac_enabled=True, ac_start_min=120, ac_end_min=180, ac_soc_limit=80), SYDNEY
    )
    # 02:30 in Sydney is 15:30 UTC the day before; 02:30 UTC is mid-afternoon in Sydney.
    assert b.at(ts(SYDNEY, 2026, 3, 1, 2, 30), SYDNEY).soc == pytest.approx(40.0)
    assert b.mode(ts(ZoneInfo("UTC"), 2026, 3, 1, 2, 30), 40.0, SYDNEY) == IDLE


def test_window_repeats_every_day() -> None:
    b = battery(10.0)
    b.set_schedule(
        ts(BERLIN, 2026, 3, 1, 0, 0),
        Schedule(ac_enabled=True, ac_start_min=60, ac_end_min=90, ac_soc_limit=80),
        BERLIN,
    )
    # 30 min a day at 2 kW = 10 % a day.
    assert b.at(ts(BERLIN, 2026, 3, 4, 0, 0), BERLIN).soc == pytest.approx(40.0)


def test_forced_discharge_stops_at_the_soc_floor() -> None:
    b = battery(50.0)
    b.set_schedule(
        ts(BERLIN, 2026, 3, 1, 0, 0),
        Schedule(fd_enabled=True, fd_start_min=600, fd_end_min=1440, soc_floor=5),
        BERLIN,
    )
    assert b.mode(
        ts(BERLIN, 2026, 3, 1, 10, 30), b.at(ts(BERLIN, 2026, 3, 1, 10, 30), BERLIN).soc, BERLIN
    ) == (DISCHARGING)
    end = b.at(ts(BERLIN, 2026, 3, 2, 0, 0), BERLIN)
    assert end.soc == pytest.approx(5.0)
    assert end.discharged_wh == pytest.approx(4_500)


def test_charging_wins_where_windows_overlap() -> None:
    b = battery(30.0)
    b.set_schedule(
        ts(BERLIN, 2026, 3, 1, 0, 0),
        Schedule(
            ac_enabled=True,
            ac_start_min=120,
            ac_end_min=180,
            ac_soc_limit=80,
            fd_enabled=True,
            fd_start_min=60,
            fd_end_min=240,
            soc_floor=10,
        ),  # fmt: skip
        BERLIN,
    )
    # 01:00-02:00 discharge 20 %, 02:00-03:00 charge 20 %, 03:00-04:00 discharge 20 %.
    assert b.at(ts(BERLIN, 2026, 3, 1, 2, 0), BERLIN).soc == pytest.approx(10.0)
    assert b.at(ts(BERLIN, 2026, 3, 1, 3, 0), BERLIN).soc == pytest.approx(30.0)
    assert b.at(ts(BERLIN, 2026, 3, 1, 4, 0), BERLIN).soc == pytest.approx(10.0)


def test_storage_off_stops_both_windows() -> None:
    b = battery(30.0)
    b.set_schedule(
        ts(BERLIN, 2026, 3, 1, 0, 0),
        Schedule(on=False, ac_enabled=True, ac_start_min=0, ac_end_min=1440, ac_soc_limit=80),
        BERLIN,
    )
    assert b.at(ts(BERLIN, 2026, 3, 1, 12, 0), BERLIN).soc == 30.0


def test_history_replays_each_schedule_in_force_at_the_time() -> None:
    b = battery(30.0)
    charge = Schedule(ac_enabled=True, ac_start_min=0, ac_end_min=1440, ac_soc_limit=80)
    b.set_schedule(ts(BERLIN, 2026, 3, 1, 0, 0), charge, BERLIN)
    b.set_schedule(ts(BERLIN, 2026, 3, 1, 1, 0), Schedule(), BERLIN)  # stop after one hour: 50 %
    assert b.at(ts(BERLIN, 2026, 3, 1, 6, 0), BERLIN).soc == pytest.approx(50.0)
    assert b.at(ts(BERLIN, 2026, 3, 1, 0, 30), BERLIN).soc == pytest.approx(40.0)  # a past instant
    assert b.schedule_at(ts(BERLIN, 2026, 3, 1, 0, 30)) == charge


def test_window_on_a_dst_day_follows_the_wall_clock() -> None:
    # 2026-03-29: Berlin clocks jump from 02:00 to 03:00; a 01:00-04:00 window lasts two real hours.
    b = battery(10.0, ts(BERLIN, 2026, 3, 29, 0, 0))
    b.set_schedule(
        ts(BERLIN, 2026, 3, 29, 0, 0),
        Schedule(ac_enabled=True, ac_start_min=60, ac_end_min=240, ac_soc_limit=80),
        BERLIN,
    )
    assert b.at(ts(BERLIN, 2026, 3, 29, 5, 0), BERLIN).soc == pytest.approx(50.0)
