"""Per-account, per-interface call limits, exactly as each interface section states them.

Windows slide in simulated time (a limit "per minute" refuses a second call 59 s after the first) and
"per day" is read as any 24 h. Every authenticated call counts, including ones that then fail
validation: the limit guards the gateway, not the business logic. A per-minute (or per-5-minute) excess
is 407; an excess of the per-day count is 407 for the 9.2/9.3 interfaces and 20618 for the 9.6.1
interfaces, which list that code ("The calls to API have reached the maximum number per user per day").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from . import codes

MINUTE = 60.0
DAY = 86400.0


@dataclass(frozen=True)
class Usage:
    """What a dynamic limit depends on: the account's plant and device counts."""

    plants: int
    devices: int


@dataclass(frozen=True)
class Window:
    limit: Callable[[Usage], int]
    seconds: float
    fail_code: int = codes.RATE_LIMITED


def _fixed(n: int) -> Callable[[Usage], int]:
    return lambda usage: n


def _per_day(per: int, times: int, plus: int, of: str = "plants") -> Callable[[Usage], int]:
    return lambda usage: math.ceil(getattr(usage, of) / per) * times + plus


ONCE_PER_MINUTE = (Window(_fixed(1), MINUTE),)
TEN_PER_MINUTE_1000_PER_DAY = (
    Window(_fixed(10), MINUTE),
    Window(_fixed(1000), DAY, codes.DAILY_LIMIT),
)

RULES: dict[str, tuple[Window, ...]] = {
    # NBI V7 9.1.1 / 9.1.2: five times every 10 minutes.
    "login": (Window(_fixed(5), 600.0),),
    "logout": (Window(_fixed(5), 600.0),),
    # NBI V7 9.2.1: Roundup(plants/50) x 10 + 24 a day; "one concurrent request ... per minute".
    "plants": (Window(_fixed(1), MINUTE), Window(_per_day(50, 10, 24), DAY)),
    # NBI V7 9.2.2: Roundup(devices/50) x 10 + 24 a day; one a minute.
    "devices": (Window(_fixed(1), MINUTE), Window(_per_day(50, 10, 24, of="devices"), DAY)),
    # NBI V7 9.3.1: Roundup(plants/100) x 10 + 24 a day; one a minute.
    "vpp_plants": (Window(_fixed(1), MINUTE), Window(_per_day(100, 10, 24), DAY)),
    # NBI V7 9.3.2: Roundup(plants/100) every 5 minutes.
    "realtime_kpi": (Window(lambda u: max(1, math.ceil(u.plants / 100)), 300.0),),
    # NBI V7 9.3.3: Roundup(plants/100) + 24 a day; one a minute.
    "history_kpi": (Window(_fixed(1), MINUTE), Window(_per_day(100, 1, 24), DAY)),
    # NBI V7 9.3.4-9.3.8 and 9.6.1.1-9.6.1.2: once per minute.
    "charge_discharge": ONCE_PER_MINUTE,
    "charge_discharge_status": ONCE_PER_MINUTE,
    "dod": ONCE_PER_MINUTE,
    "dev_on_off": ONCE_PER_MINUTE,
    "ems": ONCE_PER_MINUTE,
    "sn_enrolment": ONCE_PER_MINUTE,
    "ac_enrolment": ONCE_PER_MINUTE,
    # NBI V7 9.6.1.3, 9.6.1.4, 9.6.1.6, 9.6.1.7: 10 times per minute and 1000 times per day.
    "default_setting": TEN_PER_MINUTE_1000_PER_DAY,
    "default_setting_status": TEN_PER_MINUTE_1000_PER_DAY,
    "drm": TEN_PER_MINUTE_1000_PER_DAY,
    "drm_status": TEN_PER_MINUTE_1000_PER_DAY,
    # NBI V7 9.6.1.5: 10 times per minute and 500 times per day.
    "rated_data": (Window(_fixed(10), MINUTE), Window(_fixed(500), DAY, codes.DAILY_LIMIT)),
}
