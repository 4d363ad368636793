"""Health probes and the error pages Django itself serves, as problems."""

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


ERROR_PAGES = {
    400: ("bad-request", _("Bad request"), _("The request is malformed.")),
    403: ("forbidden", _("Forbidden"), _("You may not do this.")),
    404: ("not-found", _("Not found"), _("There is nothing here.")),
    500: (
        "internal-error",
        _("Internal error"),
        _("The server could not complete the request. Quote the request_id when reporting it."),
    ),
}


def error_page(status_code: int):
    """Django's handler for one status: the problem document of that status."""
    problem_type, title, detail = ERROR_PAGES[status_code]

    def handler(request, exception=None):
        return problem_json_response(
            status_code=status_code, problem_type=problem_type, title=title, detail=detail
        )

    handler.__name__ = f"handler{status_code}"
    return handler


bad_request = error_page(400)
permission_denied = error_page(403)
not_found = error_page(404)
server_error = error_page(500)
