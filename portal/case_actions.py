"""Acting on a case from its page: the workflow actions, the thread and shares, via services."""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies.models import Agency
from agencies.roles import Role
from referrals import services
from referrals.access import allowed_actions
from referrals.models import Share
from referrals.serializers import (
    ConfirmHandoverSerializer,
    FocalPointSerializer,
    OutcomeSerializer,
    ReasonSerializer,
    ScheduleSerializer,
    VerifySerializer,
)

from .access import not_found, portal_page
from .cases import case_context, visible_case
from .errors import REFUSALS, refusal_of

ACTING_ROLES = (Role.OFFICER,)
# The API's body of each action, by kind of case (as the API's action endpoints declare them).
PAYLOADS = {
    "referral": {
        "acknowledge": FocalPointSerializer,
        "reject": ReasonSerializer,
        "withdraw": ReasonSerializer,
        "close": OutcomeSerializer,
    },
    "return": {
        "verify": VerifySerializer,
        "reject": ReasonSerializer,
        "schedule": ScheduleSerializer,
        "confirm_handover": ConfirmHandoverSerializer,
        "cancel": ReasonSerializer,
    },
}
CASE_ARGUMENT = {"referral": "referral", "return": "return_request"}


def _local_datetime(value: str) -> str:
    """A ``datetime-local`` input, read in the person's country time, as ISO 8601 with offset."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return moment.isoformat()


def _payload(action: str, post) -> dict:
    """The API body of ``action`` from the form's fields."""
    if action == "verify":
        return {
            "verification": {
                "identity_confirmed": post.get("identity_confirmed") == "on",
                "nationality_confirmed": post.get("nationality_confirmed") == "on",
                "family_traced": post.get("family_traced") == "on",
                "notes": post.get("notes", ""),
            }
        }
    if action == "confirm_handover":
        return {
            "handover": {
                "at": _local_datetime(post.get("at", "")),
                "received_by": post.get("received_by", ""),
                "notes": post.get("notes", ""),
            }
        }
    if action == "schedule":
        return {"date": post.get("date", ""), "checkpoint": post.get("checkpoint", "")}
    fields = {"acknowledge": "focal_point", "close": "outcome"}
    name = fields.get(action, "reason")
    return {name: post.get(name, "")}


def refused_page(request, kind, case_id, exc, action=""):
    """The case page again, as it is now, with what was refused and why."""
    status, errors = refusal_of(exc)
    case = visible_case(request, kind, case_id)
    if case is None:
        return not_found(request)
    context = case_context(request, case, errors=errors, action=action)
    # The refused form shows again with what the person entered, to correct rather than retype.
    context["entered"] = request.POST
    return render(request, "portal/cases/case.html", context, status=status)


@require_POST
@portal_page(*ACTING_ROLES, object_type="case")
def act(request, kind: str, case_id, action: str):
    """Run one workflow action with its inputs, against the version the person last saw."""
    case = visible_case(request, kind, case_id)
    if case is None:
        return not_found(request)
    service = getattr(services, f"{kind}_{action}", None)
    if service is None or action not in allowed_actions(request.caller, case):
        return not_found(request)
    try:
        data = {}
        if action in PAYLOADS[kind]:
            payload = PAYLOADS[kind][action](
                data=_payload(action, request.POST), context={"caller": request.caller}
            )
            payload.is_valid(raise_exception=True)
            data = dict(payload.validated_data)
        service(
            **{CASE_ARGUMENT[kind]: case},
            actor=request.caller,
            if_match=request.POST.get("etag") or None,
            **data,
        )
    except REFUSALS as exc:
        return refused_page(request, kind, case_id, exc, action)
    messages.success(request, _("Done: the case is updated."))
    return redirect("portal:case", kind=kind, case_id=case_id)


@require_POST
@portal_page(*ACTING_ROLES, object_type="case")
def post_message(request, kind: str, case_id):
    case = visible_case(request, kind, case_id)
    if case is None:
        return not_found(request)
    try:
        services.case_message_post(
            case=case, actor=request.caller, body=request.POST.get("body", "")
        )
    except REFUSALS as exc:
        return refused_page(request, kind, case_id, exc, "message")
    messages.success(request, _("Message sent."))
    return redirect("portal:case", kind=kind, case_id=case_id)


@require_POST
@portal_page(*ACTING_ROLES, object_type="case")
def share(request, kind: str, case_id):
    case = visible_case(request, kind, case_id)
    if case is None:
        return not_found(request)
    agency = Agency.objects.filter(code=request.POST.get("agency", ""), is_active=True).first()
    try:
        if agency is None:
            raise ValidationError({"agency": _("Choose an agency.")})
        services.case_share(case=case, actor=request.caller, agency=agency)
    except REFUSALS as exc:
        return refused_page(request, kind, case_id, exc, "share")
    messages.success(request, _("The case is shared."))
    return redirect("portal:case", kind=kind, case_id=case_id)


@require_POST
@portal_page(*ACTING_ROLES, object_type="case")
def revoke_share(request, kind: str, case_id, share_id):
    case = visible_case(request, kind, case_id)
    if case is None:
        return not_found(request)
    found = Share.objects.filter(**{case.case_field: case}, pk=share_id).first()
    if found is None:
        return not_found(request)
    try:
        services.case_share_revoke(share=found, actor=request.caller)
    except REFUSALS as exc:
        return refused_page(request, kind, case_id, exc, "share")
    messages.success(request, _("The share is revoked."))
    return redirect("portal:case", kind=kind, case_id=case_id)
