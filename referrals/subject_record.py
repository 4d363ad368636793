"""The person's record: everything held on a case's subject, for a subject access request."""

from datetime import datetime

from django.utils import timezone

from agencies.authentication import Caller
from agencies.roles import Role

from .models import ConsentChange, ReferralNotice
from .selectors import messages_of, shares_of
from .serializers import ConsentChangeSerializer, ReferralSerializer, ReturnSerializer
from .services.documents import documents_of
from .services.retention import retention_years_between, years_shifted

# The roles of a party's agency that answer a subject access request.
RECORD_ROLES = frozenset({Role.OFFICER, Role.ADMIN})


def may_export_record(caller: Caller, case) -> bool:
    """The sending or receiving agency's officers and admins: the controllers of the data.

    Not a third agency (it holds a read-only copy by share), not auditors (who never see the
    person), not viewers.
    """
    if caller.is_auditor or caller.role not in RECORD_ROLES:
        return False
    return bool(getattr(case, "can_change", False) or getattr(case, "can_respond", False))


def case_documents_listed(case) -> list[dict]:
    """The documents held on the case: kind, name, type, size, who added them and when."""
    return [
        {
            "id": str(document.pk),
            "kind": document.kind,
            "file_name": document.file_name,
            "description": document.description,
            "content_type": document.content_type,
            "size": document.size,
            "uploaded_by_agency": document.uploaded_by_agency.code,
            "created_at": document.created_at,
        }
        for document in documents_of(case).select_related("uploaded_by_agency")
    ]


def _disclosures(case) -> list[dict]:
    """Every agency the person's data went to, with when and in which role."""
    sent_at = case.sent_at if isinstance(case, ReferralNotice) else case.requested_at
    rows = [{"agency": case.sender_agency.code, "as": "sender", "since": case.created_at}]
    if sent_at:
        rows.append({"agency": case.recipient_agency.code, "as": "recipient", "since": sent_at})
    rows += [
        {
            "agency": share.agency.code,
            "as": "share",
            "since": share.created_at,
            "until": share.revoked_at,
        }
        for share in shares_of(case).order_by("created_at", "id")
    ]
    return rows


def _retention(case) -> dict:
    years = retention_years_between(case.sender_agency.country, case.recipient_agency.country)
    until = years_shifted(case.ended_at, years) if case.ended_at and years else None
    return {
        "years_after_the_case_ends": years,
        "ended_at": case.ended_at,
        "pseudonymised_from": until,
        "pseudonymised_at": case.redacted_at,
    }


def subject_record(case, *, caller: Caller, now: datetime | None = None) -> dict:
    """The record as data: the case with its subject, consent history, messages, recipients."""
    serializer = ReferralSerializer if isinstance(case, ReferralNotice) else ReturnSerializer
    case_data = dict(serializer(case, context={"caller": caller}).data)
    case_data.pop("allowed_actions", None)
    subject = case_data.pop("subject")
    subject["birth_year"] = case.subject.birth_year
    consent = ConsentChange.objects.filter(subject_id=case.subject_id).select_related("agency")
    return {
        "generated_at": now or timezone.now(),
        "generated_by": caller.agency.code,
        "kind": "referral" if isinstance(case, ReferralNotice) else "return",
        "subject": subject,
        "case": case_data,
        "consent_history": ConsentChangeSerializer(
            consent.order_by("created_at", "id"), many=True
        ).data,
        "messages": [
            {
                "author_agency": message.author_agency.code,
                "created_at": message.created_at,
                "body": message.body,
            }
            for message in messages_of(case).order_by("created_at", "id")
        ],
        "disclosed_to": _disclosures(case),
        "documents": case_documents_listed(case),
        "retention": _retention(case),
    }
