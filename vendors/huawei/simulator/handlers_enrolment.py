"""Enrolment of not-yet-authorised plants by device SN or authorisation code (# NBI V7 9.6.1.1, 9.6.1.2).

A matching plant is authorised to the calling northbound account. Enrolling a plant the caller already
has succeeds again ("If different SNs of the same PV plant are registered, this message is also
returned"); a plant that another northbound account already holds fails for this caller.
"""

from __future__ import annotations

from typing import Any

from . import codes
from .protocol import ApiError, Body, code_list, interface, ok
from .state import HuaweiSim
from .world import Plant

MAX_ITEMS = 1000  # "A maximum of 1000 SNs / authorization codes can be registered at a time"
PREFIX = "/rest/openapi/pvms/v1/vpp/"


def _claim(sim: HuaweiSim, account: str, plant: Plant) -> str | None:
    """Authorise ``plant`` to ``account``; an error message if another account holds it."""
    if plant.account is None:
        sim.world.authorise(plant, account)
        return None
    if plant.account == account:
        return None
    return "The plant has been authorized to another northbound user."


def _result(plant: Plant | None, error: str | None) -> dict[str, Any]:
    if plant is None or error is not None:
        return {"success": False, "errorMsg": error, "plantCode": None, "plantName": None}
    return {"success": True, "errorMsg": "", "plantCode": plant.code, "plantName": plant.name}


@interface("sn_enrolment")
def sn_enrolment(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/snEnrolment {devices: [{sn, username?, email?, phone?}]}."""
    devices = body.get("devices")
    if not isinstance(devices, list) or not devices:
        raise ApiError(codes.DEVICE_PARAMS_EMPTY)  # GUESS: 9.6.1.1 lists no code for an empty list
    if len(devices) > MAX_ITEMS:
        raise ApiError(codes.VALUE_OUT_OF_RANGE, "A maximum of 1000 SNs can be registered at a time.")
    data, enrolled = [], []
    for entry in devices:
        entry = entry if isinstance(entry, dict) else {}
        sn = entry.get("sn")
        identities = {k: entry.get(k) for k in ("username", "email", "phone") if entry.get(k)}
        plant: Plant | None = None
        if not isinstance(sn, str) or not sn:
            error: str | None = "The device SN is empty."
        elif not identities:
            error = "At least one of username, email and phone must be set."
        else:
            plant = sim.world.plants.get(sim.world.sn_index.get(sn, ""))
            owner = plant.owner if plant else None
            if owner is None or not any(getattr(owner, k) == v for k, v in identities.items()):
                plant, error = None, "No SN/username, email, or phone number is found"
            else:
                error = _claim(sim, account, plant)
        data.append({"sn": sn, **_result(plant, error)})
        if plant is not None and error is None:
            enrolled.append(plant.code)
    if enrolled:
        sim.core.commands.append(
            account=account,
            endpoint=PREFIX + "snEnrolment",
            request_id=None,
            targets=enrolled,
            params={"sns": [e.get("sn") for e in devices if isinstance(e, dict)]},
        )
    return ok(data)


@interface("ac_enrolment")
def ac_enrolment(sim: HuaweiSim, account: str, body: Body) -> Body:
    """POST /rest/openapi/pvms/v1/vpp/acEnrolment {authorizationCodes: "AC1,AC2"}."""
    acs = code_list(
        body.get("authorizationCodes"),
        codes.AC_LIST_INVALID,
        max_items=MAX_ITEMS,
        too_many_code=codes.AC_LIST_INVALID,
    )
    data, enrolled = [], []
    for ac in acs:
        plant = sim.world.plants.get(sim.world.ac_index.get(ac, ""))
        error = "Not found authorization code" if plant is None else _claim(sim, account, plant)
        data.append({"authorizationCode": ac, **_result(plant, error)})
        if plant is not None and error is None:
            enrolled.append(plant.code)
    if enrolled:
        sim.core.commands.append(
            account=account,
            endpoint=PREFIX + "acEnrolment",
            request_id=None,
            targets=enrolled,
            params={"authorizationCodes": acs},
        )
    return ok(data)
