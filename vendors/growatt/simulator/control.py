"""``GrowattSimControl``: simkit's control client plus names for the Growatt ``/_sim/`` routes.

Method names match ``HuaweiSimControl`` so fleet-level tests can drive either simulator the same way.
Kept out of the package ``__init__`` so the server process never imports httpx.
"""

from __future__ import annotations

from typing import Any

from vendors.simkit.control import SimControl


class GrowattSimControl(SimControl):
    def plant(self, plant_id: int) -> dict[str, Any]:
        return self.get(f"/_sim/plants/{plant_id}")

    def accounts(self) -> list[dict[str, Any]]:
        """``[{name, token, user_id, user_name, plants}]`` in account order."""
        return self.get("/_sim/accounts")["accounts"]

    def tokens(self) -> dict[str, str]:
        """``{account name: current token}``."""
        return self.get("/_sim/tokens")["tokens"]

    def expire_sessions(self, accounts: list[str] | None = None) -> dict[str, str]:
        """Rotate tokens (all accounts by default); returns the new ``{account: token}``."""
        return self.post("/_sim/expire-sessions", {"accounts": accounts} if accounts else {})["tokens"]

    def plants_offline(self, plant_ids: list[int]) -> None:
        self.post("/_sim/plants/offline", {"plantIds": plant_ids})

    def plants_online(self, plant_ids: list[int]) -> None:
        self.post("/_sim/plants/online", {"plantIds": plant_ids})

    def fail_tasks(self, plant_ids: list[int]) -> None:
        self.post("/_sim/plants/fail-tasks", {"plantIds": plant_ids})

    def no_battery(self, plant_ids: list[int]) -> None:
        self.post("/_sim/plants/no-battery", {"plantIds": plant_ids})

    def under_deliver(self, plant_ids: list[int], share: float) -> None:
        self.post("/_sim/plants/under-deliver", {"plantIds": plant_ids, "share": share})

    def set_family(self, plant_ids: list[int], family: str) -> None:
        """The plants become hybrids of ``family`` ("tlx", "mix", "spa") or SP machines ("storage")."""
        self.post("/_sim/plants/family", {"plantIds": plant_ids, "family": family})

    def restore(self, plant_ids: list[int]) -> None:
        self.post("/_sim/plants/restore", {"plantIds": plant_ids})

    # --- the field profile (field.py, FIELD_NOTES.md) -------------------------------------------------

    def field(self, **switches: Any) -> dict[str, Any]:
        """``POST /_sim/field``: e.g. ``field(profile="document")`` or ``field(ac_charge_types=[...])``."""
        return self.post("/_sim/field", switches)

    def plants_timezone(self, plant_ids: list[int], timezone: Any) -> None:
        self.post("/_sim/plants/timezone", {"plantIds": plant_ids, "timezone": timezone})

    def plants_clock(self, plant_ids: list[int], timezone: str) -> None:
        """The zone the plants' devices keep: IANA or a fixed "UTC-03:30" (FIELD_NOTES rows 1-2)."""
        self.post("/_sim/plants/clock", {"plantIds": plant_ids, "timezone": timezone})

    def plants_coordinates(self, plant_ids: list[int], latitude: Any, longitude: Any) -> None:
        self.post(
            "/_sim/plants/coordinates", {"plantIds": plant_ids, "latitude": latitude, "longitude": longitude}
        )

    def block(self, accounts: list[str], hours: float = 24.0) -> dict[str, float]:
        return self.post("/_sim/accounts/block", {"accounts": accounts, "hours": hours})["blocked_until"]

    def set_region(self, accounts: list[str], region: str) -> dict[str, str]:
        """FIELD_NOTES row 25: the accounts' tokens belong to ``region``'s server (``/region/<r>/v1``)."""
        return self.post("/_sim/accounts/region", {"accounts": accounts, "region": region})["regions"]

    def unblock(self, accounts: list[str]) -> None:
        self.post("/_sim/accounts/unblock", {"accounts": accounts})

    def bad_answer(
        self, kind: str, path: str = "", *, times: int = 1, code: int = 10099, message: str = "x"
    ) -> None:
        body = {"kind": kind, "path": path, "times": times, "code": code, "message": message}
        self.post("/_sim/answers", body)
