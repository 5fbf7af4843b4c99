"""The simulated fleet: northbound accounts, plants, devices and the pool of not-yet-enrolled plants.

Why deterministic: ``--seed`` alone fixes every plant code, SN, owner, authorisation code and starting
SOC, so ``POST /_sim/reset`` and a fresh process give the same world and tests can hard-code nothing
but still predict everything through ``GET /_sim/plants``. Building is a single pass with no I/O so
10,000 plants start in well under a second.

Accounts: ``nbi_user_1..K`` with passwords ``nbi_pass_1..K``. Enrolled plant ``i`` belongs to account
``i % K + 1`` (round-robin).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from .battery import Battery
from .solar import zone

INVERTER = 20822
BATTERY = 20815
SMARTLOGGER = 20821
DONGLE = 20819  # "Communication module" in # NBI V7 10 Device Type List
METER = 20816

TIMEZONES = (
    ("Europe/Berlin", 52.52, 13.40, "Berlin"),
    ("Australia/Sydney", -33.87, 151.21, "Sydney NSW"),
    ("Asia/Shanghai", 31.23, 121.47, "Shanghai"),
    ("Australia/Adelaide", -34.93, 138.60, "Adelaide SA"),
)
INVERTER_MODELS = (
    ("SUN2000-3KTL-L1", 3.0),
    ("SUN2000-5KTL-L1", 5.0),
    ("SUN2000-6KTL-L1", 6.0),
    ("SUN2000-10KTL-M1", 10.0),
)
BATTERY_SIZES_KWH = (5.0, 10.0, 15.0, 20.0)


def account_username(n: int) -> str:
    return f"nbi_user_{n}"


def account_password(n: int) -> str:
    return f"nbi_pass_{n}"


@dataclass(slots=True)
class Device:
    dn: str
    sn: str
    type_id: int
    name: str
    model: str = ""
    rated_kw: float = 0.0
    software_version: str = "V100R001C00SPC200"
    on: bool = True


@dataclass(slots=True)
class Owner:
    username: str
    email: str
    phone: str


@dataclass(slots=True)
class Plant:
    code: str
    name: str
    address: str
    tz: str
    latitude: float
    longitude: float
    capacity_kwp: float
    base_load_kw: float
    grid_connection_epoch: float
    total_energy_base_kwh: float
    inverters: list[Device]
    logger: Device
    battery: Battery | None
    battery_device: Device | None
    owner: Owner
    authorization_code: str
    account: str | None = None
    # Misbehaviour switches (/_sim/plants/...): see handlers_sim.py.
    online: bool = True
    offline_since: float | None = None
    fail_tasks: bool = False
    # The share of the commanded power its battery really gives (/_sim/plants/under-deliver): 1 healthy,
    # 0.5 under-delivers, 0 takes commands and ignores them.
    deliver_share: float = 1.0
    battery_operable: bool = True
    ems_control_type: int | None = None
    max_feed_grid_power_kw: float | None = None
    active_power_gradient: float | None = None
    drm: str | None = None

    @property
    def has_smartlogger(self) -> bool:
        return self.logger.type_id == SMARTLOGGER

    @property
    def devices(self) -> list[Device]:
        devices = [*self.inverters, self.logger]
        if self.battery_device is not None:
            devices.append(self.battery_device)
        return devices

    @property
    def inverter_power_w(self) -> float:
        return sum(inv.rated_kw for inv in self.inverters) * 1000.0

    def enrolment_sns(self) -> set[str]:
        """SNs that identify the plant for snEnrolment: inverters, SmartLogger, dongle (# NBI V7 9.6.1.1)."""
        return {inv.sn for inv in self.inverters} | {self.logger.sn}


@dataclass
class World:
    accounts: dict[str, str]  # username -> password
    plants: dict[str, Plant] = field(default_factory=dict)  # every plant, enrolled or not
    by_account: dict[str, list[str]] = field(default_factory=dict)
    device_index: dict[str, tuple[str, str]] = field(default_factory=dict)  # dn -> (plant code, kind)
    sn_index: dict[str, str] = field(default_factory=dict)  # enrolment SN -> plant code
    ac_index: dict[str, str] = field(default_factory=dict)  # authorisation code -> plant code

    def plants_of(self, account: str) -> list[str]:
        return self.by_account.setdefault(account, [])

    def authorise(self, plant: Plant, account: str) -> None:
        plant.account = account
        self.plants_of(account).append(plant.code)

    def device_count(self, account: str) -> int:
        return sum(len(self.plants[c].devices) for c in self.plants_of(account))


def build_world(*, seed: int, plants: int, accounts: int, unenrolled: int, start_epoch: float) -> World:
    """Deterministic from its arguments; the first ``plants`` are enrolled, the next ``unenrolled`` not."""
    if accounts < 1 or plants < 0 or unenrolled < 0:
        raise ValueError("need accounts >= 1, plants >= 0, unenrolled >= 0")
    rng = random.Random(seed)
    world = World(accounts={account_username(n): account_password(n) for n in range(1, accounts + 1)})
    for username in world.accounts:
        world.by_account[username] = []
    next_id = 33554432  # NE IDs are allocated sequentially for a plant and then its devices

    def new_dn() -> str:
        nonlocal next_id
        next_id += 1
        return f"NE={next_id}"

    for i in range(plants + unenrolled):
        code = new_dn()
        tz, lat, lon, city = TIMEZONES[i % len(TIMEZONES)]
        model, rated_kw = INVERTER_MODELS[rng.randrange(len(INVERTER_MODELS))]
        n_inverters = 2 if rng.random() < 0.1 else 1
        inverters = []
        for k in range(n_inverters):
            dn = new_dn()
            inverters.append(
                Device(
                    dn=dn,
                    sn=f"HV{int(dn[3:]) * 7 + k:010d}",
                    type_id=INVERTER,
                    name=f"Inverter-{i + 1}-{k + 1}",
                    model=model,
                    rated_kw=rated_kw,
                )
            )
        logger_dn = new_dn()
        if rng.random() < 0.3:
            logger = Device(
                dn=logger_dn,
                sn=f"LG{int(logger_dn[3:]):010d}",
                type_id=SMARTLOGGER,
                name=f"Logger-{i + 1}",
                model="SmartLogger3000A",
            )
        else:
            logger = Device(
                dn=logger_dn,
                sn=f"SD{int(logger_dn[3:]):010d}",
                type_id=DONGLE,
                name=f"Dongle-{i + 1}",
                model="SDongleA-05",
            )
        size_kwh = BATTERY_SIZES_KWH[rng.randrange(len(BATTERY_SIZES_KWH))]
        battery_dn = new_dn()
        battery = Battery(
            dn=battery_dn,
            sn=f"HL{int(battery_dn[3:]):010d}",
            model="LUNA2000-S0",
            rated_kwh=size_kwh,
            max_charge_w=int(min(size_kwh * 500, 5000)),
            max_discharge_w=int(min(size_kwh * 500, 5000)),
            soh=round(rng.uniform(0.95, 1.0), 3),
            dod=90,
        )
        battery.init(round(rng.uniform(20.0, 90.0), 1))
        capacity = round(rated_kw * n_inverters * rng.uniform(1.0, 1.4), 2)
        grid_connected = start_epoch - rng.randrange(30, 1500) * 86400
        owner_n = i + 1
        plant = Plant(
            code=code,
            name=f"Plant {owner_n} {city}",
            address=f"{rng.randrange(1, 200)} Solar Street, {city}",
            tz=tz,
            latitude=round(lat + rng.uniform(-0.3, 0.3), 6),
            longitude=round(lon + rng.uniform(-0.3, 0.3), 6),
            capacity_kwp=capacity,
            base_load_kw=round(rng.uniform(0.3, 1.2), 2),
            grid_connection_epoch=float(grid_connected),
            total_energy_base_kwh=round(capacity * rng.uniform(800, 5000), 1),
            inverters=inverters,
            logger=logger,
            battery=battery,
            battery_device=Device(
                dn=battery.dn, sn=battery.sn, type_id=BATTERY, name=f"Battery-{i + 1}", model=battery.model
            ),
            owner=Owner(
                username=f"owner_{owner_n}",
                email=f"owner_{owner_n}@example.com",
                phone=f"+61400{owner_n:06d}",
            ),
            authorization_code=f"{4100000000 + owner_n * 13:010d}{owner_n % 10}",
        )
        world.plants[code] = plant
        for sn in plant.enrolment_sns():
            world.sn_index[sn] = code
        world.ac_index[plant.authorization_code] = code
        for dev in plant.devices:
            world.device_index[dev.dn] = (code, "battery" if dev.type_id == BATTERY else "device")
        if i < plants:
            world.authorise(plant, account_username(i % accounts + 1))
    return world


def iso_local(ts: float | None, tz_name: str) -> str | None:
    """``2020-02-06T00:00:00+08:00``: the time-with-zone format the document uses throughout."""
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), zone(tz_name)).isoformat()
