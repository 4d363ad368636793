"""The disclosure gate: whether a subject may be made visible to an agency, by consent."""

from django.utils.translation import gettext as _

from agencies.models import Agency
from protocol.problems import Conflict

from .models import ConsentStatus, Subject
from .selectors import shares_of

AGREED = (ConsentStatus.GIVEN, ConsentStatus.GUARDIAN_GIVEN)


class ConsentRequired(Conflict):
    problem_type = "consent-required"


def consent_covers(subject: Subject, agency: Agency) -> bool:
    """The person (or a guardian) agreed that agencies of ``agency``'s kind get the data."""
    return subject.consent_status in AGREED and agency.kind in (subject.consent_scope or [])


def ensure_may_disclose(*, case, agency: Agency) -> None:
    """Pass when ``agency`` already takes part in ``case`` or the subject's consent covers it.

    Every service that makes a subject visible to a new agency calls it in its transaction.
    """
    if agency.pk in (case.sender_agency_id, case.recipient_agency_id):
        return
    if shares_of(case, active_only=True).filter(agency=agency).exists():
        return
    if not consent_covers(case.subject, agency):
        raise ConsentRequired(
            _("The subject's consent does not cover agencies of kind %(kind)s.")
            % {"kind": agency.kind}
        )
