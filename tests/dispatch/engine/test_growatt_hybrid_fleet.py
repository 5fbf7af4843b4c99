"""A mixed Growatt fleet (an SP storage machine, a MIN TL-XH, an SPH, an SPA) end to end: the account sync
learns each plant's family and battery size (the only place it is learned), then charges, discharges and
stops are POSTed to the REST API, a real Celery worker sends them to the simulator over HTTP, every family
is read back (its SOC moves, the hybrids are released), and bad parameters end the plant's task `rejected`
with the vendor's code."""

from __future__ import annotations

import pytest

from dispatch.models import DispatchTask
from fleets.discovery import vendor_account_sync
from fleets.models import Fleet, Plant, Vendor, VendorAccount
from fleets.selectors import fleet_plants
from tests.plugins.celery_worker import wait_for

T = DispatchTask.State
FAMILIES = ("storage", "tlx", "mix", "spa")


@pytest.fixture
def growatt_fleet(world, growatt_sim):
    """Four of account-1's plants, one per family, discovered by the account sync."""
    control = growatt_sim.control
    chosen = [p for p in control.plants(enrolled=True, limit=1000) if p["account"] == "account-1"][:4]
    for plant, family in zip(chosen[1:], FAMILIES[1:], strict=True):
        control.set_family([plant["plant_id"]], family)
    account = VendorAccount.objects.create(
        organization=world.organization, vendor=Vendor.GROWATT, name="growatt account-1",
        base_url=growatt_sim.base_url, secret=growatt_sim.tokens[0], clock_speed=growatt_sim.speed,
    )  # fmt: skip
    assert vendor_account_sync(account_id=account.pk).error == ""
    plants = {
        family: Plant.objects.get(vendor_account=account, plant_code=str(p["plant_id"]))
        for family, p in zip(FAMILIES, chosen, strict=True)
    }
    # Storage: the plants' batteries of the simulator's own truth; the hybrids have theirs from discovery.
    storage_truth = control.plant(chosen[0]["plant_id"])["units"][0]
    plants["storage"].battery_rated_kwh = storage_truth["capacity_wh"] / 1000
    plants["storage"].save(update_fields=["battery_rated_kwh"])
    return plants, world.fleet(plants=list(plants.values()))


def _soc(growatt_sim, plant: Plant) -> float:
    return growatt_sim.control.plant(int(plant.plant_code))["soc"]


def _run(api, fleet, params: dict, key: str) -> tuple[dict, dict[str, dict]]:
    created = api.post(
        "/api/v1/dispatches", {"command": "charge_discharge", "params": params, "fleet": fleet.pk},
        format="json", HTTP_IDEMPOTENCY_KEY=key,
    )  # fmt: skip
    assert created.status_code == 201, created.content
    url = f"/api/v1/dispatches/{created.json()['id']}"
    wait_for(
        lambda: api.get(url).json()["state"] not in ("scheduled", "running"),
        timeout_s=240, interval_s=0.5, message=f"{key} to finish",
    )  # fmt: skip
    tasks = api.get(f"{url}/tasks").json()["results"]
    return api.get(url).json(), {t["plant_code"]: t for t in tasks}


def _task(tasks: dict[str, dict], plant: Plant) -> dict:
    assert plant.plant_code in tasks, (plant.plant_code, list(tasks))
    return tasks[plant.plant_code]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_discovery_fills_family_battery_size_and_capabilities(growatt_fleet, bob_api):
    plants, _ = growatt_fleet
    for family in FAMILIES[1:]:
        plant = plants[family]
        assert plant.battery_usable_kwh and plant.battery_usable_kwh > 3  # the simulator's 5-15 kWh packs
        (device,) = plant.devices.exclude(device_type="logger")
        assert device.extra["family"] == family
        shown = bob_api.get(f"/api/v1/plants/{plant.pk}").json()["capabilities"]
        assert [c["family"] for c in shown] == [family]
        assert shown[0]["vpp"] is True and "vpp-percentage" in shown[0]["control"]
        assert shown[0]["power_settable"] is True
    storage = bob_api.get(f"/api/v1/plants/{plants['storage'].pk}").json()["capabilities"]
    assert [(c["family"], c["power_settable"], c["vpp"]) for c in storage] == [("storage", False, False)]
    # The battery fleet filter now sees the hybrids.
    org = plants["tlx"].organization
    big = Fleet.objects.create(organization=org, name="batteries", filter_enabled=True,
                               filter_battery_usable_kwh_min=3)  # fmt: skip
    assert {p.pk for p in plants.values() if p.battery_usable_kwh} <= set(
        fleet_plants(big).values_list("pk", flat=True)
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_mixed_growatt_fleet_charges_discharges_and_stops(
    start_engine, growatt_fleet, growatt_sim, bob_api
):
    plants, fleet = growatt_fleet
    start_engine(workers=1, concurrency=3)

    before = {f: _soc(growatt_sim, p) for f, p in plants.items()}
    job, tasks = _run(bob_api, fleet, {"action": "charge", "control": "duration", "duration_min": 30}, "hy-c")
    assert job["state"] == "completed", tasks
    after = {f: _soc(growatt_sim, p) for f, p in plants.items()}
    for family, plant in plants.items():
        task = _task(tasks, plant)
        assert task["state"] == "completed", (family, task)
        if before[family] < 79:  # an SP machine stops at its 80 % limit
            assert after[family] > before[family], (family, before[family], after[family])
    for family in FAMILIES[1:]:
        assert "SOC" in _task(tasks, plants[family])["vendor_message"]  # read back from getSocData
        assert growatt_sim.control.plant(int(plants[family].plant_code))["units"][0]["vpp"] is None

    job, tasks = _run(
        bob_api, fleet, {"action": "discharge", "control": "duration", "duration_min": 20}, "hy-d"
    )
    assert job["state"] == "completed", tasks
    for family, plant in plants.items():
        assert _soc(growatt_sim, plant) < after[family] or after[family] <= 10.5, family

    # A long charge, then a stop: every family ends idle, the hybrids released and nothing left armed.
    created = bob_api.post(
        "/api/v1/dispatches",
        {"command": "charge_discharge", "fleet": fleet.pk,
         "params": {"action": "charge", "control": "duration", "duration_min": 600}},
        format="json", HTTP_IDEMPOTENCY_KEY="hy-long",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    long_id = created.json()["id"]

    def all_running():
        states = set(DispatchTask.objects.filter(job_id=long_id).values_list("state", flat=True))
        return states <= {T.ACCEPTED, T.IN_PROGRESS} and states

    wait_for(all_running, timeout_s=120, interval_s=0.3, message="the long charge to be running")
    running = [growatt_sim.control.plant(int(plants[f].plant_code))["units"][0] for f in FAMILIES[1:]]
    assert all(u["vpp"] and u["vpp"]["percentage"] == 100 for u in running)
    job, tasks = _run(bob_api, fleet, {"action": "stop"}, "hy-stop")
    assert job["state"] == "completed", tasks
    for family in FAMILIES[1:]:
        unit = growatt_sim.control.plant(int(plants[family].plant_code))["units"][0]
        assert unit["vpp"] is None, family
        assert "release" in _task(tasks, plants[family])["vendor_message"]
    schedule = growatt_sim.control.plant(int(plants["storage"].plant_code))["units"][0]["schedule"]
    assert schedule["ac_charge_enabled"] is False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_bad_parameters_end_each_plants_task_rejected_with_the_vendors_code(
    start_engine, growatt_fleet, growatt_sim, bob_api
):
    plants, fleet = growatt_fleet
    growatt_sim.control.plants_offline([int(plants["storage"].plant_code)])
    start_engine(workers=1, concurrency=3)
    job, tasks = _run(
        bob_api, fleet, {"action": "discharge", "control": "soc", "target_soc_pct": 5}, "hy-bad"
    )
    assert job["counts"]["by_state"].get("rejected") == 4, tasks
    for family in FAMILIES[1:]:
        task = _task(tasks, plants[family])
        assert (task["state"], task["vendor_code"]) == ("rejected", "10008"), task
    storage = _task(tasks, plants["storage"])  # its 0-10 % floor takes 5 %, its collector is offline
    assert (storage["state"], storage["vendor_code"]) == ("rejected", "10005"), storage
    assert all(c["endpoint"] != "/v1/vppRemoteSetNew" for c in growatt_sim.control.commands())
