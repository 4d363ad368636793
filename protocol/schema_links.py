"""OpenAPI links by convention: what a response names (its ``id``, its path) leads to the
operations on that resource, so clients and stateful tests can follow a workflow."""

import re

_PARAMETER = re.compile(r"\{(\w+)\}")
_METHODS = ("get", "post", "patch", "put", "delete")


def _has_id(response: dict, components: dict) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "").rsplit("/", 1)[-1]
    target = components.get(ref, schema)
    alternatives = [
        components.get(a.get("$ref", "").rsplit("/", 1)[-1], a) for a in target.get("oneOf", [])
    ]
    return any("id" in s.get("properties", {}) for s in [target, *alternatives])


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
                        links[target["operationId"]] = {
                            "operationId": target["operationId"],
                            "parameters": {
                                name: "$response.body#/id"
                                if name == filled
                                else f"$request.path.{name}"
                                for name in names
                            },
                        }
                if links:
                    response["links"] = dict(sorted(links.items()))
    return result
