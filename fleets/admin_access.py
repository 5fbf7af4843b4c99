"""Who sees what in the Django admin (README, "The admin").

- Platform staff (superusers: `vpp_create_operator --superuser`, the demo user) see and change every
  organisation's objects, and alone see organisations, memberships, users, tokens and heartbeats.
- An organisation's admins (role admin with `is_staff`: `vpp_create_operator --role admin --staff`) see and
  change only their organisation's objects: every changelist, change page, choice list, filter and action
  works on a queryset narrowed to it, and another organisation's object is "not found".
- Operators and viewers have no admin access: they use the API.

A ModelAdmin opts in with `OrganizationScopedAdmin` and says how its model reaches its organisation
(`organization_path`); inlines use `OrganizationScopedInline` (their rows hang off a parent already scoped).
Permissions come from the role, not from Django's per-model permissions, so nothing needs assigning.
"""

from __future__ import annotations

from django.contrib import admin

from fleets.models import Membership, Organization


def is_organization_admin(user) -> bool:
    """A staff user who is an admin of an organisation (and not platform staff)."""
    membership = getattr(user, "membership", None)
    return bool(
        user.is_active
        and user.is_staff
        and not user.is_superuser
        and membership is not None
        and membership.role == Membership.Role.ADMIN
    )


def admin_organization(user) -> Organization | None:
    """The organisation an admin-site user is limited to; None for platform staff (no limit)."""
    if user.is_superuser:
        return None
    return user.membership.organization


def _scoped(queryset, organization: Organization | None):
    """`queryset` narrowed to `organization` when its model's registered admin says how (else unchanged)."""
    if organization is None:
        return queryset
    model = queryset.model
    if model is Organization:
        return queryset.filter(pk=organization.pk)
    model_admin = admin.site.get_model_admin(model) if admin.site.is_registered(model) else None
    path = getattr(model_admin, "organization_path", None)
    if path is None:
        return queryset
    return queryset.filter(**{path: organization})


class OrganizationScopedAdmin:
    """Mixin for a ModelAdmin of organisation-owned rows (list it before admin.ModelAdmin)."""

    organization_path = "organization"
    platform_only_fields: tuple[str, ...] = ()  # shown to platform staff only

    def _org_admin_may(self, request, obj=None) -> bool:
        if not is_organization_admin(request.user):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_module_permission(self, request):
        return request.user.is_superuser or is_organization_admin(request.user)

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self._org_admin_may(request, obj)

    def has_add_permission(self, request, *args):
        if request.user.is_superuser:
            return super().has_add_permission(request, *args)
        return self._org_admin_may(request)

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self._org_admin_may(request, obj)

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self._org_admin_may(request, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.organization_path: admin_organization(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset") and not request.user.is_superuser:
            field.queryset = _scoped(field.queryset, admin_organization(request.user))
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset") and not request.user.is_superuser:
            field.queryset = _scoped(field.queryset, admin_organization(request.user))
        return field

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        # A filter by organisation would list every organisation's name.
        return [f for f in filters if not (isinstance(f, str) and "organization" in f)]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if request.user.is_superuser or not self.platform_only_fields:
            return fields
        return [f for f in fields if f not in self.platform_only_fields]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or not self.platform_only_fields:
            return fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in self.platform_only_fields]})
            for name, opts in fieldsets
        ]


class OrganizationScopedInline:
    """Mixin for an inline: its rows belong to the parent, which the parent's admin has already scoped."""

    def _may(self, request) -> bool:
        return is_organization_admin(request.user)

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self._may(request)

    def has_add_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_add_permission(request, obj)
        return self._may(request)

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self._may(request)

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self._may(request)
