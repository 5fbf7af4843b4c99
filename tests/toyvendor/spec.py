"""The toy vendor (tests/toyvendor/simulator: its protocol): the worked example of CONTRIBUTING.md.

Registered with one line, outside this package: `VPP_EXTRA_VENDORS` in tests/plugins/environment.py.
"""

from __future__ import annotations

from types import MappingProxyType

from vendors.base import CommandKind
from vendors.ratelimit import RateRule
from vendors.spec import EnrolmentMethod, PlanningFacts, VendorSpec, frozen_map

MAX_PLANTS = 50  # plants per command, status query or realtime read (the simulator's MAX_PLANTS)


def toy_limits(*, plant_count: int = 1, device_count: int = 1):
    """Per account, per interface group (the simulator's LIMITS); they do not scale with the account."""
    return MappingProxyType(
        {
            "command": (RateRule(10, 60.0),),
            "status": (RateRule(30, 60.0),),
            "read": (RateRule(10, 60.0),),
        }
    )


SPEC = VendorSpec(
    name="toyvendor",
    label="Toy vendor (test suite)",
    brand="ToyVendor",
    adapter="tests.toyvendor.adapter:ToyAdapter",
    simulator="tests.toyvendor.simulator",
    limits=toy_limits,
    limits_scope="account",
    rate_limit_codes=frozenset({"rate_limited"}),
    capabilities=frozenset({CommandKind.CHARGE_DISCHARGE}),  # the rest end `unsupported` at once
    refresh_s=frozen_map({"*": 60.0}),  # a task's state and energy move continuously: once a minute is plenty
    telemetry_window_s=60.0,
    telemetry_batch=MAX_PLANTS,
    enrolment_chunk=MAX_PLANTS,
    enrolment_methods=(EnrolmentMethod("ac"),),  # plants/claim by authorisation code
    enrolment_hint="enrol by authorisation code",
    username_required=False,
    username_label="",
    secret_label="API key",
    planning=PlanningFacts(power_settable=True, plants_per_request=MAX_PLANTS, request_interval_s=6.0),
    demo_accounts=0,  # not part of `make run`
)
