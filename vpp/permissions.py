"""Every API call is authenticated and scoped to the caller's organisation (DESIGN.md, Security)."""

from rest_framework.permissions import BasePermission


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
