"""The Growatt world: API accounts and their tokens, plants, and the physical units inside them.

Why this shape: a Growatt plant is a logical container owned by a user; the physical thing is a unit
behind one datalogger (collector): a PV inverter (device type 1) and an AC-coupled storage machine with
its battery (device type 2) (# Growatt 4.3.4 ``type``). Enrolment moves a unit from the pool of
not-yet-added dataloggers into a plant of the caller's account (# Growatt 4.3.10, 4.3.2), so units and
plants are separate objects and every SN is indexed for O(1) lookups.

Everything is generated from ``seed`` in one pass of cheap arithmetic so 10,000 plants build in well
under a second; nothing is computed per plant until a request reads it (see ``battery`` and ``solar``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from vendors import zones

from .battery import Battery

# (timezone, country, latitude, longitude): a mix of offsets so "local time" really matters.
SITES = (
    ("Europe/Berlin", "Germany", 52.52, 13.40),
    ("Australia/Sydney", "Australia", -33.87, 151.21),
    ("Asia/Shanghai", "China", 31.23, 121.47),
    ("Europe/London", "United Kingdom", 51.51, -0.13),
    ("America/Los_Angeles", "United States", 34.05, -118.24),
)
MACHINE_POWER_W = {0: 2000.0, 1: 3000.0}  # Growatt 4.3.13 deviceType 0 SP2000, 1 SP3000
HYBRID_SN_PREFIX = {"tlx": "MIN", "mix": "SPH", "spa": "SPA"}
HYBRID_POWER_W = {"tlx": 5000.0, "mix": 6000.0, "spa": 3000.0}  # MIN 5000TL-XH, SPH 6000, SPA 3000
CAPACITIES_WH = (5000.0, 7500.0, 10000.0, 15000.0)
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
FIRST_PLANT_ID = 100001


@dataclass(slots=True)
class Account:
    """One OpenAPI account: a token issued by Growatt and the end user its plants belong to."""

    name: str
    token: str
    user_id: int
    user_name: str
    token_generation: int = 0


@dataclass(slots=True)
class Unit:
    """One datalogger with its inverter and storage machine; state the setters change lives here."""

    index: int
    datalogger_sn: str
    check_code: str
    inverter_sn: str
    storage_sn: str
    device_type: int
    pv_peak_w: float
    load_base_w: float
    battery: Battery
    site: tuple[str, str, float, float]
    zone: ZoneInfo
    plant_id: int | None = None
    has_battery: bool = True
    inverter_on: bool = True
    active_rate_pct: float = 100.0
    offline_since: float | None = None
    fail_commands: bool = False
    settings: dict[str, object] = field(default_factory=dict)
    # "storage" (an SP machine beside a PV inverter) or a hybrid family: "tlx" (MIN TL-XH, type 7), "mix"
    # (SPH, type 5), "spa" (SPA, type 6); a hybrid is one device, its SN in ``storage_sn`` (``hybrid``).
    family: str = "storage"
    vpp_end_t: float | None = None  # a vppRemoteSetNew command runs until then (simulated Unix s)
    vpp_pct: int = 0

    @property
    def inverter_device_id(self) -> int:
        return self.index * 2 - 1

    @property
    def storage_device_id(self) -> int:
        return self.index * 2


@dataclass(slots=True)
class Plant:
    plant_id: int
    account: Account
    name: str
    timezone: str
    country: str
    latitude: float
    longitude: float
    peak_power_kw: float
    create_date: str
    installer: str = "VPP Sim Installers"
    currency: str = "1"
    units: list[Unit] = field(default_factory=list)

    @property
    def zone(self) -> ZoneInfo:
        # An IANA name or a fixed "UTC-03:30" (vendors.zones): /_sim/plants/clock puts a plant's devices
        # on a fixed offset all year (FIELD_NOTES rows 1-2).
        return zones.load(self.timezone)  # type: ignore[return-value]


class World:
    """All accounts, plants and units; rebuilt identically from the same arguments on reset."""

    def __init__(
        self,
        *,
        seed: int,
        plants: int,
        accounts: int,
        unenrolled: int,
        start_t: float,
        families: tuple[str, ...] = ("storage",),
    ) -> None:
        self.families = families
        if accounts < 1:
            raise ValueError("--accounts must be at least 1")
        if plants < 0 or unenrolled < 0:
            raise ValueError("--plants and --unenrolled must be >= 0")
        self.seed, self.n_plants, self.n_accounts, self.n_unenrolled = seed, plants, accounts, unenrolled
        self.build(start_t)

    def build(self, start_t: float) -> None:
        """(Re)create everything from the seed; ``start_t`` anchors the batteries."""
        rng = random.Random(self.seed)
        self.start_t = start_t
        self.accounts: dict[str, Account] = {}
        self.by_token: dict[str, Account] = {}
        for k in range(1, self.n_accounts + 1):
            self._add_account(Account(f"account-{k}", f"growatt-token-{k}", 1000 + k, f"vpp-user-{k}"))
        self.plants: dict[int, Plant] = {}
        self.account_plants: dict[str, list[int]] = {name: [] for name in self.accounts}
        self.by_datalogger: dict[str, Unit] = {}
        self.by_inverter: dict[str, Unit] = {}
        self.by_storage: dict[str, Unit] = {}
        self.next_plant_id = FIRST_PLANT_ID
        start_day = datetime.fromtimestamp(start_t, UTC).date()
        account_list = list(self.accounts.values())
        for i in range(1, self.n_plants + 1):
            unit = self._make_unit(rng, i)
            tz, country, lat, lon = unit.site
            plant = Plant(
                plant_id=self._new_plant_id(),
                account=account_list[(i - 1) % len(account_list)],
                name=f"Plant {i:05d}",
                timezone=tz,
                country=country,
                latitude=lat,
                longitude=lon,
                peak_power_kw=round(unit.pv_peak_w / 1000, 2),
                create_date=(start_day - timedelta(days=rng.randint(30, 1500))).isoformat(),
            )
            self._add_plant(plant)
            self.attach(unit, plant)
            # ``--families``: plant i is of families[(i - 1) % n]; the default keeps every plant an SP
            # machine, and draws nothing from ``rng`` (the storage world is the same for every seed).
            family = self.families[(i - 1) % len(self.families)]
            if family != "storage":
                self.set_family(unit, family)
        for j in range(1, self.n_unenrolled + 1):
            unit = self._make_unit(rng, self.n_plants + j)
            family = self.families[(self.n_plants + j - 1) % len(self.families)]
            if family != "storage":  # dataloggers awaiting enrolment cycle through the families too
                self.set_family(unit, family)

    def _add_account(self, account: Account) -> None:
        self.accounts[account.name] = account
        self.by_token[account.token] = account

    def _new_plant_id(self) -> int:
        plant_id = self.next_plant_id
        self.next_plant_id += 1
        return plant_id

    def _add_plant(self, plant: Plant) -> None:
        self.plants[plant.plant_id] = plant
        self.account_plants[plant.account.name].append(plant.plant_id)

    def _make_unit(self, rng: random.Random, index: int) -> Unit:
        site = SITES[rng.randrange(len(SITES))]
        device_type = rng.randrange(2)
        unit = Unit(
            index=index,
            datalogger_sn=f"JPC{index:07d}",
            check_code="".join(rng.choice(_CODE_ALPHABET) for _ in range(6)),
            inverter_sn=f"TZA{index:07d}",
            storage_sn=f"SPB{index:07d}",
            device_type=device_type,
            pv_peak_w=float(rng.choice((3000, 4000, 5000, 6000, 8000))),
            load_base_w=float(rng.randint(250, 700)),
            battery=Battery(
                capacity_wh=rng.choice(CAPACITIES_WH),
                power_w=MACHINE_POWER_W[device_type],
                soc=float(rng.randint(20, 70)),
                t=self.start_t,
            ),
            site=site,
            zone=ZoneInfo(site[0]),
        )
        self.by_datalogger[unit.datalogger_sn] = unit
        self.by_inverter[unit.inverter_sn] = unit
        self.by_storage[unit.storage_sn] = unit
        return unit

    def set_family(self, unit: Unit, family: str) -> None:
        """Make ``unit`` a hybrid of ``family`` (or an SP machine again): one device under a new SN."""
        self.by_storage.pop(unit.storage_sn, None)
        unit.family = family
        if family == "storage":
            unit.storage_sn = f"SPB{unit.index:07d}"
            unit.battery.power_w = MACHINE_POWER_W[unit.device_type]
        else:
            unit.storage_sn = f"{HYBRID_SN_PREFIX[family]}{unit.index:07d}"
            unit.battery.power_w = HYBRID_POWER_W[family]
        unit.settings = {}
        unit.vpp_end_t = None
        self.by_storage[unit.storage_sn] = unit

    # --- enrolment ---------------------------------------------------------------------------------

    def add_plant(
        self, *, account: Account, name: str, peak_power_kw: float, timezone: str, today: str
    ) -> Plant:
        """A new empty plant (# Growatt 4.2.8); units join it through datalogger/add."""
        plant = Plant(
            plant_id=self._new_plant_id(),
            account=account,
            name=name,
            timezone=timezone,
            country="",
            latitude=0.0,
            longitude=0.0,
            peak_power_kw=peak_power_kw,
            create_date=today,
        )
        self._add_plant(plant)
        return plant

    def attach(self, unit: Unit, plant: Plant) -> None:
        """Put ``unit`` into ``plant``. The cloud syncs the device clock to the plant's timezone, so from
        now on its windows run in the plant's local time."""
        unit.plant_id = plant.plant_id
        unit.zone = plant.zone
        plant.units.append(unit)

    def set_clock(self, plant: Plant, zone_name: str) -> None:
        """The portal's zone of ``plant`` changed: the cloud resyncs every device clock in it."""
        plant.timezone = zone_name
        for unit in plant.units:
            unit.zone = plant.zone

    def detach(self, unit: Unit) -> None:
        """Back to the pool of not-yet-added dataloggers (# Growatt 4.3.3), state kept."""
        plant = self.plants[unit.plant_id] if unit.plant_id is not None else None
        if plant is not None:
            plant.units.remove(unit)
        unit.plant_id = None

    def pool(self) -> list[Unit]:
        return [u for u in self.by_datalogger.values() if u.plant_id is None]

    # --- lookups scoped to an account --------------------------------------------------------------

    def plant_for(self, account: Account, plant_id: str) -> Plant | None:
        """The plant if it exists and belongs to ``account``; another account's plant does not exist
        for this caller."""
        try:
            plant = self.plants.get(int(plant_id))
        except ValueError:
            return None
        return plant if plant is not None and plant.account is account else None

    def owned_unit(self, account: Account, unit: Unit | None) -> tuple[Unit, Plant] | None:
        if unit is None or unit.plant_id is None:
            return None
        plant = self.plants[unit.plant_id]
        return (unit, plant) if plant.account is account else None

    def storage_for(self, account: Account, sn: str) -> tuple[Unit, Plant] | None:
        """A storage machine the caller can see; gone when the plant has no battery."""
        found = self.owned_unit(account, self.by_storage.get(sn))
        return found if found is not None and found[0].has_battery else None

    def inverter_for(self, account: Account, sn: str) -> tuple[Unit, Plant] | None:
        return self.owned_unit(account, self.by_inverter.get(sn))

    # --- tokens ------------------------------------------------------------------------------------

    def rotate_tokens(self, names: list[str]) -> dict[str, str]:
        """The user cancelled the authorisation and Growatt issued a new token (# Growatt 2.1: tokens
        are permanent until authorisation is cancelled). Old tokens answer 10011 from now on."""
        for name in names:
            account = self.accounts[name]
            del self.by_token[account.token]
            account.token_generation += 1
            account.token = f"growatt-token-{name.rsplit('-', 1)[1]}-r{account.token_generation}"
            self.by_token[account.token] = account
        return self.tokens()

    def tokens(self) -> dict[str, str]:
        return {name: account.token for name, account in self.accounts.items()}
