"""The contract's conventions, applied to every operation of the generated OpenAPI document.

Views declare what is theirs (bodies, responses, summary, description); the hook adds what every
endpoint shares: problem responses for each status the server can send, the request and response
headers, shared named enums, closed request bodies, and examples from the component registry.
"""

import copy
import re

from drf_spectacular.utils import PolymorphicProxySerializer

from .middleware import SAFE_HEADER_PATTERN

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
    "400": "Malformed or invalid request; `errors` names each field (unknown ones too).",
    "401": "Missing, invalid or expired credentials.",
    "403": "The caller's role or the token's scopes do not allow this; `detail` names which.",
    "404": "Not found, or not visible to the caller's agency.",
    "405": "The method is not allowed on this path.",
    "406": "No representation matches the Accept header.",
    "409": "Conflicts with the current state (illegal transition, idempotency key in flight).",
    "412": "If-Match names a version that is no longer current.",
    "413": "Request body over 1 MiB.",
    "415": "Request body is not JSON.",
    "422": "Idempotency-Key reused with a different request.",
    "428": "If-Match is required.",
    "429": "Rate limit reached; see Retry-After.",
    "500": "The server failed; quote `request_id` when reporting it.",
}

_ALWAYS = ["400", "401", "403", "404", "405", "406", "429", "500"]
_BY_METHOD = {
    "get": [],
    "post": ["409", "412", "413", "415", "422"],
    "patch": ["409", "412", "413", "415", "428"],
    "put": ["409", "412", "413", "415", "428"],
    "delete": ["409", "412", "428"],
}

_STRING = {"type": "string"}
REQUEST_HEADERS = [
    {
        "name": "Accept-Language",
        "in": "header",
        "required": False,
        "schema": _STRING,
        "description": "The language of messages: en, km, th or vi (default en).",
        "example": "km",
    },
    {
        "name": "X-On-Behalf-Of",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "pattern": SAFE_HEADER_PATTERN},
        "description": "The person in your own system on whose behalf you call; recorded in "
        "the audit trail. A malformed value is a 400.",
        "example": "officer-1234",
    },
    {
        "name": "X-Request-ID",
        "in": "header",
        "required": False,
        "schema": _STRING,
        "description": "Your id for the request, echoed back; a malformed one is replaced.",
    },
]


def _header(description: str, schema=None, *, required: bool = False) -> dict:
    return {"description": description, "required": required, "schema": schema or _STRING}


HEADERS = {
    "X-Request-ID": _header("The request's id, as sent or generated.", required=True),
    "ETag": _header("The version of the resource; send it back in If-Match to change it."),
    "Location": _header("Where the created resource lives.", {"type": "string"}),
    "Idempotent-Replayed": _header(
        "true when this is the stored answer to an earlier request with the same Idempotency-Key.",
        {"type": "string", "enum": ["true"]},
    ),
    "Retry-After": _header("Seconds to wait before trying again.", {"type": "string"}),
    "WWW-Authenticate": _header("The authentication scheme expected."),
}

# Components registered by each app: name -> an example value of that component.
COMPONENT_EXAMPLES: dict[str, object] = {}
NEXT_PAGE = "https://exchange.example.org/api/v1/referrals/?cursor=cD0yMDI2LTA0LTEw"
PROBLEM_TYPE = "urn:mekong-exchange:problem:"


def register_examples(examples: dict[str, object]) -> None:
    """Give components an example; every operation using them shows it."""
    COMPONENT_EXAMPLES.update(examples)


def as_read_by_role(full, redacted):
    """The representation as people read it, or as auditors do: redacted, a schema of its own."""
    name = full.__name__.removesuffix("Serializer") + "AsRead"

    def build(many: bool = False):
        return PolymorphicProxySerializer(
            component_name=name,
            serializers=[full, redacted],
            resource_type_field_name=None,
            many=many,
        )

    return build


def _ref_name(schema: dict) -> str | None:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else None


def _example_of(schema: dict, components: dict):
    """An example for a schema built from registered component examples, or None."""
    name = _ref_name(schema)
    if name:
        if name in COMPONENT_EXAMPLES:
            return copy.deepcopy(COMPONENT_EXAMPLES[name])
        return _example_of(components.get(name, {}), components)
    if "oneOf" in schema:
        return _example_of(schema["oneOf"][0], components)
    if schema.get("type") == "array":
        item = _example_of(schema.get("items", {}), components)
        return None if item is None else [item]
    properties = schema.get("properties", {})
    if set(properties) == {"next", "results"}:
        item = _example_of(properties["results"], components)
        return None if item is None else {"next": NEXT_PAGE, "results": item}
    return None


def _media_examples(schema: dict, components: dict) -> dict:
    """One example per alternative of a oneOf (the full and the redacted shape), else one."""
    name = _ref_name(schema)
    target = components.get(name, schema) if name else schema
    paginated = set(target.get("properties", {})) == {"next", "results"}
    items = target["properties"]["results"].get("items", {}) if paginated else target
    alternatives = (
        components.get(_ref_name(items), items).get("oneOf") if _ref_name(items) else None
    )
    examples = {}
    for ref in alternatives or [None]:
        value = _example_of(schema if ref is None else ref, components)
        if value is not None and ref is not None and paginated:
            value = {"next": NEXT_PAGE, "results": [value]}
        if value is not None:
            examples[_ref_name(ref) if ref else (name or "example")] = {"value": value}
    return examples


def _problem_example(code: str) -> dict:
    return {
        "type": PROBLEM_TYPE + ("validation-error" if code == "400" else "error"),
        "title": _DESCRIPTIONS[code].split(";")[0].rstrip("."),
        "status": int(code),
        "detail": _DESCRIPTIONS[code],
        "request_id": "5f0c6f0e-8a51-4c1e-9d7a-3c2f1f5b9e21",
    }


def _add_problems(operation: dict, method: str) -> None:
    for code in [*_ALWAYS, *_BY_METHOD.get(method, [])]:
        operation["responses"].setdefault(
            code,
            {
                "description": _DESCRIPTIONS[code],
                "content": {
                    "application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"},
                        "examples": {"problem": {"value": _problem_example(code)}},
                    }
                },
            },
        )


def _add_headers(operation: dict, method: str) -> None:
    names = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
    extra = [p for p in REQUEST_HEADERS if ("header", p["name"]) not in names]
    operation["parameters"] = [*operation.get("parameters", []), *extra]
    idempotent = ("header", "Idempotency-Key") in names
    for code, response in operation["responses"].items():
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = HEADERS["X-Request-ID"]
        success = code.startswith("2")
        paged = "next" in str(response.get("content", {}))
        if success and method != "delete" and not paged and code != "202":
            headers["ETag"] = HEADERS["ETag"]
        if code == "201":
            headers["Location"] = HEADERS["Location"]
        if success and idempotent:
            headers["Idempotent-Replayed"] = HEADERS["Idempotent-Replayed"]
        if code == "429":
            headers["Retry-After"] = HEADERS["Retry-After"]
        if code == "401":
            headers["WWW-Authenticate"] = HEADERS["WWW-Authenticate"]


def _enum_name(parameter: str, values: list, taken: dict) -> str:
    base = "".join(part.title() for part in re.split(r"[^A-Za-z0-9]+", parameter) if part)
    name = f"{base}Enum"
    while name in taken and sorted(taken[name]) != sorted(values):
        name = f"{base}Filter{len(name)}Enum"
    return name


def _share_parameter_enums(operation: dict, schemas: dict) -> None:
    """Enums in query parameters point at the named component with the same values."""
    by_values = {
        tuple(sorted(map(str, s["enum"]))): name
        for name, s in schemas.items()
        if "enum" in s and None not in s["enum"]
    }
    taken = {name: s["enum"] for name, s in schemas.items() if "enum" in s}
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        holder = schema.get("items", schema) if schema.get("type") == "array" else schema
        if "enum" not in holder:
            continue
        values = holder["enum"]
        name = by_values.get(tuple(sorted(map(str, values))))
        if name is None:
            name = _enum_name(parameter["name"], values, taken)
            schemas[name] = {"type": "string", "enum": values}
            taken[name] = by_values[tuple(sorted(map(str, values)))] = values
        description = holder.get("description")
        holder.clear()
        holder["$ref"] = f"#/components/schemas/{name}"
        if description and holder is schema:
            parameter.setdefault("description", description)


def _close_bodies(schemas: dict) -> None:
    """Request bodies refuse unknown fields, and so does each shape of a role union."""
    for name, schema in schemas.items():
        if name.endswith("Request") and schema.get("type") == "object":
            schema["additionalProperties"] = False
        for alternative in schema.get("oneOf", []):
            target = schemas.get(_ref_name(alternative) or "")
            if target is not None and target.get("type") == "object":
                target["additionalProperties"] = False


def _add_examples(operation: dict, components: dict) -> None:
    bodies = [operation.get("requestBody", {})] + [
        response for code, response in operation["responses"].items() if code.startswith("2")
    ]
    for body in bodies:
        for media in body.get("content", {}).values():
            if "schema" in media and "examples" not in media:
                examples = _media_examples(media["schema"], components)
                if examples:
                    media["examples"] = examples


def _resource(path: str) -> str:
    """``/api/v1/referrals/{id}/messages/`` -> ``referral``: what ``{resource}`` names."""
    collection = path.split("{", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return collection.removesuffix("s").replace("-", " ")


def contract_conventions(result, generator, request, public):
    """drf-spectacular hook: what every operation shares, in one place."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    _close_bodies(schemas)
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            # Views shared by several collections write {resource} in their documentation.
            for key in ("summary", "description"):
                if key in operation:
                    operation[key] = operation[key].replace("{resource}", _resource(path))
            _add_problems(operation, method)
            _add_headers(operation, method)
            _share_parameter_enums(operation, schemas)
            _add_examples(operation, schemas)
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result
