"""Storage machine endpoints: storageSet, storage_last_data, storage_data (# Growatt 4.3.12-4.3.14).

storageSet answers at once; its effect is read back from storage_last_data (``status`` 1 charging,
2 discharging; ``capacity`` = SOC). The alarm endpoint (4.3.11) is left out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from multidict import MultiDict

from .context import Sim
from .effects import apply_storage_set
from .field import midnight_record
from .protocol import GrowattError, parse_date, text, timezone_of
from .readings import seen_at, storage_record
from .setters import STORAGE_ON_OFF, accept_setting, field_forms
from .validation import VALUE_EMPTY, validate_storage_set
from .world import Account, Unit

PARAM_NAMES = ("param1", "param2", "param3", "param4")
HISTORY_STEP_S = 300
HISTORY_MAX_DAYS = 7  # 4.3.14 "the start / end time can be up to 7 days apart"


def storage_set(sim: Sim, account: Account, params: MultiDict[str]) -> str:
    """# Growatt 4.3.12: 10004 SN empty, 10012 machine does not exist, 10006-10009 and 10013 from the
    parameter rules (``validation``), then the repeat rule, offline and fail-tasks (``setters``).

    All four ``paramN`` are required (unused ones as a blank string): a missing one is 10007.
    """
    sn = text(params, "storage_sn")
    if not sn:
        raise GrowattError(10004, "The energy storage machine serial number is empty")
    found = sim.world.storage_for(account, sn)
    if found is None:
        raise GrowattError(10012, "Energy storage machine does not exist")
    unit, _ = found
    type_id = text(params, "type")
    if any(name not in params for name in PARAM_NAMES):
        raise GrowattError(VALUE_EMPTY, "The parameter value is null: param1..param4 are all required")
    values = [text(params, name) for name in PARAM_NAMES]
    canonical_type, canonical_values = field_forms(sim, type_id, values, on_off=STORAGE_ON_OFF)
    parsed = validate_storage_set(canonical_type, canonical_values)
    type_id_sent = type_id
    type_id = canonical_type
    accept_setting(
        sim,
        account,
        unit=unit,
        endpoint="/v1/storageSet",
        sn=sn,
        type_key="type",
        type_id=type_id_sent,
        values=values,
        apply=lambda: apply_storage_set(unit, type_id, parsed, sim.now()),
    )
    return ""


def around_midnight(
    sim: Sim, unit: Unit, t: float, record: dict[str, Any], at: Callable[[float], dict[str, Any]]
) -> dict[str, Any]:
    """FIELD_NOTES row 24: the record as the field serves it in the minutes after the plant's midnight."""
    local = datetime.fromtimestamp(t, unit.zone)
    if not sim.field.around_midnight(local):
        return record
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    return midnight_record(record, at(midnight - 1.0))


def storage_last_data(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.3.13: 10003 device SN error (empty), 10002 machine does not exist."""
    sn = text(params, "storage_sn")
    if not sn:
        raise GrowattError(10003, "Device SN error")
    found = sim.world.storage_for(account, sn)
    if found is None:
        raise GrowattError(10002, "Energy storage machine does not exist")
    unit, _ = found
    t = seen_at(unit, sim.now())
    record = storage_record(unit, t, sim.world.seed)
    return around_midnight(sim, unit, t, record, lambda at: storage_record(unit, at, sim.world.seed))


def storage_data(sim: Sim, account: Account, params: MultiDict[str]) -> dict[str, Any]:
    """# Growatt 4.3.14: 5-minute records between two dates in ``timezone_id`` (default UTC), at most
    7 days apart, ``perpage`` default 20 and at most 1000. Paging: pass back the answer's
    ``next_page_start_id`` (null on the last page) as the request parameter of the same name; the
    document names the field but not how to send it."""
    sn = text(params, "storage_sn")
    if not sn:
        raise GrowattError(10002, "Device serial number is incorrect")
    found = sim.world.storage_for(account, sn)
    if found is None:
        raise GrowattError(10005, "Energy storage machine does not exist")
    unit, _ = found
    first, last = parse_date(text(params, "start_date")), parse_date(text(params, "end_date"))
    zone = timezone_of(text(params, "timezone_id"), "UTC")
    if first is None or last is None or last < first or zone is None:
        raise GrowattError(10003, "Date format is incorrect")
    if (last - first).days > HISTORY_MAX_DAYS:
        raise GrowattError(10004, "The date interval is more than 7 days")
    start = datetime(first.year, first.month, first.day, tzinfo=zone).timestamp()
    after = last + timedelta(days=1)
    day_end = datetime(after.year, after.month, after.day, tzinfo=zone).timestamp()  # exclusive
    seen = seen_at(unit, sim.now())
    if seen < day_end:  # up to now, inclusive
        total = int((seen - start) // HISTORY_STEP_S) + 1 if seen >= start else 0
    else:
        total = math.ceil((day_end - start) / HISTORY_STEP_S)
    perpage = min(_int(text(params, "perpage"), 20), 1000)
    offset = _int(text(params, "next_page_start_id"), 0, minimum=0)
    indices = range(offset, min(offset + perpage, total))
    records = [storage_record(unit, start + i * HISTORY_STEP_S, sim.world.seed, zone=zone) for i in indices]
    next_id = offset + perpage if offset + perpage < total else None
    return {
        "storage_sn": unit.storage_sn,
        "datalogger_sn": unit.datalogger_sn,
        "next_page_start_id": next_id,
        "count": total,
        "datas": records,
    }


def _int(value: str, default: int, *, minimum: int = 1) -> int:
    try:
        number = int(value)
    except ValueError:
        return default
    return number if number >= minimum else default
