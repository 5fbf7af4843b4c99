"""The command a job stores: the `vendors.base` dataclass as plain JSON, and back.

The API validates `params` and builds the command (dispatch.kinds.validate_command); the engine re-builds
the very same command from this JSON in the worker, so what is sent never depends on re-validating params.
The classes it rebuilds are those the kinds declare (dispatch.kinds).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from dispatch.kinds import KINDS
from vendors import base

# Each kind's dataclass (its declaration, dispatch.kinds), by the name the JSON stores.
_CLASSES: dict[str, type] = {spec.command.__name__: spec.command for spec in KINDS.values()}

STOP = base.ChargeDischarge(action="stop")


_DATETIME_FIELDS = {"window_start"}  # ISO 8601 in the JSON


def command_to_json(command: base.Command) -> dict:
    fields = {f.name: getattr(command, f.name) for f in dataclasses.fields(command) if f.init}
    for name, value in list(fields.items()):
        if isinstance(value, tuple):
            fields[name] = list(value)
        elif isinstance(value, datetime):
            fields[name] = value.isoformat()
        elif value is None and name in _DATETIME_FIELDS:
            del fields[name]  # absent, as before the field existed: stored commands stay comparable
    return {"type": type(command).__name__, "fields": fields}


def command_from_json(data: dict) -> base.Command:
    cls = _CLASSES[data["type"]]
    kwargs = dict(data.get("fields") or {})
    for f in dataclasses.fields(cls):
        if f.name in kwargs and isinstance(kwargs[f.name], list):
            kwargs[f.name] = tuple(kwargs[f.name])
        if f.name in _DATETIME_FIELDS and isinstance(kwargs.get(f.name), str):
            kwargs[f.name] = datetime.fromisoformat(kwargs[f.name])
    return cls(**kwargs)


def is_stop(command: base.Command) -> bool:
    return isinstance(command, base.ChargeDischarge) and command.action == "stop"
