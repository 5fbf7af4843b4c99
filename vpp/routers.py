"""The API's router: no trailing slash, and an object's id in the path must be a database id.

`<id:pk>` matches 1-19 digits whose value fits PostgreSQL's bigint (our BigAutoField keys, 2^63 - 1 at
most), so `/dispatches/abc` or `/dispatches/9223372036854775808` matches no route and answers a JSON 404
(vpp.middleware) instead of reaching the database and failing there with a 500.
"""

from __future__ import annotations

from django.urls import register_converter
from rest_framework.routers import SimpleRouter

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("beyond bigint")  # a ValueError means "this route does not match"
        return number

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(IdConverter, "id")


class ApiRouter(SimpleRouter):
    def __init__(self):
        super().__init__(trailing_slash=False, use_regex_path=False)
        self._default_value_pattern = "id"  # a viewset's own lookup_value_converter still wins
