"""A few interfaces of the older northbound flavour, ``/thirdData/`` (NBI V6), which public clients of the
live cloud speak (FIELD_NOTES sources: pyhfs, the Home Assistant integrations, ioBroker). It shares login,
sessions, limits and the field profile with the V7 interfaces, so such a client can run against this
simulator and show that our field behaviours are the ones it was written for.

- ``POST /thirdData/login`` {userName, systemCode}: as 9.1.1 (token in the XSRF-TOKEN cookie and header)
- ``POST /thirdData/stations`` {pageNo, pageSize}: the plant list, as 9.2.1
- ``POST /thirdData/getDevList`` {stationCodes}: V6 device rows (``devTypeId`` 1 inverter, 39 battery, 2
  SmartLogger, 62 dongle, 47 meter; ``esnCode`` null on some rows: FIELD_NOTES H20)
- ``POST /thirdData/getStationRealKpi`` {stationCodes}: V6 plant KPIs (``real_health_state`` 1
  disconnected, 2 faulty, 3 healthy; ``day_power``, ``month_power``, ``total_power`` in kWh; incomes)
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import codes
from .handlers_auth import login_answer
from .handlers_config import device_entry, plant_list
from .handlers_kpi import realtime_item
from .lookup import authorised_plants
from .protocol import Body, code_list, interface, ok, read_body
from .state import HuaweiSim

MAX_PLANTS = 100
V6_HEALTH = {0: 3, 1: 1, 2: 2}  # V7 healthState (the document's 0 healthy) -> V6 real_health_state


async def login(request: web.Request) -> web.Response:
    body = await read_body(request)
    return login_answer(request, body.get("userName"), body.get("systemCode"))


@interface("realtime_kpi")
def station_real_kpi(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /thirdData/getStationRealKpi {stationCodes}."""
    plant_codes = code_list(
        body.get("stationCodes"),
        codes.PLANT_LIST_EMPTY,
        max_items=MAX_PLANTS,
        too_many_code=codes.TOO_MANY_PLANTS,
    )
    now = sim.now()
    rows: list[dict[str, Any]] = []
    for plant in authorised_plants(sim, account, plant_codes, codes.NO_PLANT_RESOURCES):
        item = realtime_item(plant, now)
        health = V6_HEALTH.get(item["healthState"], item["healthState"])
        values = {
            "real_health_state": health,
            "day_power": item["dayEnergy"],
            "month_power": item["monthEnergy"],
            "total_power": item["totalEnergy"],
            "day_income": None,  # no tariff in the simulated world: the missing form
            "total_income": None,
        }
        rows.append(
            {"stationCode": plant.code, "dataItemMap": {k: sim.field.number(v) for k, v in values.items()}}
        )
    return ok(rows)


@interface("devices")
def dev_list(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /thirdData/getDevList {stationCodes}: every device of the plants, as the live V6 list (H20)."""
    plant_codes = code_list(
        body.get("stationCodes"),
        codes.PLANT_LIST_EMPTY,
        max_items=MAX_PLANTS,
        too_many_code=codes.TOO_MANY_PLANTS,
    )
    now = sim.now()
    rows: list[dict[str, Any]] = []
    for plant in authorised_plants(sim, account, plant_codes, codes.NO_PLANT_RESOURCES):
        for device in plant.devices:
            v6 = sim.field.v6_device(device_entry(plant, device, now))
            rows.append(
                {
                    "devDn": v6["dn"],
                    "devName": v6["deviceName"],
                    "stationCode": plant.code,
                    "esnCode": v6["sn"],
                    "devTypeId": v6["deviceTypeId"],
                    "softwareVersion": device.software_version,
                    "invType": device.model or None,
                    "longitude": None,
                    "latitude": None,
                }
            )
    return ok(rows)


def add_thirddata_routes(app: web.Application) -> None:
    app.router.add_post("/thirdData/login", login)
    app.router.add_post("/thirdData/stations", plant_list)
    app.router.add_post("/thirdData/getStationRealKpi", station_real_kpi)
    app.router.add_post("/thirdData/getDevList", dev_list)
