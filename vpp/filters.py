"""The list endpoints' filter backends (settings.REST_FRAMEWORK DEFAULT_FILTER_BACKENDS), strict: a query
parameter the endpoint does not know, or an `ordering` term it cannot order by, is a 400 naming the
parameter instead of being ignored (a typo such as `?stat=failed` would otherwise list every job)."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from django_filters.widgets import SuffixedMultiWidget
from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings


def _error(name: str, message: str, code: str) -> ValidationError:
    return ValidationError({name: [message]}, code=code)


def _lists(view) -> bool:
    """True where the view lists (and so filters, orders, searches and pages) a collection: the list action
    and detail actions that declare their own filterset (such as a job's tasks). Elsewhere DRF runs the
    backends only to scope get_object(), and the list parameters are not this operation's."""
    return getattr(view, "action", None) == "list" or "filterset_class" in vars(view)


def refuse_unknown_query_parameters(request, allowed) -> None:
    """400 naming each query parameter that is not in `allowed` (DRF's ?format= is always allowed)."""
    allowed = set(allowed) | ({api_settings.URL_FORMAT_OVERRIDE} - {None})
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        shown = ", ".join(sorted(allowed))
        raise ValidationError(
            {name: [f"Unknown query parameter; this endpoint takes: {shown}."] for name in unknown},
            code="unknown_parameter",
        )


def pagination_parameters(view) -> set[str]:
    paginator = getattr(view, "paginator", None)
    attrs = ("page_query_param", "page_size_query_param", "limit_query_param", "offset_query_param")
    return {getattr(paginator, attr) for attr in attrs if getattr(paginator, attr, None)}


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, plus: every query parameter must be one the endpoint documents."""

    def filter_queryset(self, request, queryset, view):
        if _lists(view):
            refuse_unknown_query_parameters(request, self.known_parameters(request, queryset, view))
        return super().filter_queryset(request, queryset, view)

    def known_parameters(self, request, queryset, view) -> set[str]:
        names = set()
        filterset = self.get_filterset(request, queryset, view)
        if filterset is not None:
            for name, field in filterset.form.fields.items():
                widget = field.widget
                if isinstance(widget, SuffixedMultiWidget):
                    names.update(widget.suffixed(name, suffix) for suffix in widget.suffixes)
                else:
                    names.add(name)
        for backend in getattr(view, "filter_backends", ()):
            if issubclass(backend, filters.SearchFilter) and getattr(view, "search_fields", None):
                names.add(backend.search_param)
            if issubclass(backend, filters.OrderingFilter):
                names.add(backend.ordering_param)
        return names | pagination_parameters(view)


class StrictOrderingFilter(filters.OrderingFilter):
    """`?ordering=a,-b`: every term must be one of the view's ordering fields, else a 400 listing them."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = [item[0] for item in self.get_valid_fields(queryset, view, {"request": request})]
        terms = [term for term in fields if term]
        bad = [term for term in terms if term.removeprefix("-") not in valid]
        if bad:
            raise _error(
                self.ordering_param,
                f"Cannot order by {', '.join(bad)}; use {', '.join(valid)} (prefix - for descending, "
                "comma separated).",
                "invalid_ordering",
            )
        return terms

    def get_schema_operation_parameters(self, view):
        valid = [name for name in getattr(view, "ordering_fields", None) or [] if isinstance(name, str)]
        if not valid:
            return super().get_schema_operation_parameters(view)
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Comma-separated fields to order by; prefix - for descending.",
                "schema": {
                    "type": "array",
                    "items": {"type": "string", "enum": [*valid, *(f"-{name}" for name in valid)]},
                },
                "style": "form",
                "explode": False,
            }
        ]


class StrictSearchFilter(filters.SearchFilter):
    """`?search=`: a NUL character cannot be in a database string; refused as a 400."""

    def get_search_terms(self, request):
        value = request.query_params.get(self.search_param, "")
        if "\x00" in value:
            raise _error(self.search_param, "Null characters are not allowed.", "null_characters_not_allowed")
        return super().get_search_terms(request)
