"""How the live SmartPVMS answers, where it differs from the document (vendors/huawei/FIELD_NOTES.md).

``--profile field`` (the default) turns every recorded behaviour on; ``--profile document`` answers as the
NBI V7 document says. ``GET|POST /_sim/field`` reads or changes single switches at run time (reset goes
back to the start-up profile), and ``POST /_sim/field/provoke`` arms one-off answers (quota 403, HTML,
truncated JSON, wrong types, unknown codes, empty bodies) for the next N calls of some paths.

Only the protocol layer reads this (protocol.py, handlers_auth.py, handlers_kpi.py, handlers_config.py):
the world, the battery model and the tasks do not know about it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from . import codes

PROFILES = ("field", "document")
EXPIRY_FORMS = ("envelope", "relogin", "relogin306", "empty")
MISSING_FORMS = {"null": None, "N/A": "N/A", "empty": "", "object": {}}
PROVOKE_KINDS = (
    "quota403", "html", "truncated", "wrong_type", "unknown_code", "empty", "no_fail_code", "auth30029",
)  # fmt: skip
LOGIN_KINDS = ("auth30029",)  # provocations that only a login answers
AUTH_FAILED = 30029  # H16: pyhfs exception.py maps it to a login failure
AUTH_FAILED_MESSAGE = "Authentication failed."
# H20: V7 device type ids (NBI V7 10) -> the V6 ids the live getDevList reports (KornSW/ioBroker.fusionsolar).
V6_TYPE_IDS = {20822: 1, 20815: 39, 20821: 2, 20819: 62, 20816: 47}
V6_NULL_SN_TYPES = frozenset({62, 47})  # which rows the recording leaves without an SN: see FIELD_NOTES H20
UNKNOWN_CODE = 29999
QUOTA_BODY = {
    "errorCode": "49401021002",
    "exceptionInfo": (
        "Request is rejected by api quotaControl. api:ies_PVMSNbiService_openapi, key:{path}_POST"
    ),
}


@dataclass
class FieldSwitches:
    """One switch per recorded behaviour (H-numbers of FIELD_NOTES.md)."""

    login_refused_empty: bool = True  # H1: a refused login is HTTP 200 with an empty body
    expiry_form: str = "relogin"  # H2 / H3: 305 as {"failCode":305,"immediately":true,...}; or 306; ...
    kpi_empty_on_stale_token: bool = True  # H4: realtime KPIs answer a stale token with an empty body
    healthy_state: int = 3  # H5: a healthy plant reports healthState 3 (the table: 0)
    numbers_as_strings: bool = True  # H6: KPI values as numeric strings
    missing_value: str = "N/A"  # H6: what a value the cloud does not have looks like (null, N/A, "", {})
    integers_as_floats: bool = True  # H7: integers arrive as floats (512.0)
    reason_in_data_407: bool = True  # H8: a 407 says ACCESS_FREQUENCY_IS_TOO_HIGH in `data`
    params_echo: bool = True  # H12: every answer carries "params": {"currentTime", ...}
    blank_coordinates_every: int = 7  # H13: every Nth plant lists latitude / longitude "" (0: none)
    blank_coordinates_in_details: bool = False  # H13 in 9.3.1 too (provoked only)
    null_data_when_empty: bool = False  # H10: success with "data": null instead of [] (provoked only)
    quota_counts_refused: bool = True  # H18: a 407'd call counts toward the window like an accepted one
    v6_device_rows: bool = False  # H20 in 9.2.2 too (V6 ids, null SNs); /thirdData/getDevList always

    @classmethod
    def for_profile(cls, profile: str) -> FieldSwitches:
        if profile not in PROFILES:
            raise ValueError(f"--profile must be one of {PROFILES}")
        if profile == "field":
            return cls()
        return cls(
            login_refused_empty=False,
            expiry_form="envelope",
            kpi_empty_on_stale_token=False,
            healthy_state=0,
            numbers_as_strings=False,
            missing_value="null",
            integers_as_floats=False,
            reason_in_data_407=False,
            params_echo=False,
            blank_coordinates_every=0,
            quota_counts_refused=False,
        )

    def update(self, changes: dict[str, Any]) -> None:
        """Apply ``changes`` (validated first: nothing changes on a bad value)."""
        known = {f.name: f for f in fields(self)}
        checked = {}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown switch {name!r}")
            current = getattr(self, name)
            if isinstance(current, bool) and not isinstance(value, bool):
                raise ValueError(f"{name} must be true or false")
            if (
                isinstance(current, int)
                and not isinstance(current, bool)
                and (not isinstance(value, int) or isinstance(value, bool) or value < 0)
            ):
                raise ValueError(f"{name} must be an integer >= 0")
            if name == "expiry_form" and value not in EXPIRY_FORMS:
                raise ValueError(f"expiry_form must be one of {EXPIRY_FORMS}")
            if name == "missing_value" and value not in MISSING_FORMS:
                raise ValueError(f"missing_value must be one of {sorted(MISSING_FORMS)}")
            checked[name] = value
        for name, value in checked.items():
            setattr(self, name, value)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Provocation:
    kind: str
    paths: list[str]  # substrings of the request path; empty: every NBI path but login
    remaining: int


@dataclass
class FieldProfile:
    profile: str
    switches: FieldSwitches = field(init=False)
    provocations: list[Provocation] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.switches = FieldSwitches.for_profile(self.profile)

    def provoke(self, kind: str, paths: list[str], count: int) -> None:
        if kind not in PROVOKE_KINDS:
            raise ValueError(f"kind must be one of {PROVOKE_KINDS}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError("count must be an integer >= 1")
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise ValueError("paths must be a list of strings")
        self.provocations.append(Provocation(kind, paths, count))

    def take(self, path: str, kinds: tuple[str, ...]) -> str | None:
        """The provoked answer kind for this call (consuming one), if one of ``kinds`` is armed."""
        for provocation in self.provocations:
            if provocation.kind not in kinds or provocation.remaining <= 0:
                continue
            if provocation.paths and not any(p in path for p in provocation.paths):
                continue
            is_login = path.endswith("/login")
            if provocation.kind in LOGIN_KINDS and not is_login:
                continue
            if not provocation.paths and is_login and provocation.kind not in LOGIN_KINDS:
                continue
            provocation.remaining -= 1
            return provocation.kind
        return None

    # --- shaping answers ------------------------------------------------------------------------------

    def v6_device(self, row: dict[str, Any]) -> dict[str, Any]:
        """H20: a 9.2.2 row as the live V6 device list writes it: V6 type id, no SN on some rows."""
        type_id = V6_TYPE_IDS.get(row["deviceTypeId"], row["deviceTypeId"])
        sn = None if type_id in V6_NULL_SN_TYPES else row["sn"]
        return {**row, "deviceTypeId": type_id, "sn": sn}

    def missing(self) -> Any:
        return MISSING_FORMS[self.switches.missing_value]

    def number(self, value: Any) -> Any:
        """A KPI value as the cloud sends it: None -> the missing form; numbers as strings (H6)."""
        if value is None:
            return self.missing()
        if (
            self.switches.numbers_as_strings
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            return str(value)
        return value

    def integer(self, value: int | None) -> Any:
        if value is None:
            return self.missing()
        return float(value) if self.switches.integers_as_floats else value

    def envelope(self, body: dict[str, Any], request_body: dict[str, Any], now_ms: int) -> dict[str, Any]:
        """H12: the live cloud echoes the request's parameters and its time in ``params``."""
        if not self.switches.params_echo:
            return body
        params = {k: v for k, v in request_body.items() if isinstance(v, str | int | float)}
        return {**body, "params": {"currentTime": now_ms, **params}}

    def expired(self, *, had_token: bool, endpoint: str) -> tuple[int, str | None]:
        """(HTTP status, body text) for a call without a live token: the document's envelope or a field form.
        ``None`` text means an empty body."""
        form = self.switches.expiry_form
        if had_token and endpoint == "realtime_kpi" and self.switches.kpi_empty_on_stale_token:
            form = "empty"  # H4
        if form == "empty":
            return 200, None
        if form == "relogin":  # H2
            return 200, json.dumps({"failCode": 305, "immediately": True, "message": "USER_MUST_RELOGIN"})
        if form == "relogin306":  # H3
            return 200, json.dumps({"failCode": 306, "immediately": True, "message": "USER_MUST_RELOGIN"})
        message = codes.MESSAGES.get(codes.NOT_LOGGED_IN)
        return 200, json.dumps({"success": False, "failCode": 305, "message": message, "data": None})

    def garble(self, kind: str, text: str) -> tuple[int, str, str]:
        """(HTTP status, content type, body) of a provoked unreadable answer."""
        if kind == "html":  # H14: a gateway's HTML page instead of the envelope
            page = "<!DOCTYPE html><html><head><title>Error</title></head><body>System busy</body></html>"
            return 200, "text/html", page
        if kind == "truncated":  # H15: the connection cut mid-answer
            return 200, "application/json", text[: max(1, len(text) // 2)]
        if kind == "wrong_type":  # H11: data of another type than the interface's
            body = json.loads(text)
            body["data"] = "unexpected"
            return 200, "application/json", json.dumps(body)
        if kind == "no_fail_code":  # H11: a JSON object without a failCode
            return 200, "application/json", json.dumps({"success": True, "data": []})
        raise ValueError(kind)
