"""Call shortcuts for the Huawei simulator's own tests (plain httpx over HTTP, nothing mocked)."""

from __future__ import annotations

from typing import Any

import httpx

HOUR = 3600.0


class Nbi:
    """A logged-in northbound caller: ``nbi("/vpp/dod", {...})`` returns the JSON envelope."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def __call__(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.post(path, json=body or {})
        assert response.status_code == 200, response.text
        envelope = response.json()
        assert set(envelope) >= {"success", "failCode", "message", "data"}, envelope
        return envelope


def ok(envelope: dict[str, Any]) -> Any:
    """The ``data`` of a successful answer; fails the test with the envelope otherwise."""
    assert envelope["success"] is True and envelope["failCode"] == 0, envelope
    return envelope["data"]


def fail_code(envelope: dict[str, Any]) -> int:
    if envelope["failCode"] != 0:
        assert envelope["success"] is False, envelope
    return envelope["failCode"]


def codes_csv(plants: list[dict[str, Any]]) -> str:
    return ",".join(p["plantCode"] for p in plants)


def dispatch(nbi: Nbi, plant_codes: list[str] | str, request_id: int, **params: Any) -> dict[str, Any]:
    """POST vpp/chargeAndDischarge for the plants with ``params`` (dispatchSwitch, controlType ...)."""
    codes = plant_codes if isinstance(plant_codes, str) else ",".join(plant_codes)
    return nbi("/vpp/chargeAndDischarge", {"plantCodes": codes, "requestID": request_id, **params})
