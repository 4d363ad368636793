"""OpenAPI post-processing: every operation documents its problem+json error responses."""

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Field name to messages, on validation errors.",
            "additionalProperties": {},
        },
        "allowed_actions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "On an illegal transition: the actions the caller may take now.",
        },
    },
}

_DESCRIPTIONS = {
    "400": "Malformed or invalid request.",
    "401": "Missing, invalid or expired credentials.",
    "403": "The caller's role or the token's scopes do not allow this.",
    "404": "Not found, or not visible to the caller's agency.",
    "409": "Conflicts with the current state (illegal transition, idempotency key in flight).",
    "412": "If-Match names a version that is no longer current.",
    "413": "Request body over 1 MiB.",
    "415": "Request body is not JSON.",
    "422": "Idempotency-Key reused with a different request.",
    "428": "If-Match is required.",
    "429": "Rate limit reached; see Retry-After.",
}

_BY_METHOD = {
    "get": ["400", "401", "403", "404", "429"],
    "post": ["400", "401", "403", "404", "409", "412", "413", "415", "422", "429"],
    "patch": ["400", "401", "403", "404", "409", "412", "413", "415", "428", "429"],
    "put": ["400", "401", "403", "404", "409", "412", "413", "415", "428", "429"],
    "delete": ["401", "403", "404", "409", "412", "428", "429"],
}


def add_problem_responses(result, generator, request, public):
    """drf-spectacular hook: a shared Problem schema and the error responses of each method."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            for code in _BY_METHOD.get(method, []):
                operation["responses"].setdefault(
                    code, {"description": _DESCRIPTIONS[code], "content": problem}
                )
    return result
