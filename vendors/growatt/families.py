"""Growatt device families and what each can do (FIELD_NOTES "Hybrid families", H1..).

Growatt's device/list ``type`` (4.3.4 documents 1 inverter, 2 storage, 3 other; the public clients add
5 SPH, 6 SPA, 7 MIN: GrowattPublicApiPy ``growatt_types.py`` ``from_plant_list_devices``, growattServer
``open_api_v1/devices/min.py`` DEVICE_TYPE_ID 7, ``sph.py`` 5) names the family, and the family decides
which setter, which read-back and which battery fields apply. The adapter reads the family from what
discovery stored with the device (``Device.extra["family"]`` -> ``PlantTarget.families``), never by asking
the cloud before a command (every v1 call counts against the repeat rule, FIELD_NOTES 11).

Control styles:

- ``storage-windows``: SP storage machines, storageSet (4.3.12): one AC-charge and one forced-discharge
  window a day, no power parameter, SOC limit 10-80 % for charging and a floor of 0-10 %.
- ``time-segments``: MIN TL-XH (tlx), tlxSet ``time_segment1..9`` (mode 0 load / 1 battery / 2 grid
  priority, start h:m, end h:m, enable) with ``charge_power`` / ``discharge_power`` 0-100 % and
  ``charge_stop_soc`` / ``discharge_stop_soc`` 0-100 % (GrowattPublicApiPy ``min/min.py`` tlxSet table).
- ``ac-periods``: SPH (mix) and SPA: ``mix_ac_charge_time_period`` / ``mix_ac_discharge_time_period``
  (spaSet ``spa_ac_charge_time_period`` / ``spa_ac_discharge_time_period``): power %, stop SOC %, three
  periods of start h:m, end h:m, enable (``sph/sph.py``, ``spa/spa.py`` mixSet / spaSet tables).
- ``vpp-percentage``: every hybrid family (MIN, SPH, SPA) also takes Growatt's VPP interface:
  ``vppRemoteSetNew`` (vppSn, time in minutes 0-1440, percentage -100..100 of the rated power, > 0
  charge), ``vppSetNew`` (time periods with percentages) and ``device/vpp/getSocData`` (SOC); "only
  supports MIN SPA SPH", "once every 10 seconds" (GrowattPublicApiPy ``vpp/vpp.py``). The adapter drives
  hybrids through it: one call starts, one call (percentage 0) releases, the SOC is read back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

STORAGE, TLX, MIX, SPA = "storage", "tlx", "mix", "spa"


@dataclass(frozen=True)
class Family:
    name: str  # our key, stored in Device.extra["family"]
    label: str
    device_type: int  # device/list ``type``
    sn_param: str  # the setter's and last_data's SN parameter
    setter: str  # the family's own setting endpoint
    last_data: str  # the family's latest-record endpoint (read-back)
    soc_field: str  # SOC in that record
    control: tuple[str, ...]  # control styles, the adapter's first
    slots: int  # schedule slots of the family's own setter (per direction for ac-periods)
    power_resolution_pct: float | None  # None: no power parameter
    charge_soc_range: tuple[int, int]  # a charge's stop SOC the device takes
    discharge_soc_range: tuple[int, int]  # a discharge's stop SOC (floor) the device takes
    vpp: bool

    def capabilities(self) -> dict:
        """Vendor-neutral facts the API shows per plant (``vendors.registry.plant_capabilities``)."""
        data = asdict(self)
        return {
            "family": data["name"],
            "label": data["label"],
            "control": list(data["control"]),
            "slots": data["slots"],
            "power_settable": data["power_resolution_pct"] is not None,
            "power_resolution_pct": data["power_resolution_pct"],
            "charge_soc_range": list(data["charge_soc_range"]),
            "discharge_soc_range": list(data["discharge_soc_range"]),
            "read_back": [data["last_data"], *(["device/vpp/getSocData"] if self.vpp else [])],
            "vpp": data["vpp"],
        }


HYBRID_SOC = (10, 100)
"""The setters take a stop SOC of 0-100 %; the adapter keeps a 10 % floor on hybrids, the BMS reserve the
SP machines' lithium floor allows at most (4.3.12 storage_lithium_battery 0-10), since the VPP percentage has
no stop SOC of its own (FIELD_NOTES H5). A target below it is refused with the vendor's 10008."""

FAMILIES: dict[str, Family] = {
    STORAGE: Family(
        STORAGE, "SP storage machine", 2, "storage_sn", "storageSet", "device/storage/storage_last_data",
        "capacity", ("storage-windows",), 1, None, (10, 80), (0, 10), False,
    ),
    TLX: Family(
        TLX, "MIN TL-XH hybrid", 7, "tlx_sn", "tlxSet", "device/tlx/tlx_last_data",
        "bdc1_soc", ("vpp-percentage", "time-segments"), 9, 1.0, HYBRID_SOC, HYBRID_SOC, True,
    ),
    MIX: Family(
        MIX, "SPH hybrid", 5, "mix_sn", "mixSet", "device/mix/mix_last_data",
        "soc", ("vpp-percentage", "ac-periods"), 3, 1.0, HYBRID_SOC, HYBRID_SOC, True,
    ),
    SPA: Family(
        SPA, "SPA AC-coupled storage", 6, "spa_sn", "spaSet", "device/spa/spa_last_data",
        "soc", ("vpp-percentage", "ac-periods"), 3, 1.0, HYBRID_SOC, HYBRID_SOC, True,
    ),
}  # fmt: skip
BY_DEVICE_TYPE = {family.device_type: family for family in FAMILIES.values()}
HYBRIDS = frozenset({TLX, MIX, SPA})

VPP_SET = "vppRemoteSetNew"
VPP_PERIODS = "vppSetNew"
VPP_SOC = "device/vpp/getSocData"
VPP_MAX_MINUTES = 1440  # vppRemoteSetNew ``time``: "00:00 ~ 24:00"


def family_of_type(device_type: object) -> Family | None:
    try:
        return BY_DEVICE_TYPE.get(int(float(str(device_type))))
    except ValueError:
        return None


def battery_kwh(record: dict) -> float | None:
    """A hybrid's battery size from its latest record: ``bmsGaugeFCC`` (the BMS's full-charge capacity,
    "Rated capacity, e.g. 100": GrowattPublicApiPy ``pydantic_models/sph.py``; read as Ah) times the
    battery voltage ``vbat`` (or ``bdc1_vbat`` on MIN). None when either is missing or zero."""

    def number(*names: str) -> float | None:
        for name in names:
            try:
                value = float(record.get(name))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            if value > 0:
                return value
        return None

    fcc, volts = number("bmsGaugeFCC", "bmsgaugeFCC"), number("vbat", "bdc1_vbat")
    if fcc is None or volts is None:
        return None
    return round(fcc * volts / 1000.0, 2)


def as_storage_record(family: Family, record: dict) -> dict:
    """A hybrid's latest record under the storage machine's field names (4.3.13), for the KPIs."""
    charge = "bdc1_charge_power" if family.name == TLX else "pcharge1"
    discharge = "bdc1_discharge_power" if family.name == TLX else "pdischarge1"
    return {
        "capacity": record.get(family.soc_field),
        "pCharge": record.get(charge),
        "pDischarge": record.get(discharge),
        "time": record.get("time"),
        "status": 0,
    }


def soc_of(family: Family, record: dict) -> float | None:
    try:
        return float(record.get(family.soc_field))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def plant_capabilities(devices: Iterable[tuple[str, dict]]) -> list[dict]:
    """One entry per family among a plant's stored devices: a hybrid by its ``extra["family"]``, an SP
    storage machine by its battery row (``vendors.registry.plant_capabilities``)."""
    names: list[str] = []
    for device_type, extra in devices:
        name = str((extra or {}).get("family") or (STORAGE if device_type == "battery" else ""))
        if name in FAMILIES and name not in names:
            names.append(name)
    return [FAMILIES[name].capabilities() for name in names]
