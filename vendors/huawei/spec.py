"""Huawei SmartPVMS northbound interface (NBI V7, shared/vendor-docs/huawei-smartpvms-northbound-v7.txt)."""

from __future__ import annotations

from vendors.base import CommandKind
from vendors.ratelimit.policy import huawei_limits
from vendors.spec import DemoAccount, EnrolmentMethod, PlanningFacts, VendorSpec, frozen_map

OWNER_FIELDS = ("username", "email", "phone")

SPEC = VendorSpec(
    name="huawei",
    label="Huawei SmartPVMS",
    brand="Huawei",
    adapter="vendors.huawei.adapter:HuaweiAdapter",
    simulator="vendors.huawei.simulator",
    limits=huawei_limits,
    limits_scope="account",  # every call of an endpoint counts, per northbound user (1.3)
    # 407 past a limit (1.3 "Traffic Limiting Policy"), 20618 past a daily quota (11 Error Code List);
    # the same as vendors.huawei.calls.RATE_LIMIT_CODES.
    rate_limit_codes=frozenset({"407", "20618"}),
    # Listed, not "every kind but ...": a new command kind is not claimed before its adapter maps it.
    capabilities=frozenset(
        {
            CommandKind.CHARGE_DISCHARGE,  # 9.3.4
            CommandKind.DOD,  # 9.3.6
            CommandKind.DEVICE_POWER,  # 9.3.7
            CommandKind.EMS_MODE,  # 9.3.8
            CommandKind.DRM,  # 9.6.1.6
            CommandKind.DEFAULT_SETTING,  # 9.6.1.3
        }
    ),
    refresh_s=frozen_map(
        {
            CommandKind.CHARGE_DISCHARGE: 180.0,  # 9.3.5: "The execution status is updated every 3 minutes."
            "*": 60.0,  # 9.6.1.4 / 9.6.1.7 give no period; 10 queries a minute allowed
        }
    ),
    telemetry_window_s=300.0,  # 9.3.2: "Number of traffic limiting times every 5 minutes"
    telemetry_batch=100,  # 9.3.2: "A maximum of 100 plants can be queried at a time"
    # The whole request in one call: its limit is once a minute (9.6.1.1), so splitting would only slow it.
    enrolment_chunk=1000,
    enrolment_methods=(
        EnrolmentMethod(
            "sn",
            one_of=OWNER_FIELDS,
            one_of_message="Give at least one of the owner's username, email or phone (NBI V7 9.6.1.1).",
            one_of_code="owner_required",
        ),
        EnrolmentMethod("ac"),  # 9.6.1.2 acEnrolment
    ),
    enrolment_hint="",
    username_required=True,
    username_label="northbound user name",
    secret_label="systemCode (password)",
    # 9.3.4: one power for up to 100 plants a request, once a minute per account; acts at once.
    planning=PlanningFacts(power_settable=True, plants_per_request=100, request_interval_s=60.0),
    demo_port=8101,
    demo_accounts=2,
    demo_account=lambda i, n: DemoAccount(f"Huawei demo {i}", f"nbi_user_{i}", f"nbi_pass_{i}"),
)
