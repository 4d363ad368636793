"""Retention: pseudonymise the personal data of cases that ended longer ago than agreed."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from agencies.models import Agreement
from exchange.audit import audit_record

from ..models import CaseMessage, ReferralNotice, ReturnRequest, Subject
from .common import record_change
from .documents import case_documents_erase

CASE_MODELS = (ReferralNotice, ReturnRequest)
# Free texts of a case that may name or describe the person: emptied with the subject.
FREE_TEXTS = {
    ReferralNotice: (
        "summary",
        "identified_place",
        "rejection_reason",
        "withdrawal_reason",
        "outcome",
    ),
    ReturnRequest: ("rejection_reason", "cancellation_reason"),
}
# Keys of a return's JSON notes that are free text.
NOTE_FIELDS = ("verification", "handover")


def years_shifted(moment: datetime, years: int) -> datetime:
    """The same instant ``years`` calendar years later (earlier if negative); 29 February
    becomes the 28th."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def retention_years_between(country_1: str, country_2: str) -> int | None:
    """The years the agreement between two countries keeps personal data after a case ends."""
    first, second = sorted([country_1, country_2])
    return (
        Agreement.objects.filter(country_a=first, country_b=second)
        .values_list("retention_years", flat=True)
        .first()
    )


def _pair(agreement: Agreement) -> Q:
    a, b = agreement.country_a, agreement.country_b
    return Q(sender_agency__country=a, recipient_agency__country=b) | Q(
        sender_agency__country=b, recipient_agency__country=a
    )


def retention_due(model, *, now: datetime) -> QuerySet:
    """Cases of ``model`` whose retention period has passed and that are not yet redacted.

    Read through the partial index on ``ended_at`` of ended, unredacted cases: one range per
    agreement, the cut-off being its retention period before ``now``.
    """
    due = Q()
    for agreement in Agreement.objects.all():
        due |= Q(ended_at__lte=years_shifted(now, -agreement.retention_years)) & _pair(agreement)
    if not due:
        return model.objects.none()
    return model.objects.filter(due, ended_at__isnull=False, redacted_at__isnull=True)


def pseudonymised_subject_fields(subject: Subject) -> dict:
    """What is kept of a person: no names, the year of birth, the province, no documents."""
    province = (subject.home_address or {}).get("province")
    return {
        "given_name": "",
        "family_name": "",
        "name_native": "",
        "aliases": [],
        "birth_date": None,
        "birth_year": subject.birth_date.year if subject.birth_date else subject.birth_year,
        "home_address": {"province": province} if province else {},
        "identity_documents": [],
        "family_contact": {},
        "vulnerabilities": [],
    }


def _case_pseudonymise(case, now: datetime) -> None:
    Subject.objects.filter(pk=case.subject_id).update(**pseudonymised_subject_fields(case.subject))
    CaseMessage.objects.filter(**{case.case_field: case}).update(body="")
    case_documents_erase(case)
    for name in FREE_TEXTS[type(case)]:
        setattr(case, name, "")
    for name in NOTE_FIELDS if isinstance(case, ReturnRequest) else ():
        notes = getattr(case, name)
        if notes:
            setattr(case, name, {key: value for key, value in notes.items() if key != "notes"})
    case.redacted_at = now
    case.version += 1
    case.updated_at = now
    case.save()
    record_change(None, case, "case.redacted")


def retention_sweep(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Pseudonymise every case whose retention has passed; returns how many. Idempotent.

    Batches are locked with SKIP LOCKED, so concurrent sweeps share the work; each case is
    redacted, with its event and audit row, in its batch's transaction.
    """
    now = now or timezone.now()
    redacted = 0
    for model in CASE_MODELS:
        while True:
            with transaction.atomic():
                batch = list(
                    retention_due(model, now=now)
                    .select_for_update(skip_locked=True, of=("self",))
                    .select_related("sender_agency", "recipient_agency", "subject")
                    .order_by("ended_at")[:batch_size]
                )
                if not batch:
                    break
                for case in batch:
                    _case_pseudonymise(case, now)
                redacted += len(batch)
    if redacted:
        audit_record(actor=None, action="retention.sweep", detail={"redacted": redacted})
    return redacted
