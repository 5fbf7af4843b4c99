"""What a command needs to know of a plant (`vendors.base.PlantTarget`), from the plant and its devices."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from fleets.models import Device, Plant
from vendors import registry
from vendors.base import PlantTarget

# Storage machines are enrolled as batteries, or as inverters whose `extra` type names a storage family
# (each vendor's `storage_type_hints`, vendors.registry).
_STORAGE_HINTS = tuple(dict.fromkeys(hint for spec in registry.specs() for hint in spec.storage_type_hints))


def _is_storage(device_type: str, extra: dict | None) -> bool:
    if device_type == Device.Type.BATTERY:
        return True
    kind = str((extra or {}).get("type") or (extra or {}).get("kind") or "").lower()
    return any(hint in kind for hint in _STORAGE_HINTS)


# (dn, sn, device_type, extra) of one device: plain tuples, a 100-plant batch has hundreds of devices.
DeviceRow = tuple[str, str, str, dict]


def plant_target(plant: Plant, devices: Iterable[DeviceRow]) -> PlantTarget:
    devices = sorted(devices)
    return PlantTarget(
        plant_code=plant.plant_code,
        timezone=plant.timezone or "UTC",
        battery_dns=tuple(dn for dn, _, kind, _ in devices if kind == Device.Type.BATTERY),
        inverter_dns=tuple(dn for dn, _, kind, _ in devices if kind == Device.Type.INVERTER),
        storage_sns=tuple(sn or dn for dn, sn, kind, extra in devices if _is_storage(kind, extra)),
        inverter_sns=tuple(sn or dn for dn, sn, kind, _ in devices if kind == Device.Type.INVERTER),
        battery_rated_kwh=plant.battery_rated_kwh,
        device_families=tuple(
            (sn or dn, str(extra["family"]), _float((extra or {}).get("rated_power_w")))
            for dn, sn, _, extra in devices
            if (extra or {}).get("family")
        ),
    )


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def plant_targets(plants: list[Plant]) -> dict[int, PlantTarget]:
    """PlantTarget per plant pk, with one query for all their devices."""
    devices: dict[int, list[DeviceRow]] = defaultdict(list)
    rows = Device.objects.filter(plant_id__in=[p.pk for p in plants]).order_by()
    for plant_id, dn, sn, kind, extra in rows.values_list("plant_id", "dn", "sn", "device_type", "extra"):
        devices[plant_id].append((dn, sn, kind, extra))
    return {p.pk: plant_target(p, devices[p.pk]) for p in plants}
