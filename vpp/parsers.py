"""The API's only body parser: JSON, within limits, so no body can reach a view that would break it.

DRF's JSONParser reads a body of any size and lets two inputs through to a 500: nesting deep enough to
exhaust the recursion limit (RecursionError is not a ValueError), and a lone UTF-16 surrogate escape
(`"\\ud800"` is valid JSON text per RFC 8259 section 8.2, but the string it decodes to cannot be encoded as
UTF-8, so hashing it for the idempotency fingerprint or storing it in PostgreSQL fails). This parser
refuses both with a 400 naming the rule (and, for a surrogate, the field), and a body above
DATA_UPLOAD_MAX_MEMORY_SIZE with a 413.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ErrorDetail, ParseError, ValidationError

# No request body of ours nests deeper than 4 (an enrolment's items, a dispatch's params); 32 is headroom.
MAX_JSON_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class RequestTooLarge(APIException):
    """A body above DATA_UPLOAD_MAX_MEMORY_SIZE (VPP_MAX_BODY_BYTES): 413, refused before it is parsed.
    (Here, not in vpp.errors: DRF imports this module while vpp.errors is still importing DRF.)"""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int):
        super().__init__(f"The request body is larger than the {limit} bytes this API accepts.")


def _strict_constant(name: str):
    raise ParseError(f"JSON parse error: {name} is not a JSON number.", code="parse_error")


def _check(data) -> None:
    """Depth and lone surrogates, walked without recursion (the input may be as deep as the parser allows)."""
    stack = [(data, 1, "")]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                # A 400 naming the field, as any other bad value (vpp/errors.py).
                message = "Holds a lone UTF-16 surrogate escape (\\ud800-\\udfff unpaired): not a character."
                raise ValidationError(
                    {where or "non_field_errors": [ErrorDetail(message, code="lone_surrogate")]}
                )
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            path = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and _SURROGATE.search(key):
                stack.append((key, depth, where))  # reported against the object that holds the key
            stack.append((item, depth + 1, path))


def _too_deep() -> ParseError:
    return ParseError(
        f"JSON parse error: arrays and objects may nest at most {MAX_JSON_DEPTH} levels deep.",
        code="json_too_deep",
    )


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = b"" if stream is None else stream.read(-1 if limit is None else limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(limit)
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(f"JSON parse error: the body is not valid {encoding}.") from None
        try:
            data = json.loads(text, parse_constant=_strict_constant)
        except RecursionError:
            raise _too_deep() from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error: {exc}") from None
        _check(data)
        return data
