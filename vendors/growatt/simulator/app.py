"""Wiring: the simkit core, the Growatt world, the vendor routes and the Growatt control routes.

Methods are the document's (GET or POST per endpoint); a GET may carry an urlencoded body.
Paths are the document's addresses under ``/v1/``; where the document shows a stray space
("v1/ device/inverter/last_new_data") the space is dropped.
"""

from __future__ import annotations

import argparse

from aiohttp import web

from vendors import simkit

from . import devices, hybrid, inverters, plants, storage
from .context import SIM_KEY, Sim, endpoint
from .control_routes import add_growatt_control_routes
from .field import REGIONS, Field
from .world import World

ROUTES = (
    ("GET", "/v1/plant/list", plants.plant_list),  # 4.2.1
    ("GET", "/v1/plant/details", plants.plant_details),  # 4.2.4
    ("GET", "/v1/plant/data", plants.plant_data),  # 4.2.5
    ("GET", "/v1/plant/energy", plants.plant_energy),  # 4.2.6
    ("GET", "/v1/plant/power", plants.plant_power),  # 4.2.7
    ("POST", "/v1/plant/add", plants.plant_add),  # 4.2.8
    ("POST", "/v1/plant/user_plant_list", plants.user_plant_list),  # 4.2.9
    ("GET", "/v1/device/datalogger/list", devices.datalogger_list),  # 4.3.1
    ("POST", "/v1/device/datalogger/add", devices.datalogger_add),  # 4.3.2
    ("POST", "/v1/device/datalogger/delete", devices.datalogger_delete),  # 4.3.3
    ("GET", "/v1/device/list", devices.device_list),  # 4.3.4
    ("POST", "/v1/inverterSet", inverters.inverter_set),  # 4.3.7
    ("GET", "/v1/device/inverter/last_new_data", inverters.last_new_data),  # 4.3.8
    ("POST", "/v1/device/inverter/invs_data", inverters.invs_data),  # 4.3.9
    ("POST", "/v1/device/datalogger/validate", devices.datalogger_validate),  # 4.3.10
    ("POST", "/v1/storageSet", storage.storage_set),  # 4.3.12
    ("POST", "/v1/device/storage/storage_last_data", storage.storage_last_data),  # 4.3.13
    ("POST", "/v1/device/storage/storage_data", storage.storage_data),  # 4.3.14
    ("GET", "/v1/device/inverter/inv_data_info", inverters.inv_data_info),  # 4.3.15
    # Hybrids and the VPP interface: not in our document (hybrid.py, FIELD_NOTES "Hybrid families").
    ("POST", "/v1/tlxSet", hybrid.family_set("tlx")),
    ("POST", "/v1/mixSet", hybrid.family_set("mix")),
    ("POST", "/v1/spaSet", hybrid.family_set("spa")),
    ("POST", "/v1/device/tlx/tlx_last_data", hybrid.last_data("tlx")),
    ("POST", "/v1/device/mix/mix_last_data", hybrid.last_data("mix")),
    ("POST", "/v1/device/spa/spa_last_data", hybrid.last_data("spa")),
    ("POST", "/v1/vppRemoteSetNew", hybrid.vpp_remote_set),
    ("POST", "/v1/vppSetNew", hybrid.vpp_set_periods),
    ("POST", "/v1/device/vpp/getSocData", hybrid.vpp_soc),
)


def build_app(args: argparse.Namespace) -> web.Application:
    """The simulator app for parsed command-line ``args`` (see ``__main__``)."""
    core = simkit.core_from_args(args)
    world = World(
        seed=args.seed,
        plants=args.plants,
        accounts=args.accounts,
        unenrolled=args.unenrolled,
        start_t=core.clock.now(),
        families=tuple(getattr(args, "families", None) or ("storage",)),
    )
    profile = getattr(args, "profile", "field")
    sim = Sim(core=core, world=world, field=Field.for_profile(profile))

    def rebuild() -> None:
        world.build(core.clock.now())
        sim.field = Field.for_profile(profile)  # /_sim/reset: back to the start-up profile

    app = simkit.make_app(core, on_reset=rebuild, account_of=sim.account_of)
    app[SIM_KEY] = sim
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, endpoint(handler))
        # FIELD_NOTES row 25: the regional servers, each under /region/<name> (field.REGIONS).
        app.router.add_route(method, "/region/{region:" + "|".join(REGIONS) + "}" + path, endpoint(handler))
    add_growatt_control_routes(app)
    return app
