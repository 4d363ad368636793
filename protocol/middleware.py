"""Request context (request id, on-behalf-of) and the request body size limit."""

import logging
import re
import uuid

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .context import current_request_id, request_id_var
from .problems import problem_json_response

_SAFE_HEADER_VALUE = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")


def _clean_header(value: str | None) -> str | None:
    return value if value and _SAFE_HEADER_VALUE.match(value) else None


class RequestContextMiddleware:
    """Echo a well-formed ``X-Request-ID`` or make one; capture ``X-On-Behalf-Of``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = _clean_header(request.headers.get("X-Request-ID")) or str(uuid.uuid4())
        request.on_behalf_of = _clean_header(request.headers.get("X-On-Behalf-Of"))
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class BodySizeLimitMiddleware:
    """Refuse bodies over ``MAX_REQUEST_BODY_BYTES`` (document uploads: 20 MiB) before reading."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BODY_BYTES
        if re.match(settings.DOCUMENT_UPLOAD_PATH, request.path_info):
            limit = settings.DOCUMENT_UPLOAD_MAX_BODY
        if length > limit:
            return problem_json_response(
                status_code=413,
                problem_type="payload-too-large",
                title=_("Request body too large"),
                detail=_("Request bodies may be at most 1 MiB.")
                if limit == settings.MAX_REQUEST_BODY_BYTES
                else _("A document may be at most 20 MiB."),
            )
        return self.get_response(request)


class RequestIdLogFilter(logging.Filter):
    """Adds the current request id to log records."""

    def filter(self, record):
        record.request_id = current_request_id() or "-"
        return True
