"""Health probes, Django's error pages as problem details, and the auditors' audit trail."""

import itertools
import logging

from celery import current_app as celery_app
from django.db import connection
from django.http import JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.settings import api_settings

from agencies.roles import Role

from .audit import audit_events_visible_to, audit_record
from .filters import AuditEventFilter
from .models import AuditEvent
from .problems import problem_json_response
from .renderers import CsvStreamRenderer, csv_lines
from .serializers import AuditEventSerializer
from .viewsets import ExchangeViewSet

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


FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv"],
    description="csv: every matching event, oldest first, streamed as CSV (no pagination).",
)


class AuditEventViewSet(ExchangeViewSet):
    """The audit trail for auditors: their country's exchanges, or all for international
    oversight. Each query is itself recorded."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    allowed_roles = {Role.AUDITOR}
    read_scope = "audit:read"
    cursor_ordering = ("-sequence",)
    audit_object_type = "audit_event"
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CsvStreamRenderer]

    def get_queryset(self):
        if self.is_schema_request:
            return AuditEvent.objects.none()
        return audit_events_visible_to(self.caller)

    @extend_schema(
        summary="Audit events visible to the auditor, newest first; CSV with ?format=csv",
        parameters=[FORMAT_PARAMETER],
        responses={
            (200, "application/json"): OpenApiResponse(
                AuditEventSerializer(many=True), description="A page of audit events."
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="Every matching event, one a line."
            ),
        },
    )
    def list(self, request):
        events = self.filter_queryset(self.get_queryset())
        as_csv = request.accepted_renderer.format == CsvStreamRenderer.format
        paging = sorted({"cursor", "limit"} & set(request.query_params))
        if as_csv and paging:
            raise ValidationError(
                {
                    name: [_("A CSV export holds every matching event; leave this out.")]
                    for name in paging
                }
            )
        audit_record(
            actor=self.caller,
            action="audit_event.list",
            object_type=self.audit_object_type,
            detail={"format": "csv" if as_csv else "json", "filters": self._filters_used()},
        )
        if as_csv:
            return self._csv(events.order_by("sequence"))
        page = self.paginate_queryset(events)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _filters_used(self) -> dict:
        return {
            name: value
            for name, value in self.request.query_params.items()
            if name in self.filterset_class.base_filters
        }

    def _csv(self, events) -> StreamingHttpResponse:
        serializer = self.get_serializer()
        found = events.iterator(chunk_size=2000)
        # The query runs here, so that its errors are still a problem response, not a cut stream.
        first = next(found, None)
        rows = (
            serializer.to_representation(event)
            for event in itertools.chain([first] if first else [], found)
        )
        return StreamingHttpResponse(
            csv_lines(list(serializer.fields), rows),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit-events.csv"'},
        )
