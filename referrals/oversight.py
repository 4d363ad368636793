"""Oversight: the SLA report for auditors, as JSON or CSV (the portal draws it as a page)."""

from datetime import UTC, date, datetime, time, timedelta

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings

from agencies.models import Country
from agencies.roles import Role
from agencies.selectors import audit_reach
from exchange.audit import audit_record
from protocol.filters import refuse_unknown_and_empty
from protocol.renderers import CsvStreamRenderer, csv_lines
from protocol.viewsets import ExchangeAPIView

from .reports import SLA_COLUMNS, sla_by_pair, sla_rows

DEFAULT_WINDOW_DAYS = 90


class SlaQuerySerializer(serializers.Serializer):
    """The report's window (sent on or after ``from``, before the end of ``to``) and country."""

    country = serializers.ChoiceField(choices=Country.choices, required=False)
    format = serializers.ChoiceField(choices=["json", "csv"], required=False)

    def validate(self, attrs):
        # An empty value would otherwise be taken as no value: refused, as the filters do.
        refuse_unknown_and_empty(self.initial_data, known={"from", "to", "country", "format"})
        today = timezone.localdate()
        attrs["to"] = self._date("to", today)
        attrs["from"] = self._date("from", attrs["to"] - timedelta(days=DEFAULT_WINDOW_DAYS))
        if attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": [_("from is after to.")]})
        return attrs

    def _date(self, name: str, default: date) -> date:
        raw = self.initial_data.get(name)
        if raw is None:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError as exc:
            raise serializers.ValidationError({name: [_("A date such as 2026-04-30.")]}) from exc


SLA_PARAMETERS = [
    OpenApiParameter(
        "from", OpenApiTypes.DATE, description="First day (default: 90 days before to)."
    ),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (default: today)."),
    OpenApiParameter("country", str, enum=Country.values, description="Pairs with this country."),
    OpenApiParameter("format", str, enum=["json", "csv"]),
]


def _report(caller, query: dict) -> list[dict]:
    start = datetime.combine(query["from"], time.min, tzinfo=UTC)
    end = datetime.combine(query["to"] + timedelta(days=1), time.min, tzinfo=UTC)
    reach = audit_reach(caller.agency)
    audit_record(
        actor=caller,
        action="sla_report.read",
        object_type="sla_report",
        detail={key: str(query[key]) for key in ("from", "to", "country") if query.get(key)},
    )
    figures = sla_by_pair(sent_from=start, sent_to=end, reach=reach, country=query.get("country"))
    return sla_rows(figures)


PAIR_FIELDS = {
    "sender": serializers.CharField(),
    "recipient": serializers.CharField(),
    "cases": serializers.IntegerField(),
    "acknowledge_median_hours": serializers.FloatField(allow_null=True),
    "acknowledge_p90_hours": serializers.FloatField(allow_null=True),
    "answer_median_hours": serializers.FloatField(allow_null=True),
    "answer_p90_hours": serializers.FloatField(allow_null=True),
    "answered_on_time_share": serializers.FloatField(allow_null=True),
    "overdue_now": serializers.IntegerField(),
}


class SlaReportView(ExchangeAPIView):
    """Per pair of agencies: cases, times to acknowledge and to answer, on-time share, overdue."""

    allowed_roles = {Role.AUDITOR}
    read_scope = "audit:read"
    audit_object_type = "sla_report"
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CsvStreamRenderer]

    @extend_schema(
        summary="Deadline report per pair of agencies",
        parameters=SLA_PARAMETERS,
        responses={
            (200, "application/json"): inline_serializer(
                "SlaReport",
                {
                    "from": serializers.DateField(),
                    "to": serializers.DateField(),
                    "pairs": inline_serializer("SlaPair", PAIR_FIELDS, many=True),
                },
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One line a pair."),
        },
    )
    def get(self, request):
        query = SlaQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = _report(self.caller, query.validated_data)
        if request.accepted_renderer.format == CsvStreamRenderer.format:
            response = StreamingHttpResponse(csv_lines(SLA_COLUMNS, rows), content_type="text/csv")
            response["Content-Disposition"] = 'attachment; filename="sla-report.csv"'
            return response
        window = query.validated_data
        return Response({"from": window["from"], "to": window["to"], "pairs": rows})
