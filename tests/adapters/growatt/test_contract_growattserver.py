"""Contract: growattServer's OpenApiV1 (PyPI, written by others against the live openapi.growatt.com) runs
against our simulator for the endpoints it shares with our adapter and gets the answers it expects.

It sends what the live cloud accepts, which our document does not show: a GET with a form body and empty
``page`` / ``perpage`` (plant_list), parameters in the query string elsewhere, the ``token`` header, and it
reads ``error_code`` / ``error_msg`` itself (GrowattV1ApiError). Our simulator under its field profile must
serve it as the cloud does, including the universal 10012 on a repeated call.
"""

from __future__ import annotations

from datetime import date

import pytest
from growattServer import OpenApiV1
from growattServer.exceptions import GrowattV1ApiError


@pytest.fixture
def library(growatt_sim):
    api = OpenApiV1(token=growatt_sim.tokens[0])
    api.api_url = f"{growatt_sim.base_url}/v1/"  # the library's own server_url + "v1/", pointed at ours
    yield api
    api.session.close()


def test_the_library_lists_plants_and_reads_their_details_overview_and_devices(library, growatt_sim):
    truth = [p for p in growatt_sim.control.plants(enrolled=True, limit=1000) if p["account"] == "account-1"]

    listed = library.plant_list()
    assert listed["count"] == len(truth)
    assert {p["plant_id"] for p in listed["plants"]} == {p["plant_id"] for p in truth}

    plant = truth[0]
    details = library.plant_details(plant["plant_id"])
    assert details["name"] == plant["name"] and details["timezone"].startswith("GMT")
    overview = library.plant_energy_overview(plant["plant_id"])
    assert float(overview["total_energy"]) >= float(overview["today_energy"]) >= 0
    power = library.plant_power_overview(plant["plant_id"], date.today())
    assert power["count"] == len(power["powers"])
    history = library.plant_energy_history(plant["plant_id"], start_date=date.today(), end_date=date.today())
    assert history["count"] == 1 and len(history["energys"]) == 1
    devices = library.device_list(plant["plant_id"])
    sns = {d["device_sn"] for d in devices["devices"]}
    assert {plant["inverter_sn"], plant["storage_sn"]} <= sns
    assert {d["type"] for d in devices["devices"]} == {1, 2}  # DeviceType.INVERTER, STORAGE


def test_the_library_gets_the_universal_repeat_refusal_as_its_error(library, growatt_sim):
    plant_id = growatt_sim.control.plants(enrolled=True, limit=1)[0]["plant_id"]
    growatt_sim.control.set_speed(0)  # no simulated time passes between the two calls
    library.plant_details(plant_id)

    with pytest.raises(GrowattV1ApiError) as refused:
        library.plant_details(plant_id)

    assert refused.value.error_code == 10012  # growattServer's RATE_LIMITED, "5 Minutes/Time (Universal)"


def test_a_wrong_token_is_the_librarys_no_privilege_error(growatt_sim):
    api = OpenApiV1(token="not-a-token")
    api.api_url = f"{growatt_sim.base_url}/v1/"
    with pytest.raises(GrowattV1ApiError) as refused:
        api.plant_list()
    assert refused.value.error_code == 10011
    api.session.close()
