"""A plant's battery as piecewise-linear SOC segments, evaluated on read.

Why segments: SOC must move with commanded power over simulated time, yet reading it must be O(1)
(10,000 plants, 100-plant KPI requests) and the 5-minute history must be reproducible. Each command
appends a segment ``(t0, soc0, power_w, t_end, soc_stop)``; SOC at any time is a clamp of a straight line.
Power is positive while charging, negative while discharging (the vendor's KPI sign is the opposite and
is flipped where it is reported, # NBI V7 9.3.2 batteryPower).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field


@dataclass(slots=True)
class Segment:
    t0: float
    soc0: float
    power_w: float = 0.0
    t_end: float = math.inf
    soc_stop: float = 0.0
    rate_pct_s: float = 0.0

    def soc(self, t: float) -> float:
        if self.rate_pct_s == 0.0:
            return self.soc0
        soc = self.soc0 + self.rate_pct_s * (min(t, self.t_end) - self.t0)
        return min(soc, self.soc_stop) if self.rate_pct_s > 0 else max(soc, self.soc_stop)

    def power(self, t: float) -> float:
        """Power actually flowing at ``t``: zero once the stop SOC or the end time is reached."""
        if self.rate_pct_s == 0.0 or t >= self.t_end or t < self.t0:
            return 0.0
        return self.power_w if self.reach_time() > t else 0.0

    def reach_time(self) -> float:
        """When this segment's SOC reaches ``soc_stop`` (inf if it never does before ``t_end``)."""
        if self.rate_pct_s == 0.0:
            return math.inf
        t = self.t0 + (self.soc_stop - self.soc0) / self.rate_pct_s
        return t if t <= self.t_end else math.inf


@dataclass(slots=True)
class Battery:
    dn: str
    sn: str
    model: str
    rated_kwh: float
    max_charge_w: int
    max_discharge_w: int
    soh: float
    dod: int
    segments: list[Segment] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)

    @property
    def min_soc(self) -> float:
        """End-of-discharge SOC = 100 % - DoD (# NBI V7 9.3.6 setDOD)."""
        return 100.0 - self.dod

    def init(self, soc: float) -> None:
        self.segments = [Segment(t0=-math.inf, soc0=soc)]
        self.starts = [-math.inf]

    def segment_at(self, t: float) -> Segment:
        if t >= self.starts[-1]:
            return self.segments[-1]
        return self.segments[bisect.bisect_right(self.starts, t) - 1]

    def soc(self, t: float) -> float:
        return self.segment_at(t).soc(t)

    def power_w(self, t: float) -> float:
        return self.segment_at(t).power(t)

    def drive(self, t: float, power_w: float, soc_stop: float, t_end: float = math.inf) -> Segment:
        """From ``t`` on, move at ``power_w`` (+ charge / - discharge) until ``soc_stop`` or ``t_end``."""
        soc = self.soc(t)
        rate = power_w / (self.rated_kwh * 1000.0) / 3600.0 * 100.0 if power_w else 0.0
        if (rate > 0 and soc >= soc_stop) or (rate < 0 and soc <= soc_stop):
            rate, power_w = 0.0, 0.0
        seg = Segment(t0=t, soc0=soc, power_w=power_w, t_end=t_end, soc_stop=soc_stop, rate_pct_s=rate)
        if self.starts[-1] == t:
            self.segments[-1] = seg
        else:
            self.segments.append(seg)
            self.starts.append(t)
        return seg

    def idle(self, t: float) -> None:
        """Stop any forced charge/discharge at ``t``, holding the SOC reached."""
        self.drive(t, 0.0, self.soc(t))

    def kwh_between(self, t_from: float, t_to: float) -> float:
        """Signed energy into the battery between two times, from the SOC change."""
        return (self.soc(t_to) - self.soc(t_from)) / 100.0 * self.rated_kwh
