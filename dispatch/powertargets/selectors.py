"""What planning reads from the database: plants as `PlantState`, accounts as `VendorProfile`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from dispatch.planning import PlantState, VendorProfile
from fleets.adapters import adapter_for
from fleets.models import Plant, VendorAccount
from vendors.base import CommandKind

_FIELDS = (
    "pk", "vendor_account_id", "vendor_account__vendor", "battery_usable_kwh", "battery_rated_kwh",
    "battery_max_charge_w", "battery_max_discharge_w", "inverter_rated_power_w", "soc_pct",
    "battery_power_w", "telemetry_at",
)  # fmt: skip


def _kw(watts: float | None) -> float | None:
    return watts / 1000.0 if watts is not None else None


def plant_states(*, plant_ids: Iterable[int], now: datetime) -> list[PlantState]:
    """Each plant's rated data and latest telemetry (the Plant row keeps the latest reading), in id order.

    Usable capacity falls back to the rated one: a plant whose vendor reports only the rated kWh still
    has a battery (the floor then protects the rest)."""
    rows = Plant.objects.filter(pk__in=list(plant_ids)).order_by("pk").values_list(*_FIELDS)
    out = []
    for pk, account, vendor, usable, rated, charge_w, discharge_w, inverter_w, soc, power_w, at in rows:
        out.append(
            PlantState(
                plant_id=pk,
                account_id=account,
                vendor=vendor,
                usable_kwh=usable if usable is not None else rated,
                max_charge_kw=_kw(charge_w),
                max_discharge_kw=_kw(discharge_w),
                inverter_kw=_kw(inverter_w),
                soc_pct=soc,
                battery_power_kw=_kw(power_w),
                telemetry_age_s=(now - at).total_seconds() if at is not None else None,
            )
        )
    return out


def vendor_profiles(*, account_ids: Iterable[int]) -> dict[int, VendorProfile]:
    """What each account's vendor lets a power target do, asked of its adapter (no HTTP: built only)."""
    out: dict[int, VendorProfile] = {}
    for account in VendorAccount.objects.filter(pk__in=set(account_ids)):
        if not account.enabled:
            out[account.pk] = VendorProfile(
                account.vendor,
                supported=False,
                unavailable=("account_disabled", "The vendor account is disabled."),
            )
            continue
        adapter = adapter_for(account)
        kind = CommandKind.CHARGE_DISCHARGE
        out[account.pk] = VendorProfile(
            vendor=account.vendor,
            supported=adapter.supports(kind),
            power_settable=getattr(adapter, "charge_power_settable", True),
            plants_per_request=adapter.max_targets_per_request(kind),
            request_interval_s=getattr(adapter, "charge_interval_s", 0.0),
            arms_ahead=getattr(adapter, "charge_window_arms_ahead", False),
            clock_speed=account.clock_speed,
        )
    return out
