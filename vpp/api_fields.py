"""Strict input fields and query filters that every endpoint shares (issue 10, one rule for one thing).

- Ids (in bodies and in query strings) are integers from 1 to 2^63-1, the range of the database's bigint
  primary keys: in a JSON body a JSON integer (not "10", not 10.0, not true); in a query string digits
  only. Anything else is a 400 naming the field, never a database error.
- Numbers are finite JSON numbers: Python's JSON parser reads 1e400 as infinity, which PostgreSQL's jsonb
  refuses (and which would switch any bound off).
- Datetimes carry a zone (`Z` or `+02:00`): a naive time is not silently read as UTC.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

ID_MAX = 2**63 - 1  # PostgreSQL bigint (BigAutoField); SQLite's INTEGER has the same 8 bytes
ID_RULE = f"An id is an integer from 1 to {ID_MAX}"
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": ID_MAX}
TIMEZONE_REQUIRED = "Give the time zone: end with Z or an offset such as +02:00 (ISO 8601)."


# --- ids in JSON bodies ----------------------------------------------------------------------------------


def check_id(value, *, type_code: str = "invalid") -> int:
    """The id, or ValidationError(type_code / "out_of_range") naming the rule. The type code is DRF's for
    the field it replaces ("invalid" for an integer, "incorrect_type" for a related object)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"{ID_RULE}, as a JSON number without a fraction (not a string or a boolean).", code=type_code
        )
    if not 1 <= value <= ID_MAX:
        raise ValidationError(f"{ID_RULE} (the database's range).", code="out_of_range")
    return value


class IdField(serializers.IntegerField):
    """An object id in a JSON body (see check_id)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return check_id(data)


class IdListField(serializers.ListField):
    """A list of object ids; each one strict (errors name `<field>.<index>`)."""

    child = IdField()


@extend_schema_field(ID_SCHEMA)
class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related object by id: the id is checked strictly before the lookup (which then cannot fail on a
    string, a float or an id outside the bigint range)."""

    def to_internal_value(self, data):
        return super().to_internal_value(check_id(data, type_code="incorrect_type"))


# --- numbers, times and text -----------------------------------------------------------------------------


class StrictFloatField(serializers.FloatField):
    """A finite JSON number: refuses strings, booleans (float(True) would be 1.0) and infinities."""

    default_error_messages = {
        "invalid": "A number is required.",
        "not_finite": "A finite number is required.",
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        try:
            value = float(data)
        except OverflowError:  # an integer too large for a float
            self.fail("not_finite")
        if not math.isfinite(value):
            self.fail("not_finite")
        return value


class ZonedDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time with its zone (`Z` or an offset); a naive one (or a bare date) is refused."""

    default_error_messages = {"timezone_required": TIMEZONE_REQUIRED}

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("timezone_required")
        return super().enforce_timezone(value)


# --- ids in query strings (django-filter) ----------------------------------------------------------------

_DIGITS = re.compile(r"[1-9][0-9]{0,18}")


def check_id_text(value: str) -> int:
    if not isinstance(value, str) or not _DIGITS.fullmatch(value) or int(value) > ID_MAX:
        raise DjangoValidationError(f"{ID_RULE}, written in digits only.", code="invalid")
    return int(value)


def _given(value) -> bool:
    """False when the parameter is absent; an empty one (?fleet=) is refused, not read as "no filter"."""
    if value is None:
        return False
    if value == "":
        raise DjangoValidationError("Give a value, or leave the parameter out.", code="empty")
    return True


class _OrganizationObjectFormField(django_filters.fields.ModelChoiceField):
    def to_python(self, value):
        if not _given(value):
            return None
        check_id_text(value)
        return super().to_python(value)


@extend_schema_field(ID_SCHEMA)
class ObjectIdFilter(django_filters.ModelChoiceFilter):
    """?vendor_account=3: an id among the caller's organisation's objects (another organisation's is
    refused exactly like one that does not exist)."""

    field_class = _OrganizationObjectFormField


class _ZonedIsoDateTimeFormField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        if not _given(value):
            return None
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # not a date at all: the parent says so
            if parsed is not None and timezone.is_naive(parsed):
                raise DjangoValidationError(TIMEZONE_REQUIRED, code="timezone_required")
        return super().to_python(value)


class ZonedDateTimeFilter(django_filters.IsoDateTimeFilter):
    """?created_after=2026-05-01T00:00:00Z: ISO 8601 with its zone."""

    field_class = _ZonedIsoDateTimeFormField


class _BooleanFormField(forms.Field):
    widget = forms.TextInput  # the raw text: Django's NullBooleanSelect reads anything else as "no filter"

    def to_python(self, value):
        if not _given(value):
            return None
        if value not in ("true", "false"):
            raise DjangoValidationError("Use true or false.", code="invalid")
        return value == "true"


class BooleanFilter(django_filters.BooleanFilter):
    """?enabled=true|false, nothing else (django-filter's reads ?enabled=null or =yes as no filter at all)."""

    field_class = _BooleanFormField


# --- one vocabulary: old field names kept as aliases -----------------------------------------------------


class FieldAliasesMixin:
    """A serializer that still takes a field's old name (README, "One vocabulary"): `aliases` maps the old
    name to the new one. Both at once is a 400 on the old name; `required_aliased` lists new names of
    which one spelling must be given (on create and full updates)."""

    aliases: dict[str, str] = {}
    required_aliased: tuple[str, ...] = ()

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            for old, new in self.aliases.items():
                if old in data and new in data:
                    raise ValidationError(
                        {old: [f"Give {new} only; {old} is its old name, still accepted alone."]},
                        code="duplicate_alias",
                    )
            if not getattr(self, "partial", False):
                for new in self.required_aliased:
                    if new not in data and not any(o in data for o, n in self.aliases.items() if n == new):
                        raise ValidationError({new: ["This field is required."]}, code="required")
        return super().to_internal_value(data)
