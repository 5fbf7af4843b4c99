"""`manage.py vpp_demo` (what `make run` calls): the demo organisation, its accounts on the simulators, their
plants discovered, and a "Demo fleet" of all of them visible through the API with the printed token."""

import io

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from fleets.models import Fleet, Plant


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
