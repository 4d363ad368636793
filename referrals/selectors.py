"""Reads about cases: their threads, shares and the agencies their events concern."""

from collections import defaultdict

from django.db.models import QuerySet

from .models import (
    CaseMessage,
    Share,
)

DRAFT = "draft"


def messages_of(case) -> QuerySet[CaseMessage]:
    return CaseMessage.objects.filter(**{case.case_field: case}).select_related("author_agency")


def shares_of(case, *, active_only: bool = False) -> QuerySet[Share]:
    shares = Share.objects.filter(**{case.case_field: case}).select_related("agency")
    return shares.filter(revoked_at__isnull=True) if active_only else shares


def case_agencies(case) -> list:
    """The agencies an event about ``case`` concerns: the parties and the active shares."""
    return cases_agencies([case])[case.pk]


def cases_agencies(cases: list) -> dict:
    """``case_agencies`` of cases of one kind, by case id, with one query for their shares."""
    sent = [case for case in cases if case.status != DRAFT]
    shared = defaultdict(list)
    if sent:
        field = sent[0].case_field
        for share in Share.objects.filter(
            **{f"{field}_id__any": [case.pk for case in sent]}, revoked_at__isnull=True
        ).select_related("agency"):
            shared[getattr(share, f"{field}_id")].append(share.agency)
    return {
        case.pk: [case.sender_agency]
        if case.status == DRAFT
        else [case.sender_agency, case.recipient_agency, *shared[case.pk]]
        for case in cases
    }
