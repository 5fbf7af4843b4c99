"""One domain error type, and the DRF exception handler that turns every API error into the same JSON.

Every error answer has the shape
    {"error": "<code>", "detail": "<sentence>", "fields": {"<field>": [{"code": "<rule>", "message": "..."}]}}
so a client always learns which field broke which rule (`fields` is empty when no field is at fault).
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import JsonResponse
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(Exception):
    """A request the domain refuses: raised by services, answered by the API as JSON."""

    def __init__(self, code: str, detail: str, *, field: str | None = None, http_status: int = 400):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        self.http_status = http_status


def _flatten(details, prefix: str = "") -> dict[str, list[dict]]:
    """Turn DRF's nested get_full_details() into {"a.b.0.c": [{"code", "message"}]}."""
    out: dict[str, list[dict]] = {}
    if isinstance(details, dict) and "code" in details and "message" in details:
        out.setdefault(prefix or "non_field_errors", []).append(
            {"code": str(details["code"]), "message": str(details["message"])}
        )
    elif isinstance(details, dict):
        for key, value in details.items():
            name = key if not prefix else f"{prefix}.{key}"
            if key == "non_field_errors" and prefix:
                name = prefix
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(details, list):
        scalar = all(isinstance(d, dict) and "code" in d for d in details)
        for i, item in enumerate(details):
            name = prefix if scalar else f"{prefix}.{i}" if prefix else str(i)
            for k, v in _flatten(item, name).items():
                out.setdefault(k, []).extend(v)
    return out


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        fields = {exc.field: [{"code": exc.code, "message": exc.detail}]} if exc.field else {}
        return Response({"error": exc.code, "detail": exc.detail, "fields": fields}, status=exc.http_status)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        fields = _flatten(exc.get_full_details())
        first = next(iter(fields.items()), None)
        detail = f"{first[0]}: {first[1][0]['message']}" if first else "Invalid input."
        response.data = {"error": "invalid", "detail": detail, "fields": fields}
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"error": str(code), "detail": str(detail), "fields": {}}
    return response


# Django-level errors DRF never sees (an unknown /api/ URL, a body refused before a view runs, a crash)
# answer in the same shape; vpp.middleware.ApiErrorsMiddleware turns them into these.
_STATUS_CODES = {
    400: ("bad_request", "The request is malformed."),
    401: ("not_authenticated", "Authentication credentials were not provided."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "There is no API resource at this URL; see /api/docs/."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("request_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
    429: ("throttled", "Too many requests; retry later."),
}


def error_response(http_status: int, code: str | None = None, detail: str | None = None) -> JsonResponse:
    """A plain Django JSON answer in the project's error shape, for errors raised outside DRF."""
    try:
        phrase = HTTPStatus(http_status).phrase
    except ValueError:  # a status code with no registered phrase
        phrase = "Error."
    default_code, default_detail = _STATUS_CODES.get(
        http_status, ("server_error" if http_status >= 500 else "error", phrase)
    )
    body = {"error": code or default_code, "detail": detail or default_detail, "fields": {}}
    return JsonResponse(body, status=http_status)
