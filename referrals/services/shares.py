"""Sharing a case with a third agency and revoking it."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.authentication import Caller
from agencies.models import Agency
from agencies.services import agency_grant, agency_revoke
from protocol.problems import Conflict

from ..access import SHARE_GRANT, caller_sides
from ..consent import ensure_may_disclose
from ..models import (
    Share,
)
from ..selectors import shares_of
from ..workflows import SENDER
from .common import check_open, locked_case, record_change


@transaction.atomic
def case_share(*, case, actor: Caller, agency: Agency) -> Share:
    """Let a third agency read a case, within the subject's consent (the disclosure gate)."""
    model = type(case)
    case = locked_case(model, case.pk, actor)
    if SENDER not in caller_sides(actor, case):
        raise PermissionDenied(_("Only the sending agency shares a case."))
    check_open(case, _("shares"))
    if agency.pk in (case.sender_agency_id, case.recipient_agency_id):
        raise ValidationError({"agency": _("The agency already takes part in this case.")})
    ensure_may_disclose(case=case, agency=agency)
    if shares_of(case, active_only=True).filter(agency=agency).exists():
        raise Conflict(_("The case is already shared with %(code)s.") % {"code": agency.code})
    share = Share.objects.create(**{case.case_field: case}, agency=agency, shared_by=actor.user)
    agency_grant(agency=agency, obj=case, perms=SHARE_GRANT)
    record_change(actor, case, "case.shared")
    return share


@transaction.atomic
def case_share_revoke(*, share: Share, actor: Caller) -> Share:
    """End a third agency's read access to a case."""
    case = share.referral or share.return_request
    case = locked_case(type(case), case.pk, actor)
    if SENDER not in caller_sides(actor, case):
        raise PermissionDenied(_("Only the sending agency revokes a share."))
    share = Share.objects.select_for_update().get(pk=share.pk)
    if share.revoked_at is not None:
        raise Conflict(_("This share is already revoked."))
    share.revoked_at = timezone.now()
    share.save(update_fields=["revoked_at"])
    agency_revoke(agency=share.agency, obj=case, perms=SHARE_GRANT)
    record_change(actor, case, "case.share_revoked", extra_audience=[share.agency])
    return share
