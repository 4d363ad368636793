"""The anonymised statistics for auditors, as JSON or CSV, within their audit scope."""

from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings

from agencies.roles import Role
from protocol.filters import refuse_unknown_and_empty
from protocol.renderers import CsvStreamRenderer, csv_lines
from protocol.viewsets import ExchangeAPIView

from .statistics import STATISTICS_COLUMNS, statistics_csv_rows, statistics_read

YEAR = {"type": "integer", "minimum": 2000, "maximum": 2100}


class StatisticsQuerySerializer(serializers.Serializer):
    """Years of sending, both included; every year by default."""

    format = serializers.ChoiceField(choices=["json", "csv"], required=False)

    def validate(self, attrs):
        refuse_unknown_and_empty(self.initial_data, known={"from", "to", "format"})
        for name in ("from", "to"):
            raw = self.initial_data.get(name)
            if raw is not None and not (
                raw.isascii() and raw.isdigit() and 2000 <= int(raw) <= 2100
            ):
                raise serializers.ValidationError({name: [_("A year such as 2026.")]})
            attrs[name] = int(raw) if raw is not None else None
        if attrs["from"] and attrs["to"] and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": [_("from is after to.")]})
        return attrs


class StatisticsView(ExchangeAPIView):
    """Counts of sent cases by year and by each dimension; no count below 11, none derivable."""

    allowed_roles = {Role.AUDITOR}
    read_scope = "audit:read"
    audit_object_type = "statistics"
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CsvStreamRenderer]

    @extend_schema(
        summary="Anonymised statistics of the exchanges in your audit scope",
        parameters=[
            OpenApiParameter("from", YEAR, description="First year of sending."),
            OpenApiParameter("to", YEAR, description="Last year of sending, included."),
            OpenApiParameter("format", str, enum=["json", "csv"]),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="k, country and tables: per dimension, rows by year with counts "
                "by value (null: withheld).",
                examples=[
                    OpenApiExample(
                        "statistics",
                        value={"k": 11, "tables": {"sex": [{"year": 2026, "female": 14}]}},
                    )
                ],
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="One line a cell."),
        },
    )
    def get(self, request):
        query = StatisticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        years = (query.validated_data["from"], query.validated_data["to"])
        report = statistics_read(actor=self.caller, years=years)
        if request.accepted_renderer.format == CsvStreamRenderer.format:
            response = StreamingHttpResponse(
                csv_lines(STATISTICS_COLUMNS, statistics_csv_rows(report)),
                content_type="text/csv",
            )
            response["Content-Disposition"] = 'attachment; filename="statistics.csv"'
            return response
        return Response(report)
