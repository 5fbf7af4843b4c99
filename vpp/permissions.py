"""Who may do what in the API. Every call is authenticated and scoped to the caller's organisation
(DESIGN.md, Security); reads are for every member, writes by role (README "Roles"):

- viewers read;
- operators (and admins) also change plants, fleets, enrolments, dispatches and campaigns;
- only admins create, change or delete vendor accounts (they hold credentials).

Role checks on an existing object run as OBJECT permissions, after the organisation-scoped lookup: a
caller from another organisation gets 404 for it (the object does not exist for them), never a 403 that
would confirm it exists. Creating (no object yet) is checked at the view level. So a detail action that
writes must load its object with the view's get_object(), which runs these object checks.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission


def organization_of(user):
    """The caller's organisation, or None for a user who belongs to none (and so sees nothing)."""
    membership = getattr(user, "membership", None)
    return membership.organization if membership is not None else None


class IsOrganizationMember(BasePermission):
    message = "You must belong to an organization."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and organization_of(request.user))


class IsOrganizationAdmin(IsOrganizationMember):
    message = "Only organization admins may do this."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.membership.role == "admin"


class _RolePermission(IsOrganizationMember):
    """Every member reads (GET, HEAD, OPTIONS); only the listed roles write."""

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
    """Admins and operators change plants, fleets, enrolments, dispatches and campaigns; viewers read."""

    roles = frozenset({"admin", "operator"})
    message = "Viewers may not change anything."


class CanAdminister(_RolePermission):
    """Only organisation admins create, change or delete vendor accounts (they hold credentials)."""

    roles = frozenset({"admin"})
    message = "Only organization admins may change vendor accounts."
