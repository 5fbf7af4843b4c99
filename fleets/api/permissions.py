"""The role permissions live in vpp/permissions.py (shared by fleets and dispatch); kept importable here."""

from vpp.permissions import CanAdminister, CanOperate

__all__ = ["CanAdminister", "CanOperate"]
