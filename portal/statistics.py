"""Auditors: the anonymised statistics of the API, as tables with their labels, and the CSV."""

from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from agencies.roles import Role
from agencies.selectors import audit_reach
from referrals.models import (
    ExploitationType,
    ReferralCategory,
    ReferralStatus,
    ReturnStatus,
    Sex,
)
from referrals.statistics import NOT_APPLICABLE, UNKNOWN, K, statistics_read
from referrals.statistics_views import StatisticsQuerySerializer
from referrals.suppression import TOTAL

from .access import portal_page
from .cases import KIND_LABELS

DIMENSION_TITLES = {
    "country_pair": _("Sending and receiving country"),
    "case_kind": _("Kind of case"),
    "category": _("Category"),
    "exploitation_type": _("Type of exploitation (a case may name several)"),
    "sex": _("Sex"),
    "age_band": _("Age (years)"),
    "outcome": _("Outcome"),
}
COMMON_LABELS = {
    TOTAL: _("Total"),
    NOT_APPLICABLE: _("Not applicable (returns)"),
    UNKNOWN: _("Unknown"),
}
VALUE_LABELS = {
    "case_kind": KIND_LABELS,
    "category": dict(ReferralCategory.choices),
    "exploitation_type": dict(ExploitationType.choices),
    "sex": dict(Sex.choices),
    "outcome": {
        **dict(ReturnStatus.choices),
        **dict(ReferralStatus.choices),
        "open": _("Still open"),
    },
}
YEARS = ("from", "to")


def _label(dimension: str, value) -> str:
    return VALUE_LABELS.get(dimension, {}).get(value) or COMMON_LABELS.get(value) or str(value)


def _table_view(table: dict) -> dict:
    """One published table with people's labels; a withheld count stays ``None``."""
    dimension = table["dimension"]
    columns = table["columns"]
    return {
        "dimension": dimension,
        "title": DIMENSION_TITLES.get(dimension, dimension),
        "htcds_field": table["htcds_field"],
        "columns": [_label(dimension, column) for column in columns],
        "rows": [
            {
                "year": _label(dimension, row["year"]),
                "total": row["year"] == TOTAL,
                "counts": [row["counts"][column] for column in columns],
            }
            for row in table["rows"]
        ],
    }


@portal_page(Role.AUDITOR, object_type="statistics")
def statistics_page(request):
    """Counts of sent cases by year and dimension in the audit scope; small counts withheld."""
    caller = request.caller
    chosen = {
        name: request.GET[name].strip() for name in YEARS if request.GET.get(name, "").strip()
    }
    query = StatisticsQuerySerializer(data=chosen)
    valid = query.is_valid()
    tables = []
    if valid:
        years = (query.validated_data["from"], query.validated_data["to"])
        report = statistics_read(actor=caller, years=years)
        tables = [_table_view(table) for table in report["tables"]]
    return render(
        request,
        "portal/oversight/statistics.html",
        {
            "tables": tables,
            "has_cases": any(len(table["rows"]) > 1 for table in tables),
            "chosen": chosen,
            "errors": query.errors if not valid else {},
            "largest_withheld": K - 1,
            "reach": audit_reach(caller.agency),
            "agency": caller.agency,
            "csv_url": f"/api/v1/reports/statistics/?{urlencode({**chosen, 'format': 'csv'})}",
        },
    )
