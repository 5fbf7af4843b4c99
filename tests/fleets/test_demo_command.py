"""`manage.py vpp_demo` (what `make run` calls): the demo organisation, its accounts on the simulators, their
plants discovered, and a "Demo fleet" of all of them visible through the API with the printed token."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from fleets.models import Fleet, Plant
from vendors.growatt.simulator import DEMO_ARGS
from vendors.simkit.launcher import start_simulator, stop_simulator


@pytest.mark.django_db(transaction=True)
def test_demo_ends_with_a_fleet_of_the_simulators_plants(huawei_sim, growatt_sim):
    out = io.StringIO()
    args = ["--huawei-url", huawei_sim.base_url, "--growatt-url", growatt_sim.base_url]
    call_command("vpp_demo", *args, "--sim-speed", str(huawei_sim.speed), stdout=out)
    text = out.getvalue()
    token = next(line.split()[-1] for line in text.splitlines() if line.startswith("API token:"))
    assert "Fleet:        Demo fleet" in text

    plants = Plant.objects.filter(organization__name="Demo Grid Operator")
    assert plants.filter(vendor_account__vendor="huawei").count() == 240
    assert plants.filter(vendor_account__vendor="growatt").exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    fleets = client.get("/api/v1/fleets").json()["results"]
    assert [(f["name"], f["plant_count"]) for f in fleets] == [("Demo fleet", plants.count())]

    # Running it again (the next `make run`) changes nothing.
    call_command("vpp_demo", *args, "--sim-speed", str(huawei_sim.speed), stdout=io.StringIO())
    assert Fleet.objects.count() == 1
    assert Plant.objects.count() == plants.count()


@pytest.mark.django_db(transaction=True)
def test_the_demo_fleet_mixes_growatt_device_families():
    """`make run` starts each simulator with its DEMO_ARGS (vpp/devserver.py): the demo fleet then holds
    SP storage machines and MIN, SPH and SPA hybrids, each discovered with its family and battery size."""
    args = ("--plants", "8", "--accounts", "1", "--unenrolled", "0", "--speed", "600", "--seed", "5")
    proc, base_url = start_simulator("vendors.growatt.simulator", *args, *DEMO_ARGS)
    try:
        out = io.StringIO()
        call_command("vpp_demo", "--growatt-url", base_url, "--sim-speed", "600", stdout=out)
    finally:
        stop_simulator(proc)
    assert "Device families: mix 2, spa 2, tlx 2" in out.getvalue()
    plants = Plant.objects.filter(organization__name="Demo Grid Operator")
    hybrids = plants.filter(devices__extra__family__in=["tlx", "mix", "spa"]).distinct()
    assert hybrids.count() == 6
    assert all(p.battery_usable_kwh and p.battery_usable_kwh > 3 for p in hybrids)
    fleet = Fleet.objects.get(name="Demo fleet")
    assert fleet.filter_enabled and plants.count() == 8
