"""Consent changes: the sending agency records a new status and scope; shares outside it end."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.authentication import Caller
from agencies.services import agency_revoke
from protocol.etags import check_etag
from protocol.problems import Conflict

from ..access import SHARE_GRANT, caller_sides
from ..consent import AGREED, consent_covers
from ..models import ConsentChange, Subject
from ..selectors import shares_of
from ..workflows import SENDER
from .common import locked_case, record_change, save_change


def _check_consent(status: str, scope: list[str], recorded_at: datetime | None) -> None:
    if status not in AGREED and scope:
        raise ValidationError(
            {"scope": _("A scope is given only with consent (given or given by a guardian).")}
        )
    if recorded_at is not None and recorded_at > timezone.now():
        raise ValidationError({"recorded_at": _("Consent cannot be recorded in the future.")})


@transaction.atomic
def case_consent_change(
    *,
    case,
    actor: Caller,
    status: str,
    scope: list[str],
    recorded_at: datetime | None = None,
    if_match: str | None = None,
) -> ConsentChange:
    """Record the subject's new consent; every share it no longer covers ends at once.

    The history keeps each change with the status and scope before it. The agencies whose
    share ended are told by the ``consent.changed`` event and can no longer read the case.
    """
    _check_consent(status, scope, recorded_at)
    case = locked_case(type(case), case.pk, actor)
    if SENDER not in caller_sides(actor, case):
        raise PermissionDenied(_("Only the sending agency records a change of consent."))
    check_etag(if_match, case, required=False)
    if case.redacted_at is not None:
        raise Conflict(_("The personal data of this case has been pseudonymised."))
    now = timezone.now()
    subject = Subject.objects.select_for_update().get(pk=case.subject_id)
    change = ConsentChange.objects.create(
        subject=subject,
        previous_status=subject.consent_status,
        previous_scope=subject.consent_scope,
        status=status,
        scope=sorted(set(scope)),
        recorded_at=recorded_at or now,
        agency=actor.agency,
        changed_by=actor.user,
        on_behalf_of=actor.on_behalf_of or "",
    )
    subject.consent_status = change.status
    subject.consent_scope = change.scope
    subject.consent_recorded_at = change.recorded_at
    subject.save()
    case.subject = subject
    ended = []
    for share in shares_of(case, active_only=True).select_for_update(of=("self",)):
        if not consent_covers(subject, share.agency):
            share.revoked_at = now
            share.save(update_fields=["revoked_at"])
            agency_revoke(agency=share.agency, obj=case, perms=SHARE_GRANT)
            ended.append(share.agency)
    save_change(case, now)
    record_change(actor, case, "consent.changed", extra_audience=ended)
    return change
