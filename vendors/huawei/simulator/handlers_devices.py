"""Battery DoD, inverter on/off and plant EMS mode (# NBI V7 9.3.6, 9.3.7, 9.3.8).

These answer per device at once (result 0 succeeded / 1 failed); there is no task to poll. A device in
an offline plant fails; when every device fails the whole call fails with the interface's own code.
"""

from __future__ import annotations

from typing import Any

from . import codes
from .lookup import authorised_devices, authorised_plants
from .protocol import ApiError, Body, as_int, code_list, interface, ok
from .state import HuaweiSim
from .world import INVERTER

MAX_DEVICES = 100
PREFIX = "/rest/openapi/pvms/v1/vpp/"
# NBI V7 9.3.6 setDOD: end-of-discharge SOC range for Huawei batteries is [0,20], so DoD is [80,100];
# "If the DoD value is out of range, the closest allowed DoD value will be used."
HUAWEI_DOD_RANGE = (80, 100)
EMS_SCHEDULED = 6  # NBI V7 9.3.8: only 6 (scheduled charge/discharge) is supported


def _dns(body: Body) -> list[str]:
    return code_list(
        body.get("dns"), codes.DEVICE_LIST_EMPTY, max_items=MAX_DEVICES, too_many_code=codes.TOO_MANY_DEVICES
    )


@interface("dod")
def set_dod(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/dod {dns, dod}."""
    dns = _dns(body)
    dod = as_int(body.get("dod"))
    if dod is None or not 0 <= dod <= 100:
        raise ApiError(codes.DOD_INVALID)
    devices = authorised_devices(sim, account, dns)
    if any(sim.world.device_index[dn][1] != "battery" for dn, _ in devices):
        raise ApiError(codes.DEVICE_TYPE_MISMATCH, "Some devices are not batteries (deviceTypeId 20815).")
    applied = min(max(dod, HUAWEI_DOD_RANGE[0]), HUAWEI_DOD_RANGE[1])
    data: list[dict[str, Any]] = []
    done = []
    for dn, plant in devices:
        if not plant.online or plant.battery is None or not plant.battery_operable:
            data.append({"dn": dn, "result": 1, "setDOD": None})
            continue
        # Applies to discharges started from now on; a running discharge keeps its floor.
        plant.battery.dod = applied
        data.append({"dn": dn, "result": 0, "setDOD": applied})
        done.append(dn)
    if not done:
        raise ApiError(codes.DOD_FAILED)
    sim.core.commands.append(
        account=account,
        endpoint=PREFIX + "dod",
        request_id=None,
        targets=done,
        params={"dod": dod, "setDOD": applied},
    )
    return ok(data)


@interface("dev_on_off")
def dev_on_off(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/devOnOff {dns, controlType 1 on / 2 off}."""
    dns = _dns(body)
    control_type = as_int(body.get("controlType"))
    if control_type not in (1, 2):
        raise ApiError(codes.SWITCH_TYPE_INVALID)
    devices = authorised_devices(sim, account, dns)
    inverters = {}
    for dn, plant in devices:
        inverter = next((inv for inv in plant.inverters if inv.dn == dn), None)
        if inverter is None or inverter.type_id != INVERTER:
            raise ApiError(codes.DEVICE_TYPE_MISMATCH, "Some devices are not inverters (deviceTypeId 20822).")
        inverters[dn] = (inverter, plant)
    data = []
    done = []
    for dn, (inverter, plant) in inverters.items():
        if not plant.online:
            data.append({"dn": dn, "result": 1})
            continue
        inverter.on = control_type == 1
        data.append({"dn": dn, "result": 0})
        done.append(dn)
    if not done:
        raise ApiError(codes.ON_OFF_FAILED)
    sim.core.commands.append(
        account=account,
        endpoint=PREFIX + "devOnOff",
        request_id=None,
        targets=done,
        params={"controlType": control_type},
    )
    return ok(data)


@interface("ems")
def ems(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/ems {dn: one plant DN, controlType: 6}."""
    raw_dn = body.get("dn")
    if not isinstance(raw_dn, str) or not raw_dn.strip():
        raise ApiError(codes.PLANT_LIST_EMPTY)
    if "," in raw_dn:
        # GUESS: "Enter one plant DN for each request" names no code.
        raise ApiError(codes.TOO_MANY_PLANTS, "Enter one plant DN for each request.")
    control_type = as_int(body.get("controlType"))
    if control_type != EMS_SCHEDULED:
        # NBI V7 9.3.8 example 1: unsupported types answer 20117 "controlType error".
        raise ApiError(codes.EMS_CONTROL_TYPE)
    (plant,) = authorised_plants(sim, account, [raw_dn.strip()], codes.UNAUTHORIZED_PLANTS)
    if not plant.has_smartlogger:
        # GUESS: the request goes "to the SmartLoggers in the plant"; a dongle-only plant has none.
        raise ApiError(codes.UNSUPPORTED_DEVICE_TYPE, "The plant has no SmartLogger.")
    if not plant.online:
        return ok(
            [{"name": plant.logger.name, "success": False, "message": "The SmartLogger is disconnected."}],
            "success to call emsControl api",
        )
    plant.ems_control_type = control_type
    sim.core.commands.append(
        account=account,
        endpoint=PREFIX + "ems",
        request_id=None,
        targets=[plant.code],
        params={"controlType": control_type},
    )
    return ok(
        [{"name": plant.logger.name, "success": True, "message": "Operation complete."}],
        "success to call emsControl api",
    )
