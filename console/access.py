"""Who sees the console: the same users, organisations and roles as the API (fleets.models.Membership).

Every page needs a Django session login and a membership; everything shown is the member's organisation's
(another organisation's object is a 404, as in the API). Viewers see; admins and operators also get the
command forms and the cancel button (fleets.api.permissions.CanOperate's roles).

Times are shown in the viewer's time zone: the console's script stores the browser's zone in a cookie
(`vpp_tz`), which is activated here when it names a real IANA zone, else UTC.
"""

from __future__ import annotations

import functools
import zoneinfo
from urllib.parse import unquote

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from fleets.api.permissions import CanOperate
from vpp.permissions import organization_of

TZ_COOKIE = "vpp_tz"


def viewer_zone(request) -> zoneinfo.ZoneInfo:
    name = unquote(request.COOKIES.get(TZ_COOKIE, ""))  # the script URL-encodes it (Europe%2FBerlin)
    if name and len(name) <= 64:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return zoneinfo.ZoneInfo("UTC")


def member_required(view):
    """A console view: logged in, a member of an organisation; sets request.organization and can_operate."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        organization = organization_of(request.user)
        if organization is None:
            raise PermissionDenied("You do not belong to an organisation.")
        request.organization = organization
        request.role = request.user.membership.role
        request.can_operate = request.role in CanOperate.roles
        with timezone.override(viewer_zone(request)):
            return view(request, *args, **kwargs)

    return wrapper


def operator_required(view):
    """A console view that changes something: viewers get 403."""

    @member_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.can_operate:
            raise PermissionDenied("Viewers may not dispatch or cancel.")
        return view(request, *args, **kwargs)

    return wrapper
