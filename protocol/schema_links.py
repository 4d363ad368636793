"""OpenAPI links by convention: what a response names (its ``id``, its path) leads to the
operations on that resource, so clients and stateful tests can follow a workflow."""

import re

_PARAMETER = re.compile(r"\{(\w+)\}")
_METHODS = ("get", "post", "patch", "put", "delete")


def _schema_of(response: dict) -> dict:
    return response.get("content", {}).get("application/json", {}).get("schema", {})


def _name(schema: dict) -> str:
    return schema.get("$ref", "").rsplit("/", 1)[-1]


def _has_id(response: dict, components: dict) -> bool:
    schema = _schema_of(response)
    target = components.get(_name(schema), schema)
    alternatives = [components.get(_name(a), a) for a in target.get("oneOf", [])]
    return any("id" in s.get("properties", {}) for s in [target, *alternatives])


def _represents(response: dict, resource: dict | None, components: dict) -> bool:
    """The response is a representation of the resource (its ETag is the resource's)."""
    if resource is None or "ETag" not in response.get("headers", {}):
        return False
    read = _schema_of(resource.get("responses", {}).get("200", {}))
    forms = {_name(read)} | {_name(a) for a in components.get(_name(read), {}).get("oneOf", [])}
    return _name(_schema_of(response)) in forms - {""}


def _takes_if_match(operation: dict) -> bool:
    return any(
        p.get("in") == "header" and p.get("name") == "If-Match"
        for p in operation.get("parameters", [])
    )


def _resource_of(path: str, method: str, targets: list[str]) -> tuple[str, str | None] | None:
    """The path prefix of the resource a response describes, and the parameter its ``id`` fills
    (None when every parameter comes from the request's own path)."""
    if method == "post" and not path.endswith("}/"):
        for target in targets:
            rest = target[len(path) :]
            if target.startswith(path) and (match := re.match(r"\{(\w+)\}/", rest)):
                return path + match.group(0), match.group(1)
    parts = path.split("/")
    for end in range(len(parts) - 1, 0, -1):
        if _PARAMETER.fullmatch(parts[end]):
            return "/".join(parts[: end + 1]) + "/", None
    return None


def _owner(path: str) -> str | None:
    """The path prefix of the resource an operation on ``path`` acts on."""
    resource = _resource_of(path, "get", [])
    return resource[0] if resource else None


def add_links(result, generator, request, public):
    """drf-spectacular hook: links from each 2xx response naming a resource to its operations."""
    paths = result.get("paths", {})
    components = result.get("components", {}).get("schemas", {})
    for path, item in paths.items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            resource = _resource_of(path, method, list(paths))
            if resource is None:
                continue
            prefix, filled = resource
            for code, response in operation["responses"].items():
                if not code.startswith("2") or not _has_id(response, components):
                    continue
                current = _represents(response, paths.get(prefix, {}).get("get"), components)
                links = {}
                for target_path, target_item in paths.items():
                    if not target_path.startswith(prefix):
                        continue
                    names = _PARAMETER.findall(target_path)
                    if not set(names) <= {*_PARAMETER.findall(path), filled}:
                        continue
                    for target_method, target in target_item.items():
                        if target_method not in _METHODS or target is operation:
                            continue
                        parameters = {
                            name: "$response.body#/id"
                            if name == filled
                            else f"$request.path.{name}"
                            for name in names
                        }
                        if current and _takes_if_match(target) and _owner(target_path) == prefix:
                            parameters["header.If-Match"] = "$response.header.ETag"
                        links[target["operationId"]] = {
                            "operationId": target["operationId"],
                            "parameters": parameters,
                        }
                if links:
                    response["links"] = dict(sorted(links.items()))
    return result
