"""The one disclosure gate: a subject reaches a new agency only within the subject's consent."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies.models import Agency
from protocol.problems import Conflict

from .models import ConsentStatus, ReturnRequest, Subject
from .selectors import shares_of

AGREED = (ConsentStatus.GIVEN, ConsentStatus.GUARDIAN_GIVEN)


class ConsentNotCovered(Conflict):
    problem_type = "consent-not-covered"
    title = gettext_lazy("Not covered by the subject's consent")


def consent_covers(subject: Subject, agency: Agency) -> bool:
    """The subject (or a guardian) agreed that agencies of this agency's kind get the data."""
    return subject.consent_status in AGREED and agency.kind in (subject.consent_scope or [])


def _takes_part(case, agency: Agency) -> bool:
    if agency.pk in (case.sender_agency_id, case.recipient_agency_id):
        return True
    return shares_of(case, active_only=True).filter(agency=agency).exists()


def _disclosed_by(case) -> list:
    """The cases whose subject ``case`` discloses: itself and the referral a return cites."""
    cited = case.referral if isinstance(case, ReturnRequest) else None
    return [case] if cited is None else [case, cited]


def ensure_may_disclose(*, case, agency: Agency) -> None:
    """Pass when ``agency`` already takes part in the case (and in the referral a return
    cites) or the subject's consent covers it; otherwise a 409 naming the consent rule.

    Every act that makes a subject visible to a new agency calls it in its transaction:
    sending, sharing, a return citing a referral, documents.
    """
    for disclosed in _disclosed_by(case):
        if not (_takes_part(disclosed, agency) or consent_covers(disclosed.subject, agency)):
            raise ConsentNotCovered(
                _("The subject's consent does not cover agencies of kind %(kind)s.")
                % {"kind": agency.kind},
                rule="consent",
                agency=agency.code,
                reference=disclosed.reference or "",
            )
