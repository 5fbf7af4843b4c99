"""Every answer under /api/ that is an error is JSON in the project's error shape (vpp/errors.py).

DRF answers its own errors through vpp.errors.api_exception_handler; this middleware covers what Django
decides before or around a view: an unknown /api/ URL or a path id that is not an id (404), a body above
DATA_UPLOAD_MAX_MEMORY_SIZE (413, refused from its Content-Length before anything reads it), and any other
HTML error page (a 500 included, also with DEBUG on). It sits right after SecurityMiddleware, so it sees
every other layer's answers and its own still get the security headers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse

from vpp.errors import error_response

API_PREFIX = "/api/"
# Headers of the original answer a client still needs (RFC 9110 15.5.6 Allow; RFC 9110 10.2.3 Retry-After).
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def _too_large() -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_response(413, detail=f"The request body is larger than the {limit} bytes this API accepts.")


class ApiErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, detail="The Content-Length header is not a number.")
        if limit is not None and length > limit:
            return _too_large()
        response = self.get_response(request)
        if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
            return response
        answer = error_response(response.status_code)
        for header in _KEPT_HEADERS:
            if header in response:
                answer[header] = response[header]
        return answer

    def process_exception(self, request, exception):
        if request.path_info.startswith(API_PREFIX) and isinstance(exception, RequestDataTooBig):
            return _too_large()
        return None
