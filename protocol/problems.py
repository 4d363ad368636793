"""RFC 9457 problem details for every error the API returns."""

import logging
import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from .context import current_request_id

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:mekong-exchange:problem:"


class Problem(exceptions.APIException):
    """An API error with a problem type; subclasses name the type and may carry extensions."""

    status_code = status.HTTP_400_BAD_REQUEST
    problem_type = "bad-request"
    title = _("Bad request")
    default_detail = _("The request cannot be processed.")

    def __init__(self, detail=None, **extensions):
        super().__init__(detail)
        self.extensions = extensions


class Conflict(Problem):
    status_code = status.HTTP_409_CONFLICT
    problem_type = "conflict"
    title = _("Conflict")
    default_detail = _("The request conflicts with the current state of the resource.")


class IllegalTransition(Conflict):
    problem_type = "illegal-transition"
    title = _("Action not allowed in this state")


class PreconditionRequired(Problem):
    status_code = 428
    problem_type = "precondition-required"
    title = _("Precondition required")
    default_detail = _("Send If-Match with the ETag you last read to change this resource.")


class PreconditionFailed(Problem):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    problem_type = "precondition-failed"
    title = _("Precondition failed")
    default_detail = _("The resource has changed since you read it; fetch it again.")


class PayloadTooLarge(Problem):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    problem_type = "payload-too-large"
    title = _("Request body too large")
    default_detail = _("Request bodies may be at most 1 MiB.")


class IdempotencyKeyReused(Problem):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    problem_type = "idempotency-key-reused"
    title = _("Idempotency key reused")
    default_detail = _("This Idempotency-Key was used with a different request.")


class IdempotencyInFlight(Conflict):
    problem_type = "idempotency-in-flight"
    title = _("Request in progress")
    default_detail = _("A request with this Idempotency-Key is still being processed.")


class EndpointDisabled(Conflict):
    problem_type = "endpoint-disabled"
    title = _("Webhook endpoint disabled")
    default_detail = _("Enable the webhook endpoint before sending to it.")


class DeliveryInProgress(Conflict):
    problem_type = "delivery-in-progress"
    title = _("Delivery in progress")
    default_detail = _("An attempt of this delivery is under way; try again in a minute.")


# Problem type and title of the standard DRF exceptions, by class.
_STANDARD = [
    (exceptions.ParseError, "malformed-request", _("Malformed request")),
    (exceptions.ValidationError, "validation-error", _("Invalid request")),
    (exceptions.NotAuthenticated, "not-authenticated", _("Authentication required")),
    (exceptions.AuthenticationFailed, "authentication-failed", _("Authentication failed")),
    (exceptions.PermissionDenied, "forbidden", _("Forbidden")),
    (exceptions.NotFound, "not-found", _("Not found")),
    (exceptions.MethodNotAllowed, "method-not-allowed", _("Method not allowed")),
    (exceptions.NotAcceptable, "not-acceptable", _("Not acceptable")),
    (exceptions.UnsupportedMediaType, "unsupported-media-type", _("Unsupported media type")),
    (exceptions.Throttled, "rate-limited", _("Too many requests")),
]


def problem_body(*, status_code: int, problem_type: str, title, detail, **extensions) -> dict:
    body = {
        "type": TYPE_PREFIX + problem_type,
        "title": str(title),
        "status": status_code,
        "detail": str(detail),
    }
    body.update(extensions)
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    return body


def problem_response(
    *, status_code: int, problem_type: str, title, detail, **extensions
) -> Response:
    body = problem_body(
        status_code=status_code, problem_type=problem_type, title=title, detail=detail, **extensions
    )
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def _validation_errors(detail) -> dict:
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


def _translate(exc):
    """Turn Django's exceptions into their DRF counterparts."""
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    return exc


def problem_exception_handler(exc, context):
    """DRF's exception handler: every error becomes problem+json, internals never leave."""
    exc = _translate(exc)
    if isinstance(exc, Problem):
        response = problem_response(
            status_code=exc.status_code,
            problem_type=exc.problem_type,
            title=exc.title,
            detail=exc.detail,
            **exc.extensions,
        )
    elif isinstance(exc, exceptions.APIException):
        problem_type, title = next(
            ((ptype, ttl) for cls, ptype, ttl in _STANDARD if isinstance(exc, cls)),
            ("error", _("Error")),
        )
        extensions = {}
        detail = exc.detail
        if isinstance(exc, exceptions.ValidationError):
            extensions["errors"] = _validation_errors(exc.detail)
            detail = _("One or more fields are invalid; see errors.")
        elif isinstance(detail, list | dict):
            detail = "; ".join(
                str(d) for d in (detail.values() if isinstance(detail, dict) else detail)
            )
        response = problem_response(
            status_code=exc.status_code,
            problem_type=problem_type,
            title=title,
            detail=detail,
            **extensions,
        )
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            response["Retry-After"] = str(math.ceil(exc.wait))
    else:
        logger.exception("Unhandled error", exc_info=exc)
        return server_error_response()
    return response


def server_error_response() -> Response:
    return problem_response(
        status_code=500,
        problem_type="internal-error",
        title=_("Internal error"),
        detail=_(
            "The server could not complete the request. Quote the request_id when reporting it."
        ),
    )


def problem_json_response(*, status_code: int, problem_type: str, title, detail) -> JsonResponse:
    """A problem response outside DRF (Django's error handlers and middleware)."""
    return JsonResponse(
        problem_body(
            status_code=status_code, problem_type=problem_type, title=title, detail=detail
        ),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )
