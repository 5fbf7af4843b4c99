"""Realtime plant telemetry: as fresh as the vendor limits allow, and never a call past them.

Each vendor says how often one plant may be read and how many a call (its `telemetry_window_s` and
`telemetry_batch`, vendors.registry): e.g. ceil(plants/100) realtime KPI calls per 5 minutes per
account, 100 plants a call (NBI V7 9.3.2), enough to read every plant once every 5 minutes and no more;
or the same request refused twice within 5 minutes (vendors.ratelimit.policy). So a run reads, per
account, the plants asked
longest ago, 100 at a time, and only those last asked at least one window ago: each batch comes round once
a window, which is exactly the budget. The adapter books every call with the shared limiter first, and a
rate-limited run stops and leaves the rest for the next beat tick rather than wait or retry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from fleets.adapters import adapter_for, call_context
from fleets.discovery import lease_seconds
from fleets.models import Plant, PlantTelemetry, VendorAccount
from fleets.selectors import telemetry_due_plants
from vendors import registry
from vendors.base import PlantKpi, plant_health
from vendors.errors import (
    AuthFailed,
    DestinationRefused,
    RateLimited,
    TransientError,
    VendorError,
    VendorRejected,
)

log = logging.getLogger(__name__)

TELEMETRY_WINDOW_S = 300.0  # a vendor the registry does not know: NBI V7 9.3.2's 5 minutes
KPI_BATCH = 100  # and its 100 plants a call
_LATEST_FIELDS = ["soc_pct", "battery_power_w", "pv_power_w", "load_power_w", "meter_power_w", "health"]


def telemetry_window(account: VendorAccount) -> timedelta:
    """How often one plant may be asked: the vendor window on the account's clock, plus the limiter's own
    margin (2 % + 10 ms, vendors.ratelimit.rules) and a little more, so the slot is free when we come."""
    spec = registry.find(account.vendor)
    window_s = spec.telemetry_window_s if spec else TELEMETRY_WINDOW_S
    return timedelta(seconds=window_s / account.clock_speed * 1.03 + 0.02)


def telemetry_batch(account: VendorAccount) -> int:
    """Plants per realtime read: the vendor's maximum."""
    spec = registry.find(account.vendor)
    return spec.telemetry_batch if spec else KPI_BATCH


@dataclass(frozen=True)
class TelemetryOutcome:
    claimed: bool
    calls: int = 0
    plants: int = 0
    retry_after_s: float | None = None
    error: str = ""


def accounts_due_for_telemetry(*, now: datetime) -> list[int]:
    """Enabled accounts with active plants, not rate limited and not being read by another worker."""
    return list(
        VendorAccount.objects.filter(enabled=True)
        .filter(Q(telemetry_next_at__isnull=True) | Q(telemetry_next_at__lte=now))
        .filter(Q(telemetry_lease_until__isnull=True) | Q(telemetry_lease_until__lt=now))
        .filter(Exists(Plant.objects.filter(vendor_account=OuterRef("pk"), state=Plant.State.ACTIVE)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _claim(account_id: int, now: datetime) -> bool:
    claimed = (
        VendorAccount.objects.filter(pk=account_id, enabled=True)
        .filter(Q(telemetry_next_at__isnull=True) | Q(telemetry_next_at__lte=now))
        .filter(Q(telemetry_lease_until__isnull=True) | Q(telemetry_lease_until__lt=now))
        .update(telemetry_lease_until=now + timedelta(seconds=lease_seconds()))
    )
    return claimed == 1


def telemetry_sync_account(*, account_id: int, max_calls: int | None = None) -> TelemetryOutcome:
    """Read the realtime KPIs of the account's due plants, 100 a call, until none is due or the limiter
    says wait. Each plant is asked at most once per run."""
    started = timezone.now()
    if not _claim(account_id, started):
        return TelemetryOutcome(claimed=False)
    account = VendorAccount.objects.get(pk=account_id)
    window, batch = telemetry_window(account), telemetry_batch(account)
    calls = plants = 0
    retry_after_s: float | None = None
    error = ""
    try:
        adapter = adapter_for(account)
        with call_context(telemetry=account.pk):
            while max_calls is None or calls < max_calls:
                codes = telemetry_due_plants(
                    account=account,
                    due_before=timezone.now() - window,
                    started_at=started,
                    limit=batch,
                )
                if not codes:
                    break
                try:
                    kpis = adapter.realtime_kpis(codes)
                except DestinationRefused:
                    raise  # the account's URL, not this batch: no plant of it can be read
                except VendorRejected as exc:
                    # This batch is refused (e.g. a plant no longer authorised, 20045): mark it asked so the
                    # other plants get their turn; the daily sync sorts the plant list out.
                    log.warning("account %s: realtime KPIs refused for %s: %s", account.pk, codes[:3], exc)
                    kpis, error = [], str(exc)
                calls += 1
                plants += telemetry_record(account=account, plant_codes=codes, kpis=kpis, now=timezone.now())
    except RateLimited as exc:
        retry_after_s = max(exc.retry_after_s, 0.0)
    except TransientError as exc:
        retry_after_s, error = window.total_seconds() / 5, f"vendor unavailable: {exc}"
    except (AuthFailed, VendorError) as exc:
        retry_after_s, error = window.total_seconds(), str(exc)
    finally:
        next_at = timezone.now() + timedelta(seconds=retry_after_s) if retry_after_s else None
        VendorAccount.objects.filter(pk=account_id).update(
            telemetry_lease_until=None, telemetry_next_at=next_at
        )
    if error:
        log.warning("account %s telemetry: %s", account_id, error)
    return TelemetryOutcome(
        claimed=True, calls=calls, plants=plants, retry_after_s=retry_after_s, error=error
    )


@transaction.atomic
def telemetry_record(
    *, account: VendorAccount, plant_codes: Sequence[str], kpis: Sequence[PlantKpi], now: datetime
) -> int:
    """Store one answer: a time-series point per plant, the latest values on the plant (unless we already
    hold a newer reading), and mark every asked plant as asked."""
    known = {
        code: (pk, last)
        for pk, code, last in Plant.objects.filter(
            vendor_account=account, plant_code__in=plant_codes
        ).values_list("pk", "plant_code", "telemetry_at")
    }
    points, latest = [], []
    for kpi in kpis:
        if kpi.plant_code not in known:
            continue
        pk, last = known[kpi.plant_code]
        at = kpi.measured_at or now
        if timezone.is_naive(at):
            at = timezone.make_aware(at, timezone.get_default_timezone())
        # The vendor's own time says how stale a reading is (an offline datalogger's last data), but never
        # later than when we asked for it (a skewed vendor clock, or a simulator running faster than real
        # time). Not its arrival: a batch read one plant a call arrives seconds after its first
        # plant was asked, and a sample stamped on arrival would stand for a moment after a command that
        # landed while the batch was being read, showing the battery idle when it was already working.
        at = min(at, kpi.asked_at or now, now)
        values = {
            "soc_pct": kpi.soc_pct,
            "battery_power_w": kpi.battery_power_w,
            "pv_power_w": kpi.pv_power_w,
            "load_power_w": kpi.load_power_w,
            "meter_power_w": kpi.meter_power_w,
            "health": plant_health(kpi.health),  # one vocabulary for every vendor (vendors.base)
        }
        points.append(PlantTelemetry(plant_id=pk, measured_at=at, **values))
        if last is None or at >= last:
            latest.append((pk, at, values))
    PlantTelemetry.objects.bulk_create(points, ignore_conflicts=True)
    _update_latest(latest)
    Plant.objects.filter(vendor_account=account, plant_code__in=plant_codes).update(telemetry_polled_at=now)
    return len(points)


def _update_latest(rows: list[tuple[int, datetime, dict]]) -> None:
    """One parameterised UPDATE sent for all rows (executemany: pipelined on PostgreSQL). QuerySet.bulk_update
    builds a CASE per field and row in Python: 0.66 s per 100 plants measured here, against 0.17 s for a
    whole batch this way (points, latest values, bookkeeping)."""
    if not rows:
        return
    meta = Plant._meta
    columns = [meta.get_field(name).column for name in [*_LATEST_FIELDS, "telemetry_at"]]
    quote = connection.ops.quote_name
    # Identifiers from our own model metadata, quoted; every value is a parameter.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        quote(meta.db_table), ", ".join(f"{quote(c)} = %s" for c in columns), quote(meta.pk.column)
    )
    field = meta.get_field("telemetry_at")
    params = [
        [*(values[name] for name in _LATEST_FIELDS), field.get_db_prep_value(at, connection), pk]
        for pk, at, values in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def telemetry_prune(*, now: datetime | None = None, batch: int = 10_000) -> int:
    """Delete time-series points older than VPP_TELEMETRY_RETENTION_DAYS, a batch at a time."""
    days = getattr(settings, "VPP_TELEMETRY_RETENTION_DAYS", 30)
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted = 0
    while True:
        ids = list(PlantTelemetry.objects.filter(measured_at__lt=cutoff).values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += PlantTelemetry.objects.filter(pk__in=ids).delete()[0]
