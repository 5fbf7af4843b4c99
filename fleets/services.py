"""Functions that change organisations, users, vendor accounts, plants, fleets and enrolments
(Django-Styleguide services: keyword-only, typed, named <entity>_<action>).

Callers validate input shape first (API serializers, admin forms); these functions check what only the
database knows (that referenced objects belong to the organisation) and write in one transaction, so a
refused request writes nothing. Celery work is enqueued on commit, carrying primary keys only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from rest_framework.authtoken.models import Token

from fleets.models import (
    Enrolment,
    EnrolmentItem,
    Fleet,
    Membership,
    Organization,
    Plant,
    VendorAccount,
)
from vpp.errors import DomainError

FLEET_FILTER_FIELDS = (
    "vendor",
    "vendor_account",
    "region",
    "timezone",
    "battery_usable_kwh_min",
    "battery_usable_kwh_max",
)


@transaction.atomic
def operator_create(
    *,
    organization_name: str,
    username: str,
    role: str = Membership.Role.OPERATOR,
    email: str = "",
    password: str | None = None,
) -> tuple[Membership, str]:
    """Create (or find) the organisation and user, make the user a member, and return its API token.

    Running it again for the same user is harmless: it returns the same token.
    """
    organization, _ = Organization.objects.get_or_create(name=organization_name)
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults={"email": email})
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    membership, _ = Membership.objects.update_or_create(
        user=user, defaults={"organization": organization, "role": role}
    )
    token, _ = Token.objects.get_or_create(user=user)
    return membership, token.key


# --- vendor accounts ---------------------------------------------------------------------------------------


def _unique_name_error(kind: str) -> DomainError:
    return DomainError(
        "unique", f"A {kind} with this name already exists in your organization.", field="name"
    )


@transaction.atomic
def vendor_account_create(*, organization: Organization, **fields: Any) -> VendorAccount:
    if VendorAccount.objects.filter(organization=organization, name=fields.get("name")).exists():
        raise _unique_name_error("vendor account")
    return VendorAccount.objects.create(organization=organization, **fields)


@transaction.atomic
def vendor_account_update(*, account: VendorAccount, **fields: Any) -> VendorAccount:
    """Change an account; a missing or empty secret keeps the stored one (the secret is write-only)."""
    if not fields.get("secret"):
        fields.pop("secret", None)
    name = fields.get("name")
    if (
        name
        and VendorAccount.objects.filter(organization_id=account.organization_id, name=name)
        .exclude(pk=account.pk)
        .exists()
    ):
        raise _unique_name_error("vendor account")
    credentials_changed = any(
        key in fields and fields[key] != getattr(account, key) for key in ("secret", "username", "base_url")
    )
    for key, value in fields.items():
        setattr(account, key, value)
    account.save(update_fields=list(fields))
    if credentials_changed:  # new credentials deserve a login: a refusal of the old ones is over
        transaction.on_commit(lambda: vendor_account_health_reset(account=account))
    return account


def vendor_account_health_reset(*, account: VendorAccount) -> None:
    """An operator's reset of the account's health: refusals, locks and errors forgotten, so the next call
    logs in again (once: a new refusal stops every worker again, vendors.health)."""
    from fleets.adapters import account_key, shared_state_store
    from vendors.health import health_reset

    health_reset(shared_state_store(), account_key(account))


@transaction.atomic
def vendor_account_delete(*, account: VendorAccount) -> None:
    """Only an account nothing depends on: its plants (and their history) would otherwise be orphaned."""
    try:
        account.delete()
    except ProtectedError:
        raise DomainError(
            "in_use",
            "This vendor account still has plants, enrolments or fleet filters; disable it instead.",
            http_status=409,
        ) from None


def vendor_account_sync_request(*, account: VendorAccount, requested_by: int | None = None) -> None:
    """Ask a worker to discover the account's plants and devices now (fleets.tasks.vendor_account_sync)."""
    from fleets import tasks

    transaction.on_commit(lambda: tasks.vendor_account_sync.delay(account.pk, requested_by))


# --- plants ----------------------------------------------------------------------------------------------


@transaction.atomic
def plant_update(*, plant: Plant, **fields: Any) -> Plant:
    """What an operator may change: the region and whether the plant is taken out of service (disabled).
    A plant the vendor removed stays removed until the vendor lists it again."""
    if "state" in fields and plant.state == Plant.State.REMOVED:
        raise DomainError(
            "removed", "The vendor no longer lists this plant; its state cannot be changed.", field="state"
        )
    for key, value in fields.items():
        setattr(plant, key, value)
    if fields:
        plant.save(update_fields=[*fields, "updated_at"])
    return plant


# --- fleets --------------------------------------------------------------------------------------------


def _organization_plant_ids(organization: Organization, plant_ids: Iterable[int]) -> list[int]:
    """The ids, all of them the organisation's plants; otherwise the request is refused, naming them.

    Another organisation's plant is reported exactly like one that does not exist."""
    wanted = list(dict.fromkeys(plant_ids))
    found = set(Plant.objects.filter(organization=organization, pk__in=wanted).values_list("pk", flat=True))
    unknown = [pk for pk in wanted if pk not in found]
    if unknown:
        shown = ", ".join(str(pk) for pk in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise DomainError("does_not_exist", f"Unknown plant ids: {shown}.", field="plants")
    return wanted


def _apply_filter(fleet: Fleet, criteria: Mapping[str, Any] | None) -> None:
    """A filter of None turns dynamic membership off; a dict (even empty: every plant) turns it on."""
    fleet.filter_enabled = criteria is not None
    criteria = criteria or {}
    fleet.filter_vendor = criteria.get("vendor") or ""
    fleet.filter_vendor_account = criteria.get("vendor_account")
    fleet.filter_region = criteria.get("region") or ""
    fleet.filter_timezone = criteria.get("timezone") or ""
    fleet.filter_battery_usable_kwh_min = criteria.get("battery_usable_kwh_min")
    fleet.filter_battery_usable_kwh_max = criteria.get("battery_usable_kwh_max")


def _check_filter_account(organization: Organization, criteria: Mapping[str, Any] | None) -> None:
    account = (criteria or {}).get("vendor_account")
    if account is not None and account.organization_id != organization.pk:
        raise DomainError("does_not_exist", "Unknown vendor account.", field="filter.vendor_account")


@transaction.atomic
def fleet_create(
    *,
    organization: Organization,
    name: str,
    description: str = "",
    criteria: Mapping[str, Any] | None = None,
    plant_ids: Sequence[int] = (),
) -> Fleet:
    """A fleet of hand-picked plants, plus every plant matching `criteria` when given (the API's
    "filter"; {} matches every plant of the organisation)."""
    _check_filter_account(organization, criteria)
    plant_ids = _organization_plant_ids(organization, plant_ids)
    if Fleet.objects.filter(organization=organization, name=name).exists():
        raise _unique_name_error("fleet")
    fleet = Fleet(organization=organization, name=name, description=description)
    _apply_filter(fleet, criteria)
    try:
        with transaction.atomic():
            fleet.save()
    except IntegrityError:  # a concurrent request created the same name
        raise _unique_name_error("fleet") from None
    fleet.plants.add(*plant_ids)
    return fleet


_UNSET = object()


@transaction.atomic
def fleet_update(
    *,
    fleet: Fleet,
    name: str | None = None,
    description: str | None = None,
    criteria: Any = _UNSET,
    plant_ids: Sequence[int] | None = None,
) -> Fleet:
    """Change a fleet. `criteria` None turns the filter off; `plant_ids` replaces the hand-picked plants
    (and clears their exclusions)."""
    organization = fleet.organization
    if criteria is not _UNSET:
        _check_filter_account(organization, criteria)
        _apply_filter(fleet, criteria)
    if plant_ids is not None:
        plant_ids = _organization_plant_ids(organization, plant_ids)
    if name is not None and name != fleet.name:
        if Fleet.objects.filter(organization=organization, name=name).exclude(pk=fleet.pk).exists():
            raise _unique_name_error("fleet")
        fleet.name = name
    if description is not None:
        fleet.description = description
    fleet.save()
    if plant_ids is not None:
        fleet.plants.set(plant_ids)
        fleet.excluded_plants.remove(*plant_ids)
    return fleet


@transaction.atomic
def fleet_plants_add(*, fleet: Fleet, plant_ids: Sequence[int]) -> None:
    """Pick plants by hand; a plant removed by hand earlier is no longer excluded."""
    plant_ids = _organization_plant_ids(fleet.organization, plant_ids)
    fleet.plants.add(*plant_ids)
    fleet.excluded_plants.remove(*plant_ids)


@transaction.atomic
def fleet_plants_remove(*, fleet: Fleet, plant_ids: Sequence[int]) -> None:
    """Take plants out of the fleet, even ones its filter matches (they are excluded until added again)."""
    plant_ids = _organization_plant_ids(fleet.organization, plant_ids)
    fleet.plants.remove(*plant_ids)
    if fleet.filter_enabled:
        fleet.excluded_plants.add(*plant_ids)


@transaction.atomic
def fleet_delete(*, fleet: Fleet) -> None:
    try:
        fleet.delete()
    except ProtectedError:
        raise DomainError(
            "in_use", "This fleet is used by dispatch jobs or campaigns.", http_status=409
        ) from None


# --- enrolments ----------------------------------------------------------------------------------------


_ITEM_FIELDS = {
    "sn": "sn",
    "authorization_code": "authorization_code",
    "username": "owner_username",
    "email": "owner_email",
    "phone": "owner_phone",
    "check_code": "check_code",
    "plant_name": "plant_name",
    "timezone": "timezone",
}


@transaction.atomic
def enrolment_create(
    *,
    organization: Organization,
    vendor_account: VendorAccount,
    method: str,
    items: Sequence[Mapping[str, Any]],
    requested_by: int | None = None,
) -> Enrolment:
    """Record an enrolment and its items, then hand it to a worker (fleets.tasks.enrolment_run)."""
    from fleets import tasks

    if vendor_account.organization_id != organization.pk:
        raise DomainError("does_not_exist", "Unknown vendor account.", field="vendor_account")
    if not vendor_account.enabled:
        raise DomainError("disabled", "This vendor account is disabled.", field="vendor_account")
    if not 1 <= len(items) <= Enrolment.MAX_ITEMS:
        raise DomainError(
            "max_length", f"Between 1 and {Enrolment.MAX_ITEMS} items per request.", field="items"
        )
    enrolment = Enrolment.objects.create(
        organization=organization, vendor_account=vendor_account, method=method, requested_by_id=requested_by
    )
    EnrolmentItem.objects.bulk_create(
        [
            EnrolmentItem(
                enrolment=enrolment,
                position=position,
                **{column: (item.get(key) or "") for key, column in _ITEM_FIELDS.items()},
            )
            for position, item in enumerate(items)
        ],
        batch_size=1000,
    )
    transaction.on_commit(lambda: tasks.enrolment_run.delay(enrolment.pk))
    return enrolment


def enrolment_resume(*, enrolment: Enrolment) -> None:
    """Hand an enrolment to a worker again (admin); a run already going makes this a no-op."""
    from fleets import tasks

    transaction.on_commit(lambda: tasks.enrolment_run.delay(enrolment.pk))
