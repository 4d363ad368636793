"""The disclosure gate: a subject reaches a new agency only within the subject's consent."""

from django.utils.translation import gettext as _

from agencies.models import Agency
from protocol.problems import Conflict

from .models import ConsentStatus, Subject
from .selectors import shares_of


class ConsentDoesNotCover(Conflict):
    problem_type = "consent-does-not-cover"


def consent_covers(subject: Subject, agency: Agency) -> bool:
    """The subject (or a guardian) agreed that agencies of this agency's kind get the data."""
    agreed = subject.consent_status in (ConsentStatus.GIVEN, ConsentStatus.GUARDIAN_GIVEN)
    return agreed and agency.kind in (subject.consent_scope or [])


def ensure_may_disclose(*, case, agency: Agency) -> None:
    """Pass when ``agency`` already takes part in ``case`` or the subject's consent covers it."""
    if agency.pk in (case.sender_agency_id, case.recipient_agency_id):
        return
    if shares_of(case, active_only=True).filter(agency=agency).exists():
        return
    if not consent_covers(case.subject, agency):
        raise ConsentDoesNotCover(
            _("The subject's consent does not cover agencies of kind %(kind)s.")
            % {"kind": agency.kind}
        )
