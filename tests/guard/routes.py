"""Every route under /api/ in the URL configuration, with the methods its view allows."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Methods a client chooses; HEAD and OPTIONS come with every view (HEAD where there is a GET).
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CHOSEN_METHODS = ("GET", *WRITE_METHODS)


@dataclass(frozen=True)
class Route:
    name: str  # the URL name, namespaced ("api:fleet-detail")
    route: str  # "api/v1/fleets/<id:pk>"
    methods: tuple[str, ...]  # what the view answers, HEAD and OPTIONS included
    kwargs: frozenset[str]  # the path's variables
    converters: dict  # variable -> converter, for path() routes

    @property
    def is_object_route(self) -> bool:
        return bool(self.kwargs)


def _methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    cls = getattr(callback, "cls", None)
    initkwargs = getattr(callback, "view_initkwargs", None) or getattr(callback, "initkwargs", None) or {}
    allowed = set(initkwargs.get("http_method_names", cls.http_method_names if cls is not None else ()))
    if actions is not None:  # a viewset: what its router bound, less what the viewset switched off
        chosen = {m.upper() for m in actions if m in allowed and m != "head"}
    else:
        chosen = {m.upper() for m in allowed if hasattr(cls, m)} & set(CHOSEN_METHODS)
    extra = ({"OPTIONS"} if "options" in allowed else set()) | (
        {"HEAD"} if "GET" in chosen and "head" in allowed else set()
    )
    return tuple(m for m in (*CHOSEN_METHODS, "HEAD", "OPTIONS") if m in chosen | extra)


def _walk(patterns, prefix: str, namespace: str | None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            route = prefix + str(pattern.pattern)
            converters = dict(getattr(pattern.pattern, "converters", {}))
            kwargs = frozenset(converters) | frozenset(pattern.pattern.regex.groupindex)
            yield Route(name or route, route, _methods(pattern.callback), kwargs, converters)


def api_routes() -> list[Route]:
    return [r for r in _walk(get_resolver().url_patterns, "", None) if r.route.startswith("api/")]
