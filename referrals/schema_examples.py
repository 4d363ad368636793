"""Examples of the case components in the contract: a Thai-to-Cambodian referral and return."""

from protocol.schema import register_examples

from .serializers.cases import REFERRAL_WITHHELD, RETURN_WITHHELD

REFERRAL_ID = "3f9a2c1e-7b4d-4e8a-9c51-2d6f0b8e4a17"
RETURN_ID = "8c2e5a90-1f3b-4d6c-a7e8-5b9d0c3f2e61"
SENT = "2026-04-10T03:00:00Z"
SUBJECT = {
    "given_name": "Sokha",
    "family_name": "Chan",
    "name_native": "ចាន់ សុខា",
    "aliases": [],
    "sex": "female",
    "birth_date": "1999-03-14",
    "age_estimate": None,
    "nationality_claimed": "KH",
    "identity_documents": [{"type": "national_id", "number": "010203040", "issuing_country": "KH"}],
    "languages": ["km"],
    "home_address": {"province": "Battambang", "district": "", "commune": "", "village": ""},
    "family_contact": {"name": "Chan Dara", "relationship": "mother", "phone": "", "address": ""},
    "vulnerabilities": [],
    "consent": {
        "status": "given",
        "recorded_at": "2026-04-09T08:00:00Z",
        "scope": ["social_welfare", "ngo"],
    },
}
SUBJECT_INPUT = {k: v for k, v in SUBJECT.items() if k != "is_minor"}
CASE = {
    "reference": "REF-TH-KH-2026-000042",
    "sender_agency": "TH-MSDHS",
    "recipient_agency": "KH-MOSVY",
    "urgency": "urgent",
    "created_at": "2026-04-09T09:12:00Z",
    "updated_at": SENT,
}
REFERRAL = {
    **CASE,
    "id": REFERRAL_ID,
    "category": "trafficking_victim",
    "exploitation_types": ["forced_labour"],
    "subject": {**SUBJECT, "is_minor": False},
    "summary": "Identified during a labour inspection in Sa Kaeo.",
    "requested_actions": ["family_tracing", "repatriation"],
    "identified_on": "2026-04-08",
    "identified_place": "Sa Kaeo",
    "status": "sent",
    "allowed_actions": ["withdraw"],
    "sent_at": SENT,
    "acknowledged_at": None,
    "accepted_at": None,
    "rejected_at": None,
    "withdrawn_at": None,
    "closed_at": None,
    "acknowledge_due_at": "2026-04-11T03:00:00Z",
    "respond_due_at": "2026-04-22T17:00:00Z",
    "is_overdue": False,
    "focal_point": "",
    "rejection_reason": "",
    "withdrawal_reason": "",
    "outcome": "",
}
RETURN = {
    **CASE,
    "id": RETURN_ID,
    "reference": "RET-TH-KH-2026-000007",
    "referral": REFERRAL_ID,
    "subject": {**SUBJECT, "is_minor": False},
    "basis": "victim_repatriation",
    "proposed_checkpoint": "KH-TH-POIPET",
    "proposed_date": "2026-05-04",
    "status": "scheduled",
    "allowed_actions": ["schedule", "cancel"],
    "requested_at": SENT,
    "acknowledged_at": "2026-04-10T07:30:00Z",
    "verified_at": "2026-04-20T02:00:00Z",
    "rejected_at": None,
    "scheduled_at": "2026-04-21T04:00:00Z",
    "handed_over_at": None,
    "cancelled_at": None,
    "verification_due_at": "2026-05-22T17:00:00Z",
    "is_overdue": False,
    "verification": {
        "identity_confirmed": True,
        "nationality_confirmed": True,
        "family_traced": True,
        "notes": "",
    },
    "scheduled_date": "2026-05-04",
    "checkpoint": "KH-TH-POIPET",
    "handover": None,
    "rejection_reason": "",
    "cancellation_reason": "",
}


def _redacted(case: dict, withheld: frozenset[str]) -> dict:
    """The example as an auditor reads it: without what the redacted serializer withholds."""
    return {key: value for key, value in case.items() if key not in withheld}


REFERRAL_WRITE = {
    "recipient_agency": "KH-MOSVY",
    "category": "trafficking_victim",
    "exploitation_types": ["forced_labour"],
    "urgency": "urgent",
    "subject": SUBJECT_INPUT,
    "summary": "Identified during a labour inspection in Sa Kaeo.",
    "requested_actions": ["family_tracing", "repatriation"],
    "identified_on": "2026-04-08",
    "identified_place": "Sa Kaeo",
}
RETURN_WRITE = {
    "recipient_agency": "KH-MOSVY",
    "referral": REFERRAL_ID,
    "basis": "victim_repatriation",
    "urgency": "urgent",
    "proposed_checkpoint": "KH-TH-POIPET",
    "proposed_date": "2026-05-04",
}
register_examples(
    {
        "Referral": REFERRAL,
        "RedactedReferral": _redacted(REFERRAL, REFERRAL_WITHHELD),
        "Return": RETURN,
        "RedactedReturn": _redacted(RETURN, RETURN_WITHHELD),
        "ReferralWriteRequest": REFERRAL_WRITE,
        "PatchedReferralWriteRequest": {"urgency": "emergency"},
        "ReturnWriteRequest": RETURN_WRITE,
        "PatchedReturnWriteRequest": {"proposed_date": "2026-05-06"},
        "FocalPointRequest": {"focal_point": "Ms Dara Sok, MOSVY child protection"},
        "ReasonRequest": {"reason": "The person is not a national of Cambodia."},
        "OutcomeRequest": {"outcome": "Returned to her family in Battambang."},
        "VerifyRequest": {
            "verification": {
                "identity_confirmed": True,
                "nationality_confirmed": True,
                "family_traced": True,
                "notes": "Mother met by the provincial office.",
            }
        },
        "ScheduleRequest": {"date": "2026-05-04", "checkpoint": "KH-TH-POIPET"},
        "ConfirmHandoverRequest": {
            "handover": {
                "at": "2026-05-04T03:30:00Z",
                "received_by": "Mr Vannak Kim, Poipet transit centre",
                "notes": "",
            }
        },
        "MessageRequest": {"body": "The family can receive her from 4 May."},
        "Message": {
            "id": "b6d3f1a2-0c4e-4f8b-9a7d-1e2c3b4a5d6f",
            "author_agency": "KH-MOSVY",
            "author_on_behalf_of": "officer-1234",
            "body": "The family can receive her from 4 May.",
            "created_at": "2026-04-12T02:10:00Z",
        },
        "RedactedMessage": {
            "id": "b6d3f1a2-0c4e-4f8b-9a7d-1e2c3b4a5d6f",
            "author_agency": "KH-MOSVY",
            "created_at": "2026-04-12T02:10:00Z",
        },
        "ShareRequest": {"agency": "IOM-KH"},
        "Share": {
            "id": "c1a2b3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            "agency": "IOM-KH",
            "created_at": "2026-04-12T03:00:00Z",
            "revoked_at": None,
        },
    }
)

register_examples(
    {
        "ConsentChange": {
            "id": "6c5b4a39-2817-4f06-9e5d-4c3b2a190807",
            "status": "given",
            "scope": ["social_welfare", "ngo"],
            "recorded_at": "2026-04-12T08:30:00Z",
            "previous_status": "given",
            "previous_scope": ["social_welfare", "ngo", "police"],
            "agency": "TH-MSDHS",
            "created_at": "2026-04-12T08:31:00Z",
        },
        "ConsentChangeRequest": {"status": "given", "scope": ["social_welfare", "ngo"]},
        "Document": {
            "id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "kind": "consent_form",
            "description": "Consent form signed at the shelter",
            "file_name": "consent.pdf",
            "content_type": "application/pdf",
            "size": 48213,
            "uploaded_by_agency": "TH-MSDHS",
            "created_at": "2026-04-10T04:00:00Z",
        },
    }
)
