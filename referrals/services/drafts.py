"""Creating cases and editing drafts."""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.authentication import Caller
from agencies.models import Agency, Agreement
from agencies.services import agency_grant_rows
from protocol.etags import check_etag
from protocol.problems import IllegalTransition
from protocol.rows import objects_insert

from ..access import SENDER_GRANT, caller_sides, note_granted_sides, require_role
from ..consent import ensure_may_disclose
from ..models import (
    ReferralNotice,
    ReferralStatus,
    ReturnRequest,
    Subject,
)
from ..workflows import SENDER
from .common import (
    change_of,
    changed_subject,
    changes_record,
    check_checkpoint,
    check_parties,
    locked_case,
    record_change,
    save_change,
    save_subject,
    transition_apply,
)
from .referral_workflow import referral_sending
from .return_workflow import return_requesting


def _check_cited_referral(referral: ReferralNotice | None, agency: Agency) -> None:
    """A return may cite only a sent referral its own agency took part in."""
    if referral is None:
        return
    parties = {referral.sender_agency_id, referral.recipient_agency_id}
    if referral.status == ReferralStatus.DRAFT or agency.pk not in parties:
        raise ValidationError({"referral": _("Unknown referral.")})


def _draft_insert(
    model, *, actor: Caller, agreement: Agreement, subject: dict, send: Callable | None, **fields
):
    """A new draft of ``model`` from the caller's agency, recorded; sent at once with ``send``
    (the send action's change), as one more change of the same transaction.

    Its subject, its row and its sender's grant are written in one statement.
    """
    subject = changed_subject(None, subject)
    subject.note_minor()
    case = model(sender_agency=actor.agency, subject=subject, created_by=actor.user, **fields)
    grants = agency_grant_rows(agency=actor.agency, obj=case, perms=SENDER_GRANT)
    objects_insert([subject], [case], grants)
    created = change_of(actor, case, "created", agencies=[case.sender_agency])
    if send is None:
        changes_record(actor, [created])
        return case
    # Written by this transaction, the draft is seen by no other until it commits: it is sent
    # as written, with the sides of the grant above, without being read and locked again.
    note_granted_sides(case, SENDER_GRANT)
    return transition_apply(
        case,
        "send",
        actor=actor,
        if_match=None,
        apply=send,
        agreement=agreement,
        earlier=[created],
    )


@transaction.atomic
def referral_create(
    *, actor: Caller, recipient_agency: Agency, subject: dict, send: bool = False, **fields
) -> ReferralNotice:
    """Draft a referral notice from the caller's agency; only the sender sees it until sent.

    ``send``: send it in the same transaction (the portal's "save and send").
    """
    require_role(actor, ReferralNotice, "add")
    agreement = check_parties(actor.agency, recipient_agency)
    return _draft_insert(
        ReferralNotice,
        actor=actor,
        agreement=agreement,
        recipient_agency=recipient_agency,
        subject=subject,
        send=referral_sending() if send else None,
        **fields,
    )


@transaction.atomic
def return_create(
    *,
    actor: Caller,
    recipient_agency: Agency,
    subject: dict | None = None,
    referral: ReferralNotice | None = None,
    send: bool = False,
    **fields,
) -> ReturnRequest:
    """Draft a return request; with a referral and no subject, the referral's subject is copied.

    ``send``: request the return in the same transaction (the portal's "save and send").
    """
    require_role(actor, ReturnRequest, "add")
    agreement = check_parties(actor.agency, recipient_agency)
    _check_cited_referral(referral, actor.agency)
    if referral is not None:
        ensure_may_disclose(case=referral, agency=recipient_agency)
    if subject is None:
        if referral is None:
            raise ValidationError({"subject": _("A subject or a referral is required.")})
        subject = {
            f.name: getattr(referral.subject, f.name)
            for f in Subject._meta.concrete_fields
            if f.editable and f.name != "id"
        }
    check_checkpoint(
        fields.get("proposed_checkpoint"), actor.agency, recipient_agency, "proposed_checkpoint"
    )
    return _draft_insert(
        ReturnRequest,
        actor=actor,
        agreement=agreement,
        send=return_requesting() if send else None,
        recipient_agency=recipient_agency,
        referral=referral,
        subject=subject,
        **fields,
    )


@transaction.atomic
def case_update(
    *, case, actor: Caller, if_match: str | None, subject: dict | None = None, **fields
):
    """Edit a draft: only the sender, only in draft, only against the version last read."""
    model = type(case)
    case = locked_case(model, case.pk, actor)
    if SENDER not in caller_sides(actor, case):
        raise PermissionDenied(_("Only the sending agency edits a case."))
    check_etag(if_match, case, required=True)
    if case.status != "draft":
        raise IllegalTransition(
            _("Only a draft can be edited."),
            allowed_actions=model.workflow.allowed_actions(case.status, caller_sides(actor, case)),
        )
    recipient = fields.get("recipient_agency", case.recipient_agency)
    check_parties(case.sender_agency, recipient)
    if model is ReturnRequest:
        checkpoint = fields.get("proposed_checkpoint", case.proposed_checkpoint)
        check_checkpoint(checkpoint, case.sender_agency, recipient, "proposed_checkpoint")
        _check_cited_referral(fields.get("referral"), case.sender_agency)
        referral = fields.get("referral", case.referral)
        if referral is not None:
            ensure_may_disclose(case=referral, agency=recipient)
    for name, value in fields.items():
        setattr(case, name, value)
    if subject:
        save_subject(case.subject, subject)
    save_change(case, timezone.now())
    record_change(actor, case, "updated")
    return case
