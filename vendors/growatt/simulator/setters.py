"""What storageSet and inverterSet share once a request is valid: the repeat rule, offline devices,
the command log and the device's (possible) refusal to act.

Order of checks after validation, and why:
1. Repeat rule: the same setting (device SN, type and values) accepted less than 5 simulated minutes
   ago is refused with error_code 10012 and counted as rate-limited. The brief this simulator was built
   to asks for it; the Growatt document itself does not state it, and in 4.3.12 10012 means "Energy
   storage machine does not exist": a client can tell the two apart only by ``error_msg`` (or by
   knowing it just sent the same thing). ``POST /_sim/rate-limits {"enabled": false}`` turns it off.
2. Offline (``/_sim/plants/offline``): 10005 "Collector dropped" (# Growatt 4.3.7, 4.3.12): the cloud
   cannot reach the datalogger, nothing is accepted or logged.
3. Accepted: logged in ``/_sim/commands`` ({targets: [SN], params: {type, values...}}); the effect is
   applied unless the plant is told to fail (``/_sim/plants/fail-tasks``): then the answer is still 0
   and only a read-back shows that nothing happened.
"""

from __future__ import annotations

from collections.abc import Callable

from . import field as fieldmod
from .context import Sim
from .protocol import GrowattError
from .world import Account, Unit

REPEAT_REFUSED = 10012
COLLECTOR_DROPPED = 10005
STORAGE_ON_OFF = "storage_cmd_on_off"
PV_ON_OFF = "pv_on_off"


def field_forms(sim: Sim, type_id: str, values: list[str], *, on_off: str) -> tuple[str, list[str]]:
    """The document's type and values for what the client sent, where sources disagree (FIELD_NOTES):
    the AC-charge switch's two spellings and the two on codes. A form the cloud is set not to know is
    refused as the document refuses an unknown type (10006) or value (10008)."""
    f = sim.field
    if type_id in (fieldmod.AC_CHARGE_DOCUMENT, fieldmod.AC_CHARGE_APP):
        if type_id not in f.ac_charge_types:
            raise GrowattError(10006, "The parameter setting type does not exist")
        type_id = fieldmod.AC_CHARGE_DOCUMENT
    if type_id == on_off and values and values[0] in (fieldmod.ON_DOCUMENT, fieldmod.ON_SHINEPHONE):
        if values[0] not in f.on_codes:
            raise GrowattError(10008, "The parameter value is out of range")
        values = [fieldmod.ON_DOCUMENT, *values[1:]]
    return type_id, values


def accept_setting(
    sim: Sim,
    account: Account,
    *,
    unit: Unit,
    endpoint: str,
    sn: str,
    type_key: str,
    type_id: str,
    values: list[str],
    apply: Callable[[], None],
) -> None:
    """Run checks 1-3 for a validated setting; raises GrowattError when refused."""
    limiter = sim.core.limiter
    key = ("growatt-repeat", sn, type_id, tuple(values))
    if limiter.enabled and limiter.retry_after(key, 1, sim.repeat_window_s) > 0:
        raise GrowattError(
            REPEAT_REFUSED,
            "error_frequently_access: the same setting was sent to this device less than 5 minutes ago",
            rate_limited=True,
        )
    if unit.offline_since is not None:
        raise GrowattError(COLLECTOR_DROPPED, "Collector dropped")
    limiter.check(key, 1, sim.repeat_window_s)
    params: dict[str, object] = {type_key: type_id}
    prefix = "command_" if type_key == "paramId" else "param"
    params.update({f"{prefix}{i}": v for i, v in enumerate(values, start=1)})
    sim.core.commands.append(
        account=account.name, endpoint=endpoint, request_id=None, targets=[sn], params=params
    )
    if not unit.fail_commands:
        apply()
