"""Plants and devices as the vendor knows them, written into our tables: upserts shared by enrolment and the
daily sync, and the account sync itself ("bound" plants, NBI V7 9.2.1 / 9.2.2 / 9.3.1 / 9.6.1.5).

Everything here is an upsert keyed by the vendor's identity (account + plant code, plant + device DN), so
running it twice, or after a crash half way, leaves the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import available_timezones

import tzfpy
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fleets.adapters import adapter_for, call_context
from fleets.models import Device, Plant, VendorAccount
from vendors import zones
from vendors.base import DeviceInfo, PlantInfo
from vendors.batching import batches
from vendors.errors import RateLimited, SessionExpired, TransientError, VendorError

log = logging.getLogger(__name__)

DEVICE_BATCH = 100  # NBI V7 9.2.2: "A maximum of 100 plants can be queried at a time"
_DETAIL_FIELDS = (
    "name",
    "address",
    "latitude",
    "longitude",
    "timezone",
    "pv_capacity_kwp",
    "inverter_rated_power_w",
    "battery_rated_kwh",
    "battery_usable_kwh",
    "battery_max_charge_w",
    "battery_max_discharge_w",
)
_TIMEZONES = frozenset(available_timezones())


# Discovery and enrolment are paced by once-a-minute interfaces: at real speed a 1,000-plant account takes the
# better part of an hour (10 plant-list pages, 10 vpp/plants calls, ~40 device pages; NBI V7 9.2.1, 9.2.2,
# 9.3.1). Their tasks get this hard limit, below the Redis broker's visibility timeout (STYLE 15), and their
# leases outlast it, so a second worker never starts the same work while the first is alive.
SYNC_TASK_TIME_LIMIT_S = 3400


def lease_seconds(*, long: bool = False) -> float:
    """How long a claimed account or enrolment stays ours: past its task's hard time limit, so a lease only
    runs out when its worker is dead."""
    limit = SYNC_TASK_TIME_LIMIT_S if long else settings.CELERY_TASK_TIME_LIMIT
    return float(limit) + 60.0


def timezone_at(latitude: float | None, longitude: float | None) -> str | None:
    """The IANA zone at a plant's coordinates. A vendor may give times with UTC offsets only, no zone name
    (NBI V7 9.2.1 gridConnectionDate, 9.3.1 installationTime), and an offset cannot follow daylight saving;
    dispatch windows and campaigns need the zone. Coordinates that land in the sea (a coastal plant, rounded)
    take the nearest land zone within about 60 km; none found, or no coordinates: unknown."""
    if latitude is None or longitude is None:
        return None
    for radius in (0.0, 0.1, 0.2, 0.35, 0.55):
        for d_lat, d_lon in _RING if radius else ((0.0, 0.0),):
            lat = max(-90.0, min(90.0, latitude + d_lat * radius))
            lon = (longitude + d_lon * radius + 180.0) % 360.0 - 180.0
            name = tzfpy.get_tz(lon, lat)
            if name in _TIMEZONES and not name.startswith("Etc/"):
                return name
    return None


_RING = ((1, 0), (-1, 0), (0, 1), (0, -1), (0.7, 0.7), (0.7, -0.7), (-0.7, 0.7), (-0.7, -0.7))


def _region_from_address(address: str) -> str:
    """Default region: the last part of the vendor's address ("12 Solar Street, Sydney NSW" -> "Sydney
    NSW"). The vendors have no region field; operators overwrite it through the API."""
    parts = [p.strip() for p in address.split(",") if p.strip()]
    return parts[-1][:100] if len(parts) > 1 else ""


def plants_ensure(
    *, account: VendorAccount, found: Iterable[tuple[str, str]], method: str
) -> tuple[dict[str, Plant], set[str]]:
    """Make sure a plant row exists for each (plant_code, name) the vendor confirmed; return all of them by
    code, and the codes that were ours already (so re-enrolling one is reported, not duplicated).

    New rows are minimal; details and devices come from `plants_upsert` / `devices_upsert`. A plant that
    was marked removed and comes back is active again.
    """
    names = dict(found)
    existing = {p.plant_code: p for p in Plant.objects.filter(vendor_account=account, plant_code__in=names)}
    new = [
        Plant(
            organization_id=account.organization_id,
            vendor_account=account,
            plant_code=code,
            name=(name or "")[:200],
            enrolment_method=method,
        )
        for code, name in names.items()
        if code not in existing
    ]
    Plant.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent sync may have inserted one
    Plant.objects.filter(vendor_account=account, plant_code__in=names, state=Plant.State.REMOVED).update(
        state=Plant.State.ACTIVE
    )
    plants = {p.plant_code: p for p in Plant.objects.filter(vendor_account=account, plant_code__in=names)}
    return plants, set(existing)


def plants_upsert(
    *, account: VendorAccount, infos: Sequence[PlantInfo], method: str, now: datetime
) -> dict[str, Plant]:
    """Create or update the plants the vendor listed, in one statement. A value the vendor left out (None)
    keeps what we had; the enrolment method of a known plant never changes; region defaults from the
    address but an operator's region is kept."""
    infos = list({info.plant_code: info for info in infos}.values())
    existing = {
        p.plant_code: p
        for p in Plant.objects.filter(vendor_account=account, plant_code__in=[i.plant_code for i in infos])
    }
    rows = []
    for info in infos:
        old = existing.get(info.plant_code)
        values = {}
        for field in _DETAIL_FIELDS:
            value = getattr(info, field, None)
            if field == "timezone" and not zones.is_known(value):
                value = None  # IANA names or fixed UTC±HH:MM offsets: windows are computed in local time
            if value is None and field == "timezone":
                value = timezone_at(values["latitude"], values["longitude"])
            if value is None or value == "":
                value = getattr(old, field) if old else Plant._meta.get_field(field).get_default()
            values[field] = value
        values["name"] = (values["name"] or "")[:200]
        values["address"] = (values["address"] or "")[:500]
        rows.append(
            Plant(
                organization_id=account.organization_id,
                vendor_account=account,
                plant_code=info.plant_code,
                enrolment_method=old.enrolment_method if old else method,
                state=Plant.State.ACTIVE if not old or old.state == Plant.State.REMOVED else old.state,
                region=(old.region if old and old.region else _region_from_address(values["address"])),
                **values,
            )
        )
    Plant.objects.bulk_create(
        rows,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["vendor_account", "plant_code"],
        update_fields=[*_DETAIL_FIELDS, "state", "region", "updated_at"],
    )
    return {
        p.plant_code: p
        for p in Plant.objects.filter(vendor_account=account, plant_code__in=[i.plant_code for i in infos])
    }


def devices_upsert(
    *, account: VendorAccount, plant_codes: Sequence[str], devices: Sequence[DeviceInfo], now: datetime
) -> int:
    """Replace the device lists of these plants with what the vendor listed; stamp them as synced."""
    plant_ids = dict(
        Plant.objects.filter(vendor_account=account, plant_code__in=plant_codes).values_list(
            "plant_code", "pk"
        )
    )
    rows = {}
    for dev in devices:
        plant_id = plant_ids.get(dev.plant_code)
        if plant_id is None:
            continue
        kind = dev.device_type if dev.device_type in Device.Type.values else Device.Type.OTHER
        rows[(plant_id, dev.dn)] = Device(
            plant_id=plant_id,
            dn=dev.dn[:100],
            sn=(dev.sn or "")[:100],
            device_type=kind,
            model=(dev.model or "")[:100],
            rated_power_w=dev.rated_power_w,
            extra=dev.extra or {},
        )
    with transaction.atomic():
        Device.objects.bulk_create(
            list(rows.values()),
            batch_size=500,
            update_conflicts=True,
            unique_fields=["plant", "dn"],
            update_fields=["sn", "device_type", "model", "rated_power_w", "extra"],
        )
        stale = [
            pk
            for pk, plant_id, dn in Device.objects.filter(plant_id__in=plant_ids.values()).values_list(
                "pk", "plant_id", "dn"
            )
            if (plant_id, dn) not in rows
        ]
        if stale:
            Device.objects.filter(pk__in=stale).delete()
        Plant.objects.filter(pk__in=plant_ids.values()).update(synced_at=now)
        _battery_from_devices(rows.values())
    return len(rows)


def _battery_from_devices(devices: Iterable[Device]) -> None:
    """A plant's battery size from its devices where the adapter put one in ``extra`` (``battery_rated_kwh``,
    ``battery_usable_kwh``: vendors whose plant answers carry none, e.g. hybrid inverters that report their
    BMS capacity), so battery fleet filters see those plants. A plant with no such device keeps its value."""
    totals: dict[int, dict[str, float]] = {}
    for dev in devices:
        for name in ("battery_rated_kwh", "battery_usable_kwh"):
            value = (dev.extra or {}).get(name)
            if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
                plant = totals.setdefault(dev.plant_id, {})
                plant[name] = round(plant.get(name, 0.0) + float(value), 2)
    for plant_id, values in totals.items():
        Plant.objects.filter(pk=plant_id).update(**values)


def plant_details_refresh(*, account: VendorAccount, plant_codes: Sequence[str], method: str) -> None:
    """Read details (vpp/plants, plantRatedData through list_plants) and devices for these plants and store
    them, 100 plants at a time so that progress survives a rate-limit pause. Raises the adapter's errors."""
    if not plant_codes:
        return
    adapter = adapter_for(account)
    wanted = set(plant_codes)
    infos = [info for info in adapter.list_plants() if info.plant_code in wanted]
    plants_upsert(account=account, infos=infos, method=method, now=timezone.now())
    for chunk in batches(plant_codes, DEVICE_BATCH):
        devices = adapter.list_devices(chunk)
        devices_upsert(account=account, plant_codes=chunk, devices=devices, now=timezone.now())


# --- the account sync ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncOutcome:
    """What a sync run did. `retry_after_s` is set when it stopped for a rate limit or a transient fault and
    should run again then; `error` when the vendor refused it for good (credentials, a request error)."""

    claimed: bool
    plants: int = 0
    removed: int = 0
    devices: int = 0
    retry_after_s: float | None = None
    error: str = ""


def _claim_sync(account_id: int, now: datetime) -> bool:
    free = Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lt=now)
    claimed = VendorAccount.objects.filter(free, pk=account_id, enabled=True).update(
        sync_lease_until=now + timedelta(seconds=lease_seconds(long=True))
    )
    return claimed == 1


def vendor_account_sync(*, account_id: int, requested_by: int | None = None) -> SyncOutcome:
    """Discover the plants bound to an account and their devices, and upsert them (NBI V7 9.2.1 suggests
    once a day). New plants get enrolment method "bound"; plants the vendor no longer lists are marked
    removed (kept, with their history, but out of every fleet). One worker at a time per account."""
    now = timezone.now()
    if not _claim_sync(account_id, now):
        return SyncOutcome(claimed=False)
    account = VendorAccount.objects.get(pk=account_id)
    outcome: SyncOutcome
    try:
        with call_context(requested_by=requested_by, sync=account_id):
            outcome = _sync(account)
    except RateLimited as exc:
        outcome = SyncOutcome(
            claimed=True, retry_after_s=max(exc.retry_after_s, 1.0), error=f"rate limited: {exc}"
        )
    except (TransientError, SessionExpired) as exc:
        outcome = SyncOutcome(claimed=True, retry_after_s=60.0, error=f"vendor unavailable: {exc}")
    except VendorError as exc:  # credentials refused, a request-level error code: a person must look
        outcome = SyncOutcome(claimed=True, error=str(exc))
    except Exception:  # a bug, the database, the task's time limit: free the account, then report
        VendorAccount.objects.filter(pk=account_id).update(sync_lease_until=None, sync_error="interrupted")
        raise
    done = {"sync_lease_until": None, "sync_error": outcome.error[:500]}
    if not outcome.error:
        done["synced_at"] = timezone.now()
    VendorAccount.objects.filter(pk=account_id).update(**done)
    log.info("vendor account %s sync: %s", account_id, outcome)
    return outcome


def _sync(account: VendorAccount) -> SyncOutcome:
    adapter = adapter_for(account)
    infos = adapter.list_plants()
    plants = plants_upsert(
        account=account, infos=infos, method=Plant.EnrolmentMethod.BOUND, now=timezone.now()
    )
    removed = 0
    if plants:  # an empty answer is more likely a vendor hiccup than every plant gone: remove nothing
        removed = (
            Plant.objects.filter(vendor_account=account)
            .exclude(plant_code__in=list(plants))
            .exclude(state=Plant.State.REMOVED)
            .update(state=Plant.State.REMOVED)
        )
    # Plants whose devices were read longest ago first: a sync stopped by a rate limit resumes where it was.
    codes = list(
        Plant.objects.filter(vendor_account=account, plant_code__in=list(plants))
        .order_by(F("synced_at").asc(nulls_first=True), "pk")
        .values_list("plant_code", flat=True)
    )
    device_count = 0
    for chunk in batches(codes, DEVICE_BATCH):
        device_count += devices_upsert(
            account=account, plant_codes=chunk, devices=adapter.list_devices(chunk), now=timezone.now()
        )
    return SyncOutcome(claimed=True, plants=len(plants), removed=removed, devices=device_count)
