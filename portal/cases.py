"""Officers' and viewers' cases: the inbox and the case page, through the API's selectors."""

from datetime import datetime

from django.db.models import Count
from django.http import QueryDict
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Urgency
from agencies.roles import Role
from agencies.selectors import agencies_directory, checkpoints_active
from exchange.audit import audit_record, audit_request_denied
from exchange.models import Event
from protocol.etags import etag_of
from referrals.access import allowed_actions, caller_sides, cases_visible_to
from referrals.consent import consent_covers
from referrals.filters import ReferralFilter, ReturnFilter
from referrals.models import ReferralNotice, ReferralStatus, ReturnRequest, ReturnStatus
from referrals.selectors import case_agencies, messages_of, shares_of

from .access import not_found, portal_page
from .clock import clock_of
from .document_list import documents_context
from .labels import refusal_sentences

PAGE_SIZE = 50
KINDS = {"referral": ReferralNotice, "return": ReturnRequest}
FILTERS = {ReferralNotice: ReferralFilter, ReturnRequest: ReturnFilter}
KIND_LABELS = {"referral": _("Referral notice"), "return": _("Return request")}
STATUS_CHOICES = {ReferralNotice: ReferralStatus.choices, ReturnRequest: ReturnStatus.choices}
BOXES = {"incoming": _("Incoming"), "outgoing": _("Outgoing"), "shared": _("Shared with us")}
ALL_ROLES = (Role.OFFICER, Role.VIEWER, Role.ADMIN, Role.AUDITOR)


def _kind_of(model) -> str:
    return "referral" if model is ReferralNotice else "return"


def _filtered(request, model, params: dict):
    """The caller's visible cases of ``model`` through the API's filter set (same rules)."""
    cases = cases_visible_to(model, request.caller)
    query = QueryDict(mutable=True)
    for name, value in params.items():
        if value:
            query[name] = value
    if not query:
        return cases
    if "status" in query and query["status"] not in dict(STATUS_CHOICES[model]):
        return cases.none()
    filterset = FILTERS[model](query, queryset=cases, request=request)
    return filterset.qs if filterset.is_valid() else cases.none()


def _listed(cases):
    """The columns an inbox row shows: no subject, no linked referral, nothing sealed to open.

    Only those are read, and the parties are not joined in (``_with_parties``): a box of
    thousands of cases is sorted with narrow rows.
    """
    shown = ["reference", "status", "urgency", "created_at", *cases.model.due_fields]
    return cases.select_related(None).only(*shown, "sender_agency_id", "recipient_agency_id")


def _with_parties(rows: list) -> list:
    """The rows with their sender and recipient agencies, read in one query for the page."""
    ids = {pk for case in rows for pk in (case.sender_agency_id, case.recipient_agency_id)}
    agencies = Agency.objects.in_bulk(ids)
    for case in rows:
        model = type(case)
        model.sender_agency.field.set_cached_value(case, agencies[case.sender_agency_id])
        model.recipient_agency.field.set_cached_value(case, agencies[case.recipient_agency_id])
    return rows


def _box_filter(cases, box: str, agency):
    if box == "incoming":
        return cases.filter(recipient_agency=agency)
    if box == "outgoing":
        return cases.filter(sender_agency=agency)
    return cases.exclude(recipient_agency=agency).exclude(sender_agency=agency)


def _params(request) -> dict:
    get = request.GET
    return {
        "box": get.get("box") if get.get("box") in BOXES else "incoming",
        "kind": get.get("kind") if get.get("kind") in KINDS else "",
        "status": get.get("status", ""),
        "urgency": get.get("urgency") if get.get("urgency") in Urgency.values else "",
        "overdue": "true" if get.get("overdue") == "true" else "",
        "counterpart": get.get("counterpart", ""),
        "before": get.get("before", ""),
    }


def _rows(request, params: dict) -> tuple[list, dict]:
    """Up to a page of cases of the chosen kinds, newest first, and their counts by status."""
    caller = request.caller
    auditor = caller.is_auditor
    rows, counts = [], {}
    models = [KINDS[params["kind"]]] if params["kind"] else list(KINDS.values())
    before = None
    if params["before"]:
        try:
            before = datetime.fromisoformat(params["before"])
        except ValueError:
            before = None
    for model in models:
        cases = _filtered(
            request,
            model,
            {k: params[k] for k in ("status", "urgency", "overdue", "counterpart")},
        )
        if not auditor:
            cases = _box_filter(cases, params["box"], caller.agency)
        for status, label in STATUS_CHOICES[model]:
            counts.setdefault(status, {"label": label, "count": 0})
        for entry in cases.order_by().values("status").annotate(n=Count("id")):
            counts[entry["status"]]["count"] += entry["n"]
        if before is not None:
            cases = cases.filter(created_at__lt=before)
        rows.extend(_listed(cases).order_by("-created_at", "-id")[:PAGE_SIZE])
    rows.sort(key=lambda case: case.created_at, reverse=True)
    return _with_parties(rows[:PAGE_SIZE]), {k: v for k, v in counts.items() if v["count"]}


def _row_views(rows: list, caller) -> list[dict]:
    """What each inbox row shows; the labels are looked up once per page, not per row."""
    status_labels = {model: dict(choices) for model, choices in STATUS_CHOICES.items()}
    urgency_labels = dict(Urgency.choices)
    own = caller.agency
    return [
        {
            "case": case,
            "kind": _kind_of(type(case)),
            "kind_label": KIND_LABELS[_kind_of(type(case))],
            "status_label": status_labels[type(case)][case.status],
            "urgency_label": urgency_labels.get(case.urgency, case.urgency),
            "counterpart": (
                case.sender_agency if case.recipient_agency_id == own.pk else case.recipient_agency
            ),
            "clock": clock_of(case),
        }
        for case in rows
    ]


@portal_page(*ALL_ROLES, object_type="case")
def inbox(request):
    """Incoming and outgoing cases with counts by status, filters and each running clock."""
    caller = request.caller
    params = _params(request)
    rows, counts = _rows(request, params)
    audit_record(
        actor=caller,
        action="case.list",
        object_type="case",
        agencies=[
            agency for case in rows for agency in (case.sender_agency, case.recipient_agency)
        ],
        detail={"ids": [str(case.pk) for case in rows]},
    )
    older = ""
    if len(rows) == PAGE_SIZE:
        query = request.GET.copy()
        query["before"] = rows[-1].created_at.isoformat()
        older = query.urlencode()
    return render(
        request,
        "portal/cases/inbox.html",
        {
            "rows": _row_views(rows, caller),
            "counts": counts,
            "params": params,
            "boxes": BOXES,
            "kinds": KIND_LABELS,
            "statuses": sorted(
                {*ReferralStatus.choices, *ReturnStatus.choices}, key=lambda c: str(c[1])
            ),
            "urgencies": Urgency.choices,
            "agencies": agencies_directory().exclude(pk=caller.agency.pk),
            "auditor": caller.is_auditor,
            "older": older,
        },
    )


def visible_case(request, kind: str, case_id):
    """The case if the caller's agency can see it; None (and a denial row) otherwise."""
    model = KINDS.get(kind)
    case = cases_visible_to(model, request.caller).filter(pk=case_id).first() if model else None
    if case is None:
        audit_request_denied(request, status_code=404, object_type=kind, object_id=case_id)
    return case


def _timeline(case) -> list[Event]:
    return list(
        Event.objects.filter(object_id=case.pk).select_related("actor_agency").order_by("sequence")
    )


def case_context(request, case, *, errors=None, action="") -> dict:
    """What the case page shows; auditors get metadata only (the API's redacted view)."""
    caller = request.caller
    model = type(case)
    redacted = caller.is_auditor
    sides = caller_sides(caller, case)
    context = {
        "case": case,
        "kind": _kind_of(model),
        "kind_label": KIND_LABELS[_kind_of(model)],
        "redacted": redacted,
        "clock": clock_of(case),
        "timeline": _timeline(case),
        "actions": allowed_actions(caller, case),
        "etag": etag_of(case),
        "refusals": refusal_sentences(errors or {}),
        "failed_action": action,
        "can_message": bool(sides) and case.status != "draft",
        "is_sender": "sender" in sides,
        **documents_context(caller, case),
    }
    if redacted:
        return context
    context["subject"] = case.subject
    context["messages_thread"] = list(messages_of(case))
    context["shares"] = list(shares_of(case))
    if context["is_sender"] and case.status != "draft":
        parties = {agency.pk for agency in case_agencies(case)}
        context["share_candidates"] = [
            agency
            for agency in agencies_directory()
            if agency.pk not in parties and consent_covers(case.subject, agency)
        ]
    if model is ReturnRequest and "schedule" in context["actions"]:
        countries = {case.sender_agency.country, case.recipient_agency.country}
        context["checkpoints"] = [
            point
            for point in checkpoints_active()
            if {point.country_a, point.country_b} == countries
        ]
    return context


@portal_page(*ALL_ROLES, object_type="case")
def case_page(request, kind: str, case_id):
    """One case: metadata, subject, timeline, the actions the caller may take, thread, shares."""
    case = visible_case(request, kind, case_id)
    if case is None:
        return not_found(request)
    audit_record(
        actor=request.caller,
        action=f"{kind}.read",
        object_type=kind,
        object_id=case.pk,
        reference=case.reference or "",
        agencies=[case.sender_agency, case.recipient_agency],
    )
    return render(request, "portal/cases/case.html", case_context(request, case))
