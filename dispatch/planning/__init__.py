"""Fleet power targets as plain functions: from telemetry, rated data and vendor quotas to a plan.

No I/O here (no database, no HTTP, no clock): every input is a dataclass, `plan_power_target` returns a
`Plan`, and the same inputs always give the same plan, so the dry run's plan is the one the job follows.

The policy (README "Power targets"):

1. Who can take part. A plant is left out, with a reason, when its vendor cannot do a charge/discharge
   (`unsupported`), it has no battery (`no_battery`), no rated power (`no_rated_power`), no SOC reading
   yet (`no_telemetry`), or is already at its floor / ceiling (`at_floor` / `at_ceiling`). Telemetry
   older than `STALE_AFTER_S` is planned on but named in a `stale_telemetry` warning.
2. How much each plant can give. Its power limit is the smaller of the battery's maximum charge or
   discharge power and the inverter rating. Its energy headroom is the SOC above the floor (below the
   ceiling) times the usable capacity. It may run no harder than headroom / the time it runs, so no
   plant crosses its floor or ceiling inside the window even at its allocated power from the start.
3. What each vendor lets us command (its `VendorProfile`, from the vendor's spec: vendors.registry). A
   power-settable vendor takes one power for up to 100 plants a request and clamps a plant to its own
   maximum ("If the value exceeds the range, the maximum value is used", NBI V7 9.3.4), once a minute per
   account. A fixed-rate vendor has no power parameter: a window runs at the machine's own rate, one
   plant a request, so such a plant gives all or nothing, and one whose headroom cannot last the whole
   window at its rate is left out (`energy_limited`).
4. Who is asked. Fixed-rate plants first (their windows start on time: no ramp), largest first while they
   fit under the target. Power-settable plants fill the rest: each account's plants, sorted by sustainable
   power, are cut
   into requests of 100, each at the level that gives the most without overrunning any member's
   headroom (plants that level would overrun wait for a later, lower request); requests are taken
   round-robin over the accounts (the quota is per account, so this spreads them evenly and reaches the
   target soonest) at full level until the rest is smaller than the next request's capacity, which then
   gets the level (found by bisection) that gives exactly the rest. Plants not needed are left out as
   `not_needed`: the reserve for shortfalls.
5. When. A power-settable command acts at once, so an account's k-th request (of n) is timed at
   start_at + (k - n/2)
   minutes of the quota (never earlier than its headroom was checked for): the fleet ramps through the
   start. A request never goes before `now`. Each
   request's duration runs to the end of the window, so one sent early runs longer (and its headroom is
   checked for that longer run). Windows that carry their own start time are armed the profile's
   `arm_lead_s` ahead of start_at.
6. What to expect. The plan's curve is the sum of the allocations over each 5-minute interval of the
   window, counting each plant from its ETA (when its command is at the vendor) to its end.

A target above the power available now is planned anyway (everything available is allocated) with a
`target_above_available` warning, and the job then ends partially delivered: availability is an estimate
from telemetry up to one vendor window old, and an operator asked for power in a grid event would rather
get most of it than nothing (the dry run shows the shortfall first).
"""

from dispatch.planning.model import (
    INTERVAL_S,
    Allocation,
    Excluded,
    Interval,
    Plan,
    PlannedRequest,
    PlantState,
    Target,
    VendorProfile,
)
from dispatch.planning.plan import fleet_max_kw, plan_power_target

__all__ = [
    "INTERVAL_S",
    "Allocation",
    "Excluded",
    "Interval",
    "Plan",
    "PlannedRequest",
    "PlantState",
    "Target",
    "VendorProfile",
    "fleet_max_kw",
    "plan_power_target",
]
