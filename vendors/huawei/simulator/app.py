"""Assemble the simulator: simkit core and control plane, the world, and the NBI V7 routes."""

from __future__ import annotations

import argparse

from aiohttp import web

from vendors import simkit

from . import (
    handlers_auth,
    handlers_config,
    handlers_devices,
    handlers_dispatch,
    handlers_enrolment,
    handlers_grid,
    handlers_kpi,
)
from .handlers_sim import add_huawei_control_routes
from .handlers_thirddata import add_thirddata_routes
from .state import SIM_KEY, HuaweiSim, WorldArgs

BASE = "/rest/openapi/pvms/v1"

ROUTES = {
    "/login": handlers_auth.login,  # 9.1.1
    "/logout": handlers_auth.logout,  # 9.1.2
    "/plants": handlers_config.plant_list,  # 9.2.1
    "/devices": handlers_config.device_list,  # 9.2.2
    "/vpp/plants": handlers_kpi.basic_info,  # 9.3.1
    "/vpp/plantRealtimeKpi": handlers_kpi.realtime_kpi,  # 9.3.2
    "/vpp/plantHistoryKpi": handlers_kpi.history_kpi,  # 9.3.3
    "/vpp/chargeAndDischarge": handlers_dispatch.charge_and_discharge,  # 9.3.4
    "/vpp/chargeAndDischargeStatus": handlers_dispatch.charge_and_discharge_status,  # 9.3.5
    "/vpp/dod": handlers_devices.set_dod,  # 9.3.6
    "/vpp/devOnOff": handlers_devices.dev_on_off,  # 9.3.7
    "/vpp/ems": handlers_devices.ems,  # 9.3.8
    "/vpp/snEnrolment": handlers_enrolment.sn_enrolment,  # 9.6.1.1
    "/vpp/acEnrolment": handlers_enrolment.ac_enrolment,  # 9.6.1.2
    "/vpp/plantDefaultSetting": handlers_grid.plant_default_setting,  # 9.6.1.3
    "/vpp/plantDefaultSettingStatus": handlers_grid.plant_default_setting_status,  # 9.6.1.4
    "/vpp/plantRatedData": handlers_grid.plant_rated_data,  # 9.6.1.5
    "/vpp/drm": handlers_grid.drm,  # 9.6.1.6
    "/vpp/drmStatus": handlers_grid.drm_status,  # 9.6.1.7
}


def create_app(core: simkit.SimCore, world_args: WorldArgs) -> web.Application:
    """The aiohttp application for one simulated SmartPVMS; every NBI route is POST (# NBI V7 9)."""
    sim = HuaweiSim(core, world_args)
    app = simkit.make_app(core, on_reset=sim.rebuild, account_of=sim.account_of)
    app[SIM_KEY] = sim
    for path, handler in ROUTES.items():
        app.router.add_post(BASE + path, handler)
    add_thirddata_routes(app)  # the V6 flavour public clients speak (handlers_thirddata.py)
    add_huawei_control_routes(app)
    return app


def parser() -> argparse.ArgumentParser:
    p = simkit.common_parser("python -m vendors.huawei.simulator", "Huawei SmartPVMS Northbound V7 simulator")
    p.add_argument(
        "--accounts", type=int, default=2, help="northbound accounts nbi_user_1..K (max 5 per company)"
    )
    p.add_argument(
        "--profile",
        choices=("field", "document"),
        default="field",
        help="answer like the live cloud (FIELD_NOTES.md, default) or as the NBI V7 document says",
    )
    p.add_argument(
        "--unenrolled", type=int, default=None, help="plants awaiting enrolment (default max(10, N//10))"
    )
    return p


def build_from_args(args: argparse.Namespace) -> web.Application:
    unenrolled = args.unenrolled if args.unenrolled is not None else max(10, args.plants // 10)
    if not args.accounts >= 1:
        raise ValueError("--accounts must be >= 1")
    return create_app(
        simkit.core_from_args(args), WorldArgs(args.plants, args.accounts, unenrolled, args.profile)
    )
