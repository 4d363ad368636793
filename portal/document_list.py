"""The documents section of a case page: what the API lists to the caller, and what they may do."""

from django.conf import settings

from exchange.audit import audit_record
from referrals.access import caller_sides
from referrals.models import DocumentKind
from referrals.services import documents as document_services
from referrals.workflows import SENDER

from .errors import REFUSALS, refusal_of


def documents_context(caller, case) -> dict:
    """The documents section of a case page, as the API lists them to this caller (audited)."""
    context = {
        "document_kinds": DocumentKind.choices,
        "document_max_bytes": settings.DOCUMENT_MAX_BYTES,
        "documents": [],
    }
    try:
        if not caller.is_auditor:
            document_services.ensure_may_read_documents(caller, case)
        # Names and descriptions are sealed: a key the ring lacks refuses the list, not the page.
        documents = list(document_services.documents_of(case).order_by("-created_at", "-id"))
    except REFUSALS as exc:
        context["documents_refusal"] = " ".join(
            message for problems in refusal_of(exc)[1].values() for message in problems
        )
        return context
    audit_record(
        actor=caller,
        action=f"{case.kind}.documents.read",
        object_type=case.kind,
        object_id=case.pk,
        reference=case.reference or "",
        agencies=[case.sender_agency, case.recipient_agency],
    )
    sides = caller_sides(caller, case)
    own_draft = SENDER in sides and case.status == "draft"
    for document in documents:
        document.deletable = own_draft and document.uploaded_by_agency_id == caller.agency.pk
    context["documents"] = documents
    context["can_add_documents"] = bool(sides) and case.status not in case.workflow.final_states
    return context
