"""``HuaweiSimControl``: ``SimControl`` plus names for the Huawei-only control routes."""

from __future__ import annotations

from typing import Any

from vendors.simkit.control import SimControl


class HuaweiSimControl(SimControl):
    def expire_sessions(self) -> int:
        return int(self.post("/_sim/expire-sessions")["expired"])

    def plants_offline(self, plant_codes: list[str]) -> None:
        self.post("/_sim/plants/offline", {"plantCodes": plant_codes})

    def plants_online(self, plant_codes: list[str]) -> None:
        self.post("/_sim/plants/online", {"plantCodes": plant_codes})

    def fail_tasks(self, plant_codes: list[str]) -> None:
        self.post("/_sim/plants/fail-tasks", {"plantCodes": plant_codes})

    def no_battery(self, plant_codes: list[str]) -> None:
        self.post("/_sim/plants/no-battery", {"plantCodes": plant_codes})

    def under_deliver(self, plant_codes: list[str], share: float) -> None:
        self.post("/_sim/plants/under-deliver", {"plantCodes": plant_codes, "share": share})

    def restore(self, plant_codes: list[str]) -> None:
        self.post("/_sim/plants/restore", {"plantCodes": plant_codes})

    def plant(self, plant_code: str) -> dict[str, Any]:
        return self.get(f"/_sim/plants/{plant_code}")

    def accounts(self) -> list[tuple[str, str]]:
        return [(a["username"], a["password"]) for a in self.get("/_sim/accounts")["accounts"]]

    def field(self) -> dict[str, Any]:
        return self.get("/_sim/field")

    def set_field(self, **switches: Any) -> dict[str, Any]:
        """Change field-profile switches (``profile="document"`` starts from the document's answers)."""
        return self.post("/_sim/field", switches)

    def provoke(self, kind: str, paths: list[str] | None = None, count: int = 1) -> dict[str, Any]:
        """The next ``count`` calls whose path contains one of ``paths`` answer ``kind``."""
        return self.post("/_sim/field/provoke", {"kind": kind, "paths": paths or [], "count": count})
