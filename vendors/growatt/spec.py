"""Growatt OpenAPI v1 (shared/vendor-docs/growatt-openapi-v1.txt)."""

from __future__ import annotations

from vendors.base import CommandKind
from vendors.ratelimit.policy import GROWATT_LIMITS
from vendors.spec import DemoAccount, EnrolmentMethod, PlanningFacts, VendorSpec, frozen_map


def growatt_limits(*, plant_count: int = 1, device_count: int = 1):
    """The repeat rule does not scale with the account (vendors.ratelimit.policy)."""
    return GROWATT_LIMITS


SPEC = VendorSpec(
    name="growatt",
    label="Growatt",
    brand="Growatt",
    adapter="vendors.growatt.adapter:GrowattAdapter",
    simulator="vendors.growatt.simulator",
    limits=growatt_limits,
    limits_scope="identical request",  # only a repeat of an identical request is refused (policy.py)
    rate_limit_codes=frozenset({"10012"}),  # vendors.growatt.calls.RATE_LIMIT_CODES
    capabilities=frozenset(
        {
            CommandKind.CHARGE_DISCHARGE,
            CommandKind.DEVICE_POWER,
            CommandKind.STORAGE_SET,
            CommandKind.INVERTER_SET,
        }
    ),
    refresh_s=frozen_map({"*": 300.0}),  # an identical request is refused within 5 minutes (error 10012)
    telemetry_window_s=300.0,  # the same 5-minute repeat rule
    telemetry_batch=100,
    # Item by item (4.3.10 validate + 4.3.2 add): smaller chunks commit progress a pause cannot lose.
    enrolment_chunk=50,
    enrolment_methods=(
        EnrolmentMethod(
            "sn",
            required=("check_code",),
            required_message="Growatt needs the datalogger's check code (Growatt 4.3.10).",
            line_extra="check_code",
        ),
    ),
    enrolment_hint="enrol by datalogger SN",
    username_required=False,
    username_label="",
    secret_label="API token",
    # 4.3.12: no power parameter for either window (the machine runs at its own rate), one plant a request,
    # no per-account pacing; a window carries its own start time, armed 120 s ahead (3 calls a plant).
    planning=PlanningFacts(
        power_settable=False, plants_per_request=1, request_interval_s=0.0, arms_ahead=True, arm_lead_s=120.0
    ),
    plant_capabilities="vendors.growatt.families:plant_capabilities",  # one entry per device family
    # Storage machines listed as inverters (4.3.4 device/list types; hybrid SPH / SPA / MIX families).
    storage_type_hints=("storage", "sph", "spa", "mix"),
    setters="vendors.growatt.setters",  # storageSet (4.3.12) / inverterSet (4.3.7): one rule table
    demo_port=8102,
    demo_accounts=1,
    demo_account=lambda i, n: DemoAccount(
        "Growatt demo" if n == 1 else f"Growatt demo {i}", "", f"growatt-token-{i}"
    ),
)
