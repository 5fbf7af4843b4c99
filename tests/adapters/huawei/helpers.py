"""Small readers of the simulator's truth (``/_sim/...``) shared by the Huawei adapter tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from vendors.base import PlantTarget, SendResult, SentTask

LOGIN_PATH = "/rest/openapi/pvms/v1/login"
BATTERY, INVERTER = 20815, 20822


def plant_states(sim, account: str = "nbi_user_1") -> list[dict[str, Any]]:
    return sim.plants(account=account, limit=1000)


def target(state: dict[str, Any]) -> PlantTarget:
    """A PlantTarget as discovery would build it, from the simulator's true plant state."""
    devices = state["devices"]
    return PlantTarget(
        plant_code=state["plantCode"],
        timezone=state["timezone"],
        battery_dns=tuple(d["dn"] for d in devices if d["deviceTypeId"] == BATTERY),
        inverter_dns=tuple(d["dn"] for d in devices if d["deviceTypeId"] == INVERTER),
        battery_rated_kwh=(state["battery"] or {}).get("ratedKwh"),
    )


def targets(
    sim, n: int, *, account: str = "nbi_user_1", where: Callable[[dict[str, Any]], bool] = lambda s: True
) -> list[PlantTarget]:
    chosen = [target(s) for s in plant_states(sim, account) if where(s)][:n]
    assert len(chosen) == n, f"the simulator world has fewer than {n} such plants"
    return chosen


def sent(targets_: list[PlantTarget], result: SendResult) -> list[SentTask]:
    by_code = {r.plant_code: r for r in result.results}
    now = datetime.now(UTC)
    return [SentTask(t, by_code[t.plant_code].remote_id, now) for t in targets_]


def logins(sim, account: str = "nbi_user_1") -> int:
    return sim.stats()["accounts"].get(account, {}).get(LOGIN_PATH, {}).get("requests", 0)


def rate_limited(sim) -> int:
    return sim.stats()["totals"]["rate_limited"]


def commands_per_request(sim, endpoint_suffix: str = "chargeAndDischarge") -> Counter:
    return Counter(c["request_id"] for c in sim.commands() if c["endpoint"].endswith("/" + endpoint_suffix))
