"""Battery physics: AC-charge and forced-discharge windows in the plant's local time, computed on read.

Why piecewise and lazy: 10,000 plants must start in seconds and cost nothing while nobody looks, so a
battery stores only an anchor (time, SOC, cumulative energies) and the schedule set through storageSet;
any read evolves the anchor to the asked time in closed form, one local day at a time (at most two
windows a day). Each schedule change appends a checkpoint so history (``storage_data``) can be replayed.

Rules (# Growatt 4.3.12):
- ``storage_ac_charge_enable_disable`` 1 enables charging from the grid during the
  ``storage_ac_charge_hour_start`` window, up to ``storage_ac_charge_soc_limit`` (10-80 %).
- ``storage_cmd_forced_discharge_enable`` **0** enables (the document encodes 0 = Enable, 1 = Prohibited)
  forced discharge during the ``storage_cmd_forced_discharge_time1`` window, down to the lithium SOC
  lower limit ``storage_lithium_battery`` (0-10 %).
- The document has no power parameter for either, so the battery runs at its machine's rating
  (deviceType 0 SP2000 -> 2,000 W, 1 SP3000 -> 3,000 W; # Growatt 4.3.13 ``deviceType``).
- Windows are ``[start, end)`` in local wall time on every day; end before start is refused (10013) so a
  window never crosses midnight; start == end is an empty window. Where both windows overlap, charging wins.
- ``storage_cmd_on_off`` 0000 stops both.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

IDLE, CHARGING, DISCHARGING = 0, 1, 2  # Growatt 4.3.13 status: 0 operating, 1 charge, 2 discharge
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Schedule:
    """What storageSet has configured; minutes are minutes of the local day (0..1440)."""

    on: bool = True
    ac_enabled: bool = False
    ac_start_min: int = 0
    ac_end_min: int = 0
    ac_soc_limit: float = 80.0
    fd_enabled: bool = False
    fd_start_min: int = 0
    fd_end_min: int = 0
    soc_floor: float = 10.0
    # The share of its rating the machine really gives (/_sim/plants/under-deliver): 1 healthy, 0.5
    # under-delivers, 0 takes its windows and ignores them.
    share: float = 1.0

    @property
    def charges(self) -> bool:
        return self.on and self.ac_enabled and self.ac_end_min > self.ac_start_min

    @property
    def discharges(self) -> bool:
        return self.on and self.fd_enabled and self.fd_end_min > self.fd_start_min

    def changed(self, **fields: object) -> Schedule:
        return replace(self, **fields)


@dataclass(slots=True)
class Energy:
    """SOC (%) and cumulative energies (Wh) at one instant."""

    soc: float
    charged_wh: float = 0.0
    discharged_wh: float = 0.0


@dataclass(frozen=True, slots=True)
class _Checkpoint:
    t: float
    soc: float
    charged_wh: float
    discharged_wh: float
    schedule: Schedule


def _local_ts(day: date, minute: int, zone: ZoneInfo) -> float:
    # Wall-clock arithmetic on purpose: "02:00 local" on a DST day is 02:00 on the wall.
    return (datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minute)).timestamp()


def minute_of_day(ts: float, zone: ZoneInfo) -> float:
    """Local minutes since midnight, with the fraction."""
    local = datetime.fromtimestamp(ts, zone)
    return local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60


class Battery:
    """One storage machine's battery; every method takes simulated Unix seconds."""

    __slots__ = ("capacity_wh", "power_w", "_checkpoints", "_cache_t", "_cache")

    def __init__(self, *, capacity_wh: float, power_w: float, soc: float, t: float) -> None:
        self.capacity_wh = capacity_wh
        self.power_w = power_w
        self._checkpoints = [_Checkpoint(t, soc, 0.0, 0.0, Schedule())]
        self._cache_t = t
        self._cache = Energy(soc)

    @property
    def schedule(self) -> Schedule:
        return self._checkpoints[-1].schedule

    def set_schedule(self, t: float, schedule: Schedule, zone: ZoneInfo) -> None:
        """From ``t`` on the battery follows ``schedule``; what happened before is kept for history."""
        state = self.at(t, zone)
        if t < self._checkpoints[-1].t:
            t = self._checkpoints[-1].t  # the clock never goes back; guards equal timestamps only
        self._checkpoints.append(_Checkpoint(t, state.soc, state.charged_wh, state.discharged_wh, schedule))
        self._cache_t, self._cache = t, Energy(state.soc, state.charged_wh, state.discharged_wh)

    def at(self, t: float, zone: ZoneInfo | None = None) -> Energy:
        """SOC and cumulative energies at ``t``; ``zone`` is required once a window is enabled."""
        if t >= self._cache_t:
            state = self._evolve(self._cache, self._cache_t, t, self.schedule, zone)
            self._cache_t, self._cache = t, state
            return Energy(state.soc, state.charged_wh, state.discharged_wh)
        cp = self._checkpoint_before(t)
        return self._evolve(Energy(cp.soc, cp.charged_wh, cp.discharged_wh), cp.t, t, cp.schedule, zone)

    def schedule_at(self, t: float) -> Schedule:
        return self._checkpoint_before(t).schedule

    def rate_w(self, t: float) -> float:
        """The power the machine gives while a window runs at ``t``: its rating times its share."""
        return self.power_w * self.schedule_at(t).share

    def mode(self, t: float, soc: float, zone: ZoneInfo, schedule: Schedule | None = None) -> int:
        """IDLE, CHARGING or DISCHARGING at instant ``t`` given the SOC there."""
        s = schedule or self.schedule_at(t)
        if not (s.charges or s.discharges) or s.share <= 0:
            return IDLE
        minute = minute_of_day(t, zone)
        in_ac = s.charges and s.ac_start_min <= minute < s.ac_end_min
        if in_ac:
            return CHARGING if soc < s.ac_soc_limit - _EPS else IDLE
        if s.discharges and s.fd_start_min <= minute < s.fd_end_min:
            return DISCHARGING if soc > s.soc_floor + _EPS else IDLE
        return IDLE

    def _checkpoint_before(self, t: float) -> _Checkpoint:
        index = bisect.bisect_right([cp.t for cp in self._checkpoints], t) - 1
        return self._checkpoints[max(index, 0)]

    def _evolve(self, start: Energy, t0: float, t1: float, s: Schedule, zone: ZoneInfo | None) -> Energy:
        state = Energy(start.soc, start.charged_wh, start.discharged_wh)
        if t1 <= t0 or not (s.charges or s.discharges):
            return state
        if zone is None:
            raise ValueError("a zone is needed to evolve a battery with enabled windows")
        day = datetime.fromtimestamp(t0, zone).date()
        while _local_ts(day, 0, zone) < t1:
            if self._settled(state, s):
                break
            for kind, a, b in _day_intervals(day, s, zone):
                a, b = max(a, t0), min(b, t1)
                if b > a:
                    self._apply(state, kind, b - a, s)
            day += timedelta(days=1)
        return state

    def _settled(self, state: Energy, s: Schedule) -> bool:
        # Nothing left to do for the rest of time: skip the day loop over long idle spans.
        full = not s.charges or state.soc >= s.ac_soc_limit - _EPS
        empty = not s.discharges or state.soc <= s.soc_floor + _EPS
        return full and empty

    def _apply(self, state: Energy, kind: int, seconds: float, s: Schedule) -> None:
        wh_per_pct = self.capacity_wh / 100.0
        if kind == CHARGING and state.soc < s.ac_soc_limit:
            wh = min(self.power_w * s.share * seconds / 3600.0, (s.ac_soc_limit - state.soc) * wh_per_pct)
            state.soc = min(s.ac_soc_limit, state.soc + wh / wh_per_pct)
            state.charged_wh += wh
        elif kind == DISCHARGING and state.soc > s.soc_floor:
            wh = min(self.power_w * s.share * seconds / 3600.0, (state.soc - s.soc_floor) * wh_per_pct)
            state.soc = max(s.soc_floor, state.soc - wh / wh_per_pct)
            state.discharged_wh += wh


def _day_intervals(day: date, s: Schedule, zone: ZoneInfo) -> list[tuple[int, float, float]]:
    """The day's charge and discharge intervals in time order; discharge loses where they overlap."""
    out: list[tuple[int, float, float]] = []
    if s.charges:
        out.append((CHARGING, _local_ts(day, s.ac_start_min, zone), _local_ts(day, s.ac_end_min, zone)))
    if s.discharges:
        d0, d1 = s.fd_start_min, s.fd_end_min
        pieces = [(d0, d1)]
        if s.charges:
            c0, c1 = s.ac_start_min, s.ac_end_min
            pieces = [(d0, min(d1, c0)), (max(d0, c1), d1)]
        for a, b in pieces:
            if b > a:
                out.append((DISCHARGING, _local_ts(day, a, zone), _local_ts(day, b, zone)))
    out.sort(key=lambda item: item[1])
    return out
