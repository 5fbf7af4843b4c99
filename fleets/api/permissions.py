"""Who may change what. Reads: every member of the organisation. Writes: by role.

Role checks on an existing object run as OBJECT permissions, after the organisation-scoped lookup: a
caller from another organisation gets 404 for it (the object does not exist for them), never a 403 that
would confirm it exists. Creating (no object yet) is checked at the view level.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS

from fleets.models import Membership
from vpp.permissions import IsOrganizationMember


class _RolePermission(IsOrganizationMember):
    roles: frozenset[str] = frozenset()
    message = "Your role does not allow this."

    def _allowed(self, request) -> bool:
        return request.method in SAFE_METHODS or request.user.membership.role in self.roles

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if getattr(view, "detail", False):
            return True  # decided in has_object_permission, once the object is known to be the caller's
        return self._allowed(request)

    def has_object_permission(self, request, view, obj) -> bool:
        return self._allowed(request)


class CanOperate(_RolePermission):
    """Admins and operators change plants, fleets and enrolments; viewers only read."""

    roles = frozenset({Membership.Role.ADMIN, Membership.Role.OPERATOR})
    message = "Viewers may not change anything."


class CanAdminister(_RolePermission):
    """Only organisation admins create, change or delete vendor accounts (they hold credentials)."""

    roles = frozenset({Membership.Role.ADMIN})
    message = "Only organization admins may change vendor accounts."
