"""The person's record as a PDF in the reading agency's language (WeasyPrint, Pango fonts)."""

from datetime import date, datetime

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agencies.models import Agency, AgencyKind, Country

from .models import (
    ConsentStatus,
    ExploitationType,
    ReferralCategory,
    ReferralStatus,
    RequestedAction,
    ReturnBasis,
    ReturnStatus,
    Sex,
)


def _label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value)) if value else ""


def _labels(choices, values) -> str:
    return ", ".join(_label(choices, value) for value in values or [])


def _part_labels() -> dict:
    """Labels of the parts of an address, a family contact, a verification and a handover."""
    return {
        "province": _("Province"),
        "district": _("District"),
        "commune": _("Commune"),
        "village": _("Village"),
        "name": _("Name"),
        "relationship": _("Relationship"),
        "phone": _("Phone"),
        "address": _("Address"),
        "identity_confirmed": _("Identity confirmed"),
        "nationality_confirmed": _("Nationality confirmed"),
        "family_traced": _("Family traced"),
        "notes": _("Notes"),
        "at": _("Handed over at"),
        "received_by": _("Received by"),
    }


def _mapping(value: dict) -> str:
    labels = _part_labels()
    parts = []
    for key, item in (value or {}).items():
        if isinstance(item, bool):
            item = _("Yes") if item else _("No")
        if item:
            parts.append(f"{labels.get(key, key)}: {item}")
    return "; ".join(parts)


class _Clock:
    """Times in the reading agency's zone, named."""

    def __init__(self, agency: Agency):
        self.zone = agency.timezone

    def __call__(self, value) -> str:
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if isinstance(value, datetime):
            return f"{timezone.localtime(value, self.zone):%Y-%m-%d %H:%M} ({self.zone.key})"
        if isinstance(value, date):
            return value.isoformat()
        return ""


def _person_rows(subject: dict, when) -> list[tuple[str, str]]:
    consent = subject.get("consent") or {}
    documents = [
        f"{doc['type']} {doc['number']} ({doc['issuing_country']})"
        for doc in subject.get("identity_documents") or []
    ]
    return [
        (_("Given name"), subject.get("given_name")),
        (_("Family name"), subject.get("family_name")),
        (_("Name in native script"), subject.get("name_native")),
        (_("Other names"), ", ".join(subject.get("aliases") or [])),
        (_("Sex"), _label(Sex, subject.get("sex"))),
        (_("Date of birth"), subject.get("birth_date") or ""),
        (_("Year of birth"), subject.get("birth_year") or ""),
        (_("Estimated age"), subject.get("age_estimate") or ""),
        (_("Nationality claimed"), _label(Country, subject.get("nationality_claimed"))),
        (_("Identity documents"), "; ".join(documents)),
        (_("Languages"), ", ".join(subject.get("languages") or [])),
        (_("Home address"), _mapping(subject.get("home_address"))),
        (_("Family contact"), _mapping(subject.get("family_contact"))),
        (_("Vulnerabilities"), ", ".join(subject.get("vulnerabilities") or [])),
        (_("Consent"), _label(ConsentStatus, consent.get("status"))),
        (_("Agencies that may receive the data"), _labels(AgencyKind, consent.get("scope"))),
        (_("Consent recorded"), when(consent.get("recorded_at"))),
    ]


def _case_rows(kind: str, case: dict, when) -> list[tuple[str, str]]:
    if kind == "referral":
        specific = [
            (_("Status"), _label(ReferralStatus, case["status"])),
            (_("Category"), _label(ReferralCategory, case["category"])),
            (_("Exploitation"), _labels(ExploitationType, case["exploitation_types"])),
            (_("Requested actions"), _labels(RequestedAction, case["requested_actions"])),
            (_("Identified on"), case["identified_on"]),
            (_("Place of identification"), case["identified_place"]),
            (_("Summary"), case["summary"]),
            (_("Reason"), case["rejection_reason"] or case["withdrawal_reason"]),
            (_("Outcome"), case["outcome"]),
        ]
    else:
        specific = [
            (_("Status"), _label(ReturnStatus, case["status"])),
            (_("Basis"), _label(ReturnBasis, case["basis"])),
            (_("Verification"), _mapping(case["verification"])),
            (_("Handover"), _mapping(case["handover"])),
            (_("Reason"), case["rejection_reason"] or case["cancellation_reason"]),
        ]
    return [
        (_("Reference"), case["reference"] or _("draft")),
        (_("Sending agency"), case["sender_agency"]),
        (_("Receiving agency"), case["recipient_agency"]),
        (_("Created"), when(case["created_at"])),
        *specific,
    ]


def subject_record_pdf(record: dict, *, agency: Agency) -> bytes:
    """Render ``record`` (see ``subject_record``) as a PDF in ``agency``'s language."""
    from weasyprint import HTML  # Loads Pango on first use, not at every start of the app.

    with translation.override(agency.language):
        when = _Clock(agency)
        roles = {"sender": _("Sender"), "recipient": _("Recipient"), "share": _("Share")}
        retention = record["retention"]
        html = render_to_string(
            "referrals/subject_record.html",
            {
                "record": record,
                "generated_at": when(record["generated_at"]),
                "person": _person_rows(record["subject"], when),
                "case": _case_rows(record["kind"], record["case"], when),
                "consent_history": [
                    {
                        "when": when(change["created_at"]),
                        "agency": change["agency"],
                        "before": _label(ConsentStatus, change["previous_status"]),
                        "after": _label(ConsentStatus, change["status"]),
                        "scope": _labels(AgencyKind, change["scope"]),
                    }
                    for change in record["consent_history"]
                ],
                "messages": [
                    {**message, "when": when(message["created_at"])}
                    for message in record["messages"]
                ],
                "disclosed_to": [
                    {
                        "agency": row["agency"],
                        "as": roles[row["as"]],
                        "since": when(row["since"]),
                        "until": when(row.get("until")),
                    }
                    for row in record["disclosed_to"]
                ],
                "retention_years": retention["years_after_the_case_ends"],
                "pseudonymised_from": when(retention["pseudonymised_from"]),
                "pseudonymised_at": when(retention["pseudonymised_at"]),
            },
        )
    return HTML(string=html).write_pdf()
