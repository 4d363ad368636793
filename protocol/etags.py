"""ETags from a resource's version, and the If-Match check before a change."""

import hashlib

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from .problems import PreconditionFailed, PreconditionRequired


def etag_of(obj) -> str:
    """A strong, opaque ETag that changes whenever the object's ``version`` does."""
    digest = hashlib.sha256(f"{obj._meta.label}:{obj.pk}:{obj.version}".encode()).hexdigest()
    return f'"{digest[:20]}"'


def check_if_match(request, obj, *, required: bool) -> None:
    """428 when ``If-Match`` is required and missing; 412 when it names another version."""
    check_etag(request.headers.get("If-Match"), obj, required=required)


def check_etag(header: str | None, obj, *, required: bool) -> None:
    """The If-Match check on a header value, for services that compare under a row lock."""
    if not header:
        if required:
            raise PreconditionRequired()
        return
    if header.strip() == "*":
        return
    current = etag_of(obj)
    offered = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if current not in offered:
        raise PreconditionFailed()


def with_etag(response, obj):
    """Set the ETag of the object a response describes."""
    response["ETag"] = etag_of(obj)
    return response


IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag from your last read; 412 if the resource changed since.",
)

IF_MATCH_OPTIONAL_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="When sent, the request applies only at this ETag (412 if it changed since).",
)
