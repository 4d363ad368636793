"""Auditors: the SLA report with its charts, and the audit trail with filters and CSV."""

from django.http import QueryDict
from django.shortcuts import render
from django.utils.http import urlencode

from agencies.models import Country
from agencies.roles import Role
from agencies.selectors import audit_reach
from exchange.audit import audit_events_visible_to, audit_record
from exchange.filters import AuditEventFilter
from exchange.models import AuditEvent
from referrals.oversight import SlaQuerySerializer, _report

from .access import portal_page

TRAIL_PAGE = 100
TRAIL_FILTERS = ("agency", "actor", "action", "reference", "outcome", "from", "to")


def _bar_width(value: float | None, largest: float) -> float:
    return 0 if not value or not largest else round(300 * value / largest, 1)


@portal_page(Role.AUDITOR, object_type="sla_report")
def sla_report(request):
    """Per pair of agencies: cases, times to acknowledge and answer, on time, overdue now."""
    caller = request.caller
    query = SlaQuerySerializer(data=request.GET)
    valid = query.is_valid()
    rows = _report(caller, query.validated_data) if valid else []
    slowest = max((row["answer_median_hours"] or 0 for row in rows), default=0)
    for row in rows:
        row["answer_bar"] = _bar_width(row["answer_median_hours"], slowest)
        row["on_time_bar"] = _bar_width(row["answered_on_time_share"], 1)
    window = query.validated_data if valid else {}
    csv_query = {"format": "csv"}
    if window:
        csv_query.update({"from": window["from"].isoformat(), "to": window["to"].isoformat()})
    if request.GET.get("country"):
        csv_query["country"] = request.GET["country"]
    return render(
        request,
        "portal/oversight/sla.html",
        {
            "rows": rows,
            "errors": query.errors if not valid else {},
            "window": window,
            "countries": Country.choices,
            "country": request.GET.get("country", ""),
            "reach": audit_reach(caller.agency),
            "agency": caller.agency,
            "csv_url": f"/api/v1/reports/sla/?{urlencode(csv_query)}",
        },
    )


@portal_page(Role.AUDITOR, object_type="audit_event")
def trail(request):
    """The audit trail within the agency's audit scope, newest first, through the API's filters."""
    params = {name: request.GET.get(name, "").strip() for name in TRAIL_FILTERS}
    query = QueryDict(mutable=True)
    for name, value in params.items():
        if value:
            query[name] = value
    events = audit_events_visible_to(request.caller)
    filterset = AuditEventFilter(query, queryset=events, request=request)
    valid = filterset.is_valid()
    events = filterset.qs if valid else events.none()
    before = request.GET.get("before", "")
    if before.isdigit():
        events = events.filter(sequence__lt=int(before))
    rows = list(events.order_by("-sequence")[:TRAIL_PAGE])
    audit_record(
        actor=request.caller,
        action="audit_event.list",
        object_type="audit_event",
        detail={"format": "html", "filters": {k: v for k, v in params.items() if v}},
    )
    older = ""
    if len(rows) == TRAIL_PAGE:
        more = request.GET.copy()
        more["before"] = rows[-1].sequence
        older = more.urlencode()
    return render(
        request,
        "portal/oversight/trail.html",
        {
            "rows": rows,
            "params": params,
            "errors": filterset.errors if not valid else {},
            "outcomes": AuditEvent.Outcome.choices,
            "csv_url": f"/api/v1/audit-events/?{urlencode({**query.dict(), 'format': 'csv'})}",
            "older": older,
        },
    )
