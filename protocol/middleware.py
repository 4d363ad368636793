"""Request context (request id, on-behalf-of) and request bodies: at most 1 MiB, and whole."""

import logging
import re
import uuid

from django.conf import settings
from django.http import UnreadablePostError
from django.utils.translation import gettext_lazy as _

from .context import current_request_id, request_id_var
from .problems import problem_json_response

SAFE_HEADER_PATTERN = r"^[A-Za-z0-9._:@/+=-]{1,128}$"
_SAFE_HEADER_VALUE = re.compile(SAFE_HEADER_PATTERN)


def _clean_header(value: str | None) -> str | None:
    return value if value and _SAFE_HEADER_VALUE.match(value) else None


class RequestContextMiddleware:
    """Echo a well-formed ``X-Request-ID`` or make one; capture ``X-On-Behalf-Of``, refusing a
    malformed one (the audit trail would otherwise lose whom the call was for)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = _clean_header(request.headers.get("X-Request-ID")) or str(uuid.uuid4())
        on_behalf_of = request.headers.get("X-On-Behalf-Of")
        request.on_behalf_of = _clean_header(on_behalf_of)
        token = request_id_var.set(request.request_id)
        try:
            if on_behalf_of is not None and request.on_behalf_of is None:
                response = problem_json_response(
                    status_code=400,
                    problem_type="invalid-on-behalf-of",
                    title=_("Invalid X-On-Behalf-Of"),
                    detail=_(
                        "X-On-Behalf-Of is 1 to 128 letters, digits and the characters . _ : @ "
                        "/ + = -."
                    ),
                )
            else:
                response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class BodySizeLimitMiddleware:
    """Refuse bodies over ``MAX_REQUEST_BODY_BYTES`` (document uploads: 20 MiB) before reading."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.MAX_REQUEST_BODY_BYTES
        if re.match(settings.DOCUMENT_UPLOAD_PATH, request.path_info):
            limit = settings.DOCUMENT_UPLOAD_MAX_BODY
        if _content_length(request) > limit:
            return problem_json_response(
                status_code=413,
                problem_type="payload-too-large",
                title=_("Request body too large"),
                detail=_("Request bodies may be at most 1 MiB.")
                if limit == settings.MAX_REQUEST_BODY_BYTES
                else _("A document may be at most 20 MiB."),
            )
        return self.get_response(request)


class CompleteBodyMiddleware:
    """Read the body before any view, within ``REQUEST_BODY_TIMEOUT`` seconds of silence from the
    client: one shorter than its Content-Length (the client stopped sending, or closed) is
    refused with 400 and reaches no view, so nothing is written from a truncated body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = _content_length(request)
        if length and length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            # gunicorn lends its socket: a silent client then costs a thread seconds, not forever.
            sock = request.META.get("gunicorn.socket")
            previous = sock.gettimeout() if sock else None
            if sock:
                sock.settimeout(settings.REQUEST_BODY_TIMEOUT)
            try:
                received = len(request.body)
            except UnreadablePostError:
                received = -1
            finally:
                if sock:
                    sock.settimeout(previous)
            if received != length:
                return problem_json_response(
                    status_code=400,
                    problem_type="incomplete-body",
                    title=_("Incomplete request body"),
                    detail=_("The request body is shorter than its Content-Length; send it again."),
                )
        return self.get_response(request)


class RequestIdLogFilter(logging.Filter):
    """Adds the current request id to log records."""

    def filter(self, record):
        record.request_id = current_request_id() or "-"
        return True
