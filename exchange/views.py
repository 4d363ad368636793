"""Health probes and Django's error pages as problem details."""

import logging

from celery import current_app as celery_app
from django.db import connection
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .problems import problem_json_response

logger = logging.getLogger(__name__)


@require_GET
def healthz(request):
    """The process is up."""
    return JsonResponse({"status": "ok"})


def _database_ready() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        logger.warning("Readiness: database unreachable", exc_info=True)
        return False


def _broker_ready() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.warning("Readiness: broker unreachable", exc_info=True)
        return False


@require_GET
def readyz(request):
    """The database and the broker are reachable (503 otherwise)."""
    checks = {"database": _database_ready(), "broker": _broker_ready()}
    ready = all(checks.values())
    body = {"status": "ready" if ready else "unavailable", "checks": checks}
    return JsonResponse(body, status=200 if ready else 503)


def bad_request(request, exception=None):
    return problem_json_response(
        status_code=400,
        problem_type="bad-request",
        title=_("Bad request"),
        detail=_("The request is malformed."),
    )


def permission_denied(request, exception=None):
    return problem_json_response(
        status_code=403,
        problem_type="forbidden",
        title=_("Forbidden"),
        detail=_("You may not do this."),
    )


def not_found(request, exception=None):
    return problem_json_response(
        status_code=404,
        problem_type="not-found",
        title=_("Not found"),
        detail=_("There is nothing here."),
    )


def server_error(request):
    return problem_json_response(
        status_code=500,
        problem_type="internal-error",
        title=_("Internal error"),
        detail=_(
            "The server could not complete the request. Quote the request_id when reporting it."
        ),
    )
