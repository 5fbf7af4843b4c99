"""Build our side of the world (organisation, vendor accounts, plants, devices) from the simulators' truth.

What an enrolment would have written, read from `/_sim/plants` so tests need no enrolment run: Huawei
plants with their inverter and battery DNs, Growatt plants with their inverter and storage SNs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from dispatch.services import dispatch_job_create
from fleets.models import Device, Fleet, Organization, Plant, Vendor, VendorAccount
from vendors.base import ChargeDischarge

HUAWEI_TYPES = {20822: Device.Type.INVERTER, 20815: Device.Type.BATTERY, 20816: Device.Type.METER}


@dataclass
class World:
    organization: Organization
    accounts: list[VendorAccount] = field(default_factory=list)
    plants: list[Plant] = field(default_factory=list)
    # plant pk -> the simulator's record of it at the start
    truth: dict[int, dict] = field(default_factory=dict)

    def fleet(self, name: str = "everything", plants: list[Plant] | None = None) -> Fleet:
        fleet = Fleet.objects.create(organization=self.organization, name=name)
        fleet.plants.set(plants if plants is not None else self.plants)
        return fleet

    def of_vendor(self, vendor: str) -> list[Plant]:
        return [p for p in self.plants if p.vendor_account.vendor == vendor]


def _sim_plants(control, limit: int) -> list[dict]:
    out: list[dict] = []
    while len(out) < limit:
        page = control.plants(enrolled=True, limit=min(100, limit - len(out)), offset=len(out))
        if not page:
            break
        out += page
    return out


def add_huawei(world: World, sim, *, plants: int) -> list[Plant]:
    """`plants` Huawei plants spread over the simulator's accounts (the simulator's round-robin)."""
    accounts = {}
    for username, password in sim.accounts:
        accounts[username] = VendorAccount.objects.create(
            organization=world.organization,
            vendor=Vendor.HUAWEI,
            name=f"huawei {username}",
            base_url=sim.base_url,
            username=username,
            secret=password,
            clock_speed=sim.speed,
        )
        world.accounts.append(accounts[username])
    created = []
    for record in _sim_plants(sim.control, plants):
        battery = record.get("battery") or {}
        plant = Plant.objects.create(
            organization=world.organization,
            vendor_account=accounts[record["account"]],
            plant_code=record["plantCode"],
            name=record["plantName"],
            timezone=record["timezone"],
            battery_rated_kwh=battery.get("ratedKwh"),
            battery_max_charge_w=battery.get("maxChargeW"),
            battery_max_discharge_w=battery.get("maxDischargeW"),
            soc_pct=battery.get("soc"),
            enrolment_method=Plant.EnrolmentMethod.BOUND,
        )
        Device.objects.bulk_create(
            Device(
                plant=plant,
                dn=d["dn"],
                sn=d["sn"],
                device_type=HUAWEI_TYPES.get(d["deviceTypeId"], Device.Type.LOGGER),
                model=d.get("model", ""),
            )
            for d in record["devices"]
        )
        world.truth[plant.pk] = record
        created.append(plant)
    world.plants += created
    return created


def add_growatt(world: World, sim, *, plants: int) -> list[Plant]:
    accounts = {}
    for k, token in enumerate(sim.tokens, start=1):
        accounts[f"account-{k}"] = VendorAccount.objects.create(
            organization=world.organization,
            vendor=Vendor.GROWATT,
            name=f"growatt account-{k}",
            base_url=sim.base_url,
            secret=token,
            clock_speed=sim.speed,
        )
        world.accounts.append(accounts[f"account-{k}"])
    created = []
    for record in _sim_plants(sim.control, plants):
        unit = record["units"][0]
        plant = Plant.objects.create(
            organization=world.organization,
            vendor_account=accounts[record["account"]],
            plant_code=str(record["plant_id"]),
            name=record["name"],
            timezone=record["timezone"],
            battery_rated_kwh=unit["capacity_wh"] / 1000.0,
            battery_max_charge_w=unit["max_power_w"],
            battery_max_discharge_w=unit["max_power_w"],
            soc_pct=record.get("soc"),
            enrolment_method=Plant.EnrolmentMethod.SN,
        )
        devices = []
        for u in record["units"]:
            devices.append(
                Device(plant=plant, dn=u["inverter_sn"], sn=u["inverter_sn"], device_type="inverter")
            )
            if u.get("storage_sn"):
                devices.append(
                    Device(plant=plant, dn=u["storage_sn"], sn=u["storage_sn"], device_type="battery")
                )
        Device.objects.bulk_create(devices)
        world.truth[plant.pk] = record
        created.append(plant)
    world.plants += created
    return created


def enrol_growatt_plant(world: World, sim, plant_id: int) -> Plant:
    """One Growatt plant as its account's sync enrols it (zone and devices read from the cloud)."""
    from fleets.discovery import vendor_account_sync

    account = VendorAccount.objects.create(
        organization=world.organization, vendor=Vendor.GROWATT, name="growatt account-1",
        base_url=sim.base_url, secret=sim.tokens[0], clock_speed=sim.speed,
    )  # fmt: skip
    assert vendor_account_sync(account_id=account.pk).error == ""
    return Plant.objects.get(vendor_account=account, plant_code=str(plant_id))


def pause_at_local(control, zone: tzinfo, hour: int, minute: int) -> None:
    """Pause a simulator's clock and move it on to the next hour:minute in `zone`."""
    control.set_speed(0)
    now = datetime.fromtimestamp(control.now(), zone)
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at <= now:
        at += timedelta(days=1)
    control.advance((at - now).total_seconds())


def huawei_soc(sim, plant: Plant) -> float | None:
    battery = sim.control.plant(plant.plant_code).get("battery") or {}
    return battery.get("soc")


def growatt_soc(sim, plant: Plant) -> float | None:
    return sim.control.plant(int(plant.plant_code)).get("soc")


def create_job(world: World, plants: list[Plant], command: ChargeDischarge, **kwargs):
    """A charge/discharge job over `plants`, created through the service the API calls (it must be new)."""
    job, created = dispatch_job_create(
        organization=world.organization,
        created_by=None,
        command_kind="charge_discharge",
        params={"action": command.action},
        command=command,
        plant_ids=[p.pk for p in plants],
        **kwargs,
    )
    assert created
    return job


def charge_one_plant(world: World, plant: Plant):
    """A 30-minute charge of one plant, created through the service the API calls."""
    job, _ = dispatch_job_create(
        organization=world.organization,
        created_by=None,
        command_kind="charge_discharge",
        params={"action": "charge", "control": "duration", "duration_min": 30},
        command=ChargeDischarge(action="charge", control="duration", duration_min=30),
        plant_ids=[plant.pk],
    )
    return job
