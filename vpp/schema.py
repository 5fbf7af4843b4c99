"""The OpenAPI schema tells every answer an operation can give (drf-spectacular postprocessing hook).

Views document their successes and the errors particular to them (409 conflicts, 422 idempotency); this
hook adds the errors every operation shares, each with the project's error shape (vpp.errors):
- 401 no or a bad token, 403 a role or organisation that may not, 429 throttled: every operation;
- 404 when the path names an object (another organisation's is not found either);
- 400 when the operation takes a body or query parameters (a field or parameter broke a rule);
- 413 body too large and 415 not JSON: every operation that takes a body.
"""

from __future__ import annotations

from rest_framework import serializers

ERROR_COMPONENT = "Error"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}

COMMON = {
    "400": "Invalid input: `fields` names each field or query parameter and the rule it broke",
    "401": "No token, or not a valid one",
    "403": "Your role (or organisation membership) does not allow this",
    "404": "No such object in your organisation",
    "413": "The body is too large",
    "415": "The body is not JSON",
    "429": "Too many requests: retry after the Retry-After header's seconds",
}
BODY_METHODS = {"post", "put", "patch"}


class ErrorSerializer(serializers.Serializer):
    """Every error answer (vpp.errors): which field broke which rule."""

    error = serializers.CharField(help_text="A code: invalid, not_found, permission_denied, ...")
    detail = serializers.CharField(help_text="A sentence for people")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.DictField(child=serializers.CharField())),
        help_text='{"params.target_soc_pct": [{"code": "max_value", "message": "..."}]}; {} when no field '
        "is at fault",
    )


ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error answer: which field broke which rule.",
    "properties": {
        "error": {"type": "string"},
        "detail": {"type": "string"},
        "fields": {
            "type": "object",
            "additionalProperties": {
                "type": "array",
                "items": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
    },
    "required": ["error", "detail", "fields"],
}


def _json_error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def add_error_responses(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: the shared error answers on every operation, all in the error shape."""
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault(ERROR_COMPONENT, ERROR_SCHEMA)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            codes = {"401", "403", "429"}
            if "{" in path:
                codes.add("404")
            has_body = method in BODY_METHODS
            if has_body:
                codes |= {"413", "415"}
            if "requestBody" in operation or any(
                p.get("in") == "query" for p in operation.get("parameters", [])
            ):
                codes.add("400")
            for code in codes:
                responses.setdefault(code, _json_error(COMMON[code]))
            for code, response in responses.items():
                # An error documented by a view without a body schema gets the error shape.
                if code[:1] in "45" and "content" not in response:
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
    return result
