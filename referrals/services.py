"""Every write to cases: create, draft edits, the workflow actions, messages and shares.

Each service runs in one transaction that locks the case, re-checks the caller's side in SQL,
and writes the event and the audit row with the change.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from agencies.authentication import Caller
from agencies.models import Agency, Agreement, Checkpoint
from agencies.selectors import agency_holds_flag
from agencies.services import agency_grant, agency_revoke
from agencies.workdays import add_working_days
from exchange.audit import audit_record
from exchange.counters import counter_next
from exchange.etags import check_etag
from exchange.models import Event
from exchange.problems import Conflict, IllegalTransition
from exchange.services import event_emit, events_emit

from .deadlines import next_reminder_at, reminders_due, running_clocks
from .models import (
    CaseMessage,
    ReferralNotice,
    ReferralStatus,
    Reminder,
    ReturnRequest,
    Share,
    Subject,
)
from .selectors import (
    WORKFLOWS,
    caller_sides,
    case_agencies,
    case_field,
    cases_agencies,
    role_allows,
    shares_of,
)
from .workflows import EITHER, RECIPIENT, SENDER

KIND = {ReferralNotice: "referral", ReturnRequest: "return"}
PATHS = {ReferralNotice: "/api/v1/referrals/{}/", ReturnRequest: "/api/v1/returns/{}/"}
REFERENCE_PREFIX = {ReferralNotice: "REF", ReturnRequest: "RET"}
DUE_FIELDS = {
    ReferralNotice: ("acknowledge_due_at", "respond_due_at"),
    ReturnRequest: ("verification_due_at",),
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _event_data(case) -> dict:
    """What events say about a case: where to fetch it and its state, never personal data."""
    return {
        "path": PATHS[type(case)].format(case.id),
        "status": case.status,
        "urgency": case.urgency,
        "sender": case.sender_agency.code,
        "recipient": case.recipient_agency.code,
    }


def _record(actor: Caller | None, case, verb: str, *, extra_audience=()) -> None:
    """The event and the audit row of a change, in the caller's transaction."""
    model = type(case)
    kind = KIND[model]
    agencies = [*case_agencies(case), *extra_audience]
    data = _event_data(case)
    data.update({name: _iso(getattr(case, name)) for name in DUE_FIELDS[model]})
    event_type = verb if "." in verb else f"{kind}.{verb}"
    event_emit(
        type=event_type,
        object_type=kind,
        object_id=case.id,
        reference=case.reference or "",
        agencies=agencies,
        actor_agency=actor.agency if actor else None,
        data=data,
    )
    audit_record(
        actor=actor,
        action=event_type,
        object_type=kind,
        object_id=case.id,
        reference=case.reference or "",
        agencies=agencies,
    )


def _require_role(actor: Caller, model, perm: str) -> None:
    if actor.agency is None or not role_allows(actor, model, perm):
        raise PermissionDenied(_("Your role does not allow this."))


def agreement_between(country_1: str, country_2: str) -> Agreement:
    """The bilateral agreement whose deadlines apply between two countries."""
    first, second = sorted([country_1, country_2])
    agreement = Agreement.objects.filter(country_a=first, country_b=second).first()
    if agreement is None:
        raise ValidationError(
            {
                "recipient_agency": _(
                    "There is no bilateral agreement between %(a)s and %(b)s: cases cross "
                    "borders between countries that have one."
                )
                % {"a": country_1, "b": country_2}
            }
        )
    return agreement


def _agreement_of(case) -> Agreement:
    return agreement_between(case.sender_agency.country, case.recipient_agency.country)


def _check_recipient(sender: Agency, recipient: Agency) -> None:
    if recipient.pk == sender.pk:
        raise ValidationError({"recipient_agency": _("The recipient must be another agency.")})
    if not recipient.is_active:
        raise ValidationError({"recipient_agency": _("The recipient agency is not active.")})


def _check_parties(sender: Agency, recipient: Agency) -> Agreement:
    """The recipient may receive from the sender, under a bilateral agreement."""
    _check_recipient(sender, recipient)
    return agreement_between(sender.country, recipient.country)


def _check_checkpoint(checkpoint: Checkpoint | None, sender: Agency, recipient: Agency, field: str):
    if checkpoint is not None and not (
        checkpoint.is_active and checkpoint.serves(sender.country, recipient.country)
    ):
        raise ValidationError(
            {
                field: _("Checkpoint %(code)s does not serve %(a)s-%(b)s.")
                % {"code": checkpoint.code, "a": sender.country, "b": recipient.country}
            }
        )


def _check_cited_referral(referral: ReferralNotice | None, agency: Agency) -> None:
    """A return may cite only a sent referral its own agency took part in."""
    if referral is None:
        return
    parties = {referral.sender_agency_id, referral.recipient_agency_id}
    if referral.status == ReferralStatus.DRAFT or agency.pk not in parties:
        raise ValidationError({"referral": _("Unknown referral.")})


def _save_subject(subject: Subject | None, fields: dict) -> Subject:
    subject = subject or Subject()
    for name, value in fields.items():
        setattr(subject, name, value)
    if subject.consent_status != "not_asked" and subject.consent_recorded_at is None:
        subject.consent_recorded_at = timezone.now()
    subject.save()
    return subject


def _save_change(case, now: datetime) -> None:
    """Save a case locked by this transaction as its next version."""
    case.version += 1
    case.updated_at = now
    case.save()


@transaction.atomic
def referral_create(
    *, actor: Caller, recipient_agency: Agency, subject: dict, **fields
) -> ReferralNotice:
    """Draft a referral notice from the caller's agency; only the sender sees it until sent."""
    _require_role(actor, ReferralNotice, "add")
    _check_parties(actor.agency, recipient_agency)
    referral = ReferralNotice.objects.create(
        sender_agency=actor.agency,
        recipient_agency=recipient_agency,
        subject=_save_subject(None, subject),
        created_by=actor.user,
        **fields,
    )
    agency_grant(agency=actor.agency, obj=referral, perms=["view", "change"])
    _record(actor, referral, "created")
    return referral


@transaction.atomic
def return_create(
    *,
    actor: Caller,
    recipient_agency: Agency,
    subject: dict | None = None,
    referral: ReferralNotice | None = None,
    **fields,
) -> ReturnRequest:
    """Draft a return request; with a referral and no subject, the referral's subject is copied."""
    _require_role(actor, ReturnRequest, "add")
    _check_parties(actor.agency, recipient_agency)
    _check_cited_referral(referral, actor.agency)
    if subject is None:
        if referral is None:
            raise ValidationError({"subject": _("A subject or a referral is required.")})
        subject = {
            f.name: getattr(referral.subject, f.name)
            for f in Subject._meta.concrete_fields
            if f.editable and f.name != "id"
        }
    _check_checkpoint(
        fields.get("proposed_checkpoint"), actor.agency, recipient_agency, "proposed_checkpoint"
    )
    return_request = ReturnRequest.objects.create(
        sender_agency=actor.agency,
        recipient_agency=recipient_agency,
        referral=referral,
        subject=_save_subject(None, subject),
        created_by=actor.user,
        **fields,
    )
    agency_grant(agency=actor.agency, obj=return_request, perms=["view", "change"])
    _record(actor, return_request, "created")
    return return_request


def _locked(model, case_id, actor: Caller):
    """The case, locked for this transaction, with the caller's object permissions re-read."""
    agency = actor.agency
    return (
        model.objects.select_for_update(of=("self",))
        .select_related("sender_agency", "recipient_agency", "subject")
        .annotate(
            can_change=agency_holds_flag(model, agency=agency, perm="change"),
            can_respond=agency_holds_flag(model, agency=agency, perm="respond"),
        )
        .get(pk=case_id)
    )


def _side_allows(side: str, sides: set[str]) -> bool:
    return side in sides or (side == EITHER and bool(sides))


_ONLY_SIDE = {
    SENDER: gettext_lazy("Only the sending agency can take this action."),
    RECIPIENT: gettext_lazy("Only the receiving agency can take this action."),
    EITHER: gettext_lazy("Only the sending or the receiving agency can take this action."),
}


@transaction.atomic
def case_update(
    *, case, actor: Caller, if_match: str | None, subject: dict | None = None, **fields
):
    """Edit a draft: only the sender, only in draft, only against the version last read."""
    model = type(case)
    case = _locked(model, case.pk, actor)
    if SENDER not in caller_sides(actor, case):
        raise PermissionDenied(_("Only the sending agency edits a case."))
    check_etag(if_match, case, required=True)
    if case.status != "draft":
        raise IllegalTransition(
            _("Only a draft can be edited."),
            allowed_actions=WORKFLOWS[model].allowed_actions(
                case.status, caller_sides(actor, case)
            ),
        )
    recipient = fields.get("recipient_agency", case.recipient_agency)
    _check_parties(case.sender_agency, recipient)
    if model is ReturnRequest:
        checkpoint = fields.get("proposed_checkpoint", case.proposed_checkpoint)
        _check_checkpoint(checkpoint, case.sender_agency, recipient, "proposed_checkpoint")
        _check_cited_referral(fields.get("referral"), case.sender_agency)
    for name, value in fields.items():
        setattr(case, name, value)
    if subject:
        _save_subject(case.subject, subject)
    _save_change(case, timezone.now())
    _record(actor, case, "updated")
    return case


def _transition(
    model, *, case_id, actor: Caller, action: str, if_match: str | None, apply: Callable
):
    """Lock, check side, version and state, apply the action's changes, record it."""
    if actor.agency is None:
        raise PermissionDenied(_("Only a member of an agency acts on cases."))
    workflow = WORKFLOWS[model]
    transition = workflow.transition(action)
    case = _locked(model, case_id, actor)
    sides = caller_sides(actor, case)
    if not _side_allows(transition.side, sides):
        raise PermissionDenied(_ONLY_SIDE[transition.side])
    check_etag(if_match, case, required=False)
    if case.status not in transition.sources:
        raise IllegalTransition(
            _("The case is %(status)s: %(action)s is not possible now.")
            % {"status": _status_label(case), "action": action},
            allowed_actions=workflow.allowed_actions(case.status, sides),
        )
    now = timezone.now()
    agreement = _agreement_of(case)
    apply(case, now, agreement)
    case.status = transition.target
    case.next_reminder_at = next_reminder_at(case, agreement, now)
    _save_change(case, now)
    _record(actor, case, transition.target)
    return case


def _allocate_reference(case, now: datetime) -> str:
    countries = f"{case.sender_agency.country}-{case.recipient_agency.country}"
    key = f"{REFERENCE_PREFIX[type(case)]}-{countries}-{now.year}"
    return f"{key}-{counter_next(key):06d}"


def _required(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("This field is required.")})
    return value


@transaction.atomic
def referral_send(*, referral: ReferralNotice, actor: Caller, if_match: str | None = None):
    """Send a draft: the reference is allocated, the clocks start, the recipient can see it."""

    def apply(case, now, agreement):
        _check_recipient(case.sender_agency, case.recipient_agency)
        case.reference = _allocate_reference(case, now)
        case.sent_at = now
        case.acknowledge_due_at = now + timedelta(hours=agreement.acknowledge_hours(case.urgency))
        case.respond_due_at = add_working_days(
            now, agreement.respond_working_days(case.urgency), case.recipient_agency.country
        )
        agency_grant(agency=case.recipient_agency, obj=case, perms=["view", "respond"])

    return _transition(
        ReferralNotice,
        case_id=referral.pk,
        actor=actor,
        action="send",
        if_match=if_match,
        apply=apply,
    )


@transaction.atomic
def referral_acknowledge(
    *, referral: ReferralNotice, actor: Caller, focal_point: str, if_match: str | None = None
):
    """The recipient confirms receipt and names its focal point; the acknowledgement clock stops."""
    focal_point = _required(focal_point, "focal_point")

    def apply(case, now, agreement):
        case.acknowledged_at = now
        case.focal_point = focal_point

    return _transition(
        ReferralNotice,
        case_id=referral.pk,
        actor=actor,
        action="acknowledge",
        if_match=if_match,
        apply=apply,
    )


def _answer(field: str, text_field: str | None = None, text: str = ""):
    def apply(case, now, agreement):
        case.acknowledged_at = case.acknowledged_at or now
        setattr(case, field, now)
        if text_field:
            setattr(case, text_field, text)

    return apply


@transaction.atomic
def referral_accept(*, referral: ReferralNotice, actor: Caller, if_match: str | None = None):
    """The recipient takes the case on; both clocks stop."""
    return _transition(
        ReferralNotice,
        case_id=referral.pk,
        actor=actor,
        action="accept",
        if_match=if_match,
        apply=_answer("accepted_at"),
    )


@transaction.atomic
def referral_reject(
    *, referral: ReferralNotice, actor: Caller, reason: str, if_match: str | None = None
):
    """The recipient declines, with a reason; both clocks stop."""
    reason = _required(reason, "reason")
    return _transition(
        ReferralNotice,
        case_id=referral.pk,
        actor=actor,
        action="reject",
        if_match=if_match,
        apply=_answer("rejected_at", "rejection_reason", reason),
    )


@transaction.atomic
def referral_withdraw(
    *, referral: ReferralNotice, actor: Caller, reason: str, if_match: str | None = None
):
    """The sender withdraws the notice, with a reason."""
    reason = _required(reason, "reason")

    def apply(case, now, agreement):
        case.withdrawn_at = now
        case.withdrawal_reason = reason

    return _transition(
        ReferralNotice,
        case_id=referral.pk,
        actor=actor,
        action="withdraw",
        if_match=if_match,
        apply=apply,
    )


@transaction.atomic
def referral_close(
    *, referral: ReferralNotice, actor: Caller, outcome: str, if_match: str | None = None
):
    """Either side closes an accepted case, recording the outcome."""
    outcome = _required(outcome, "outcome")

    def apply(case, now, agreement):
        case.closed_at = now
        case.outcome = outcome

    return _transition(
        ReferralNotice,
        case_id=referral.pk,
        actor=actor,
        action="close",
        if_match=if_match,
        apply=apply,
    )


@transaction.atomic
def return_send(*, return_request: ReturnRequest, actor: Caller, if_match: str | None = None):
    """Request the return: the reference is allocated and the verification clock starts."""

    def apply(case, now, agreement):
        _check_recipient(case.sender_agency, case.recipient_agency)
        case.reference = _allocate_reference(case, now)
        case.requested_at = now
        case.verification_due_at = add_working_days(
            now, agreement.verify_return_working_days(case.urgency), case.recipient_agency.country
        )
        agency_grant(agency=case.recipient_agency, obj=case, perms=["view", "respond"])

    return _transition(
        ReturnRequest,
        case_id=return_request.pk,
        actor=actor,
        action="send",
        if_match=if_match,
        apply=apply,
    )


@transaction.atomic
def return_acknowledge(
    *, return_request: ReturnRequest, actor: Caller, if_match: str | None = None
):
    """The country of origin confirms receipt of the request."""

    def apply(case, now, agreement):
        case.acknowledged_at = now

    return _transition(
        ReturnRequest,
        case_id=return_request.pk,
        actor=actor,
        action="acknowledge",
        if_match=if_match,
        apply=apply,
    )


@transaction.atomic
def return_verify(
    *, return_request: ReturnRequest, actor: Caller, verification: dict, if_match: str | None = None
):
    """The country of origin confirms identity and nationality; a minor also needs family traced."""

    def apply(case, now, agreement):
        errors = {}
        for field in ("identity_confirmed", "nationality_confirmed"):
            if not verification.get(field):
                errors[field] = [_("Must be true to verify; reject the request otherwise.")]
        if case.subject.is_minor and not verification.get("family_traced"):
            errors["family_traced"] = [
                _("A child's return is verified only once the family is traced (best interests).")
            ]
        if errors:
            raise serializers.ValidationError({"verification": errors})
        case.acknowledged_at = case.acknowledged_at or now
        case.verified_at = now
        case.verification = verification

    return _transition(
        ReturnRequest,
        case_id=return_request.pk,
        actor=actor,
        action="verify",
        if_match=if_match,
        apply=apply,
    )


@transaction.atomic
def return_reject(
    *, return_request: ReturnRequest, actor: Caller, reason: str, if_match: str | None = None
):
    """The country of origin declines the return, with a reason."""
    reason = _required(reason, "reason")
    return _transition(
        ReturnRequest,
        case_id=return_request.pk,
        actor=actor,
        action="reject",
        if_match=if_match,
        apply=_answer("rejected_at", "rejection_reason", reason),
    )


@transaction.atomic
def return_schedule(
    *,
    return_request: ReturnRequest,
    actor: Caller,
    date,
    checkpoint: Checkpoint,
    if_match: str | None = None,
):
    """Set (or move) the handover date and checkpoint."""

    def apply(case, now, agreement):
        if date < timezone.localdate():
            raise ValidationError({"date": _("The handover date cannot be in the past.")})
        _check_checkpoint(checkpoint, case.sender_agency, case.recipient_agency, "checkpoint")
        case.scheduled_date = date
        case.checkpoint = checkpoint
        case.scheduled_at = now

    return _transition(
        ReturnRequest,
        case_id=return_request.pk,
        actor=actor,
        action="schedule",
        if_match=if_match,
        apply=apply,
    )


@transaction.atomic
def return_confirm_handover(
    *, return_request: ReturnRequest, actor: Caller, handover: dict, if_match: str | None = None
):
    """The country of origin confirms it received the person at the checkpoint."""

    def apply(case, now, agreement):
        handed_over = handover["at"]
        if handed_over > now + timedelta(minutes=5):
            raise serializers.ValidationError(
                {"handover": {"at": [_("The handover cannot be in the future.")]}}
            )
        if case.requested_at and handed_over < case.requested_at:
            raise serializers.ValidationError(
                {"handover": {"at": [_("The handover cannot precede the request.")]}}
            )
        case.handed_over_at = now
        case.handover = {**handover, "at": handed_over.isoformat()}

    return _transition(
        ReturnRequest,
        case_id=return_request.pk,
        actor=actor,
        action="confirm_handover",
        if_match=if_match,
        apply=apply,
    )


@transaction.atomic
def return_cancel(
    *, return_request: ReturnRequest, actor: Caller, reason: str, if_match: str | None = None
):
    """The sender cancels a return that has not ended, with a reason."""
    reason = _required(reason, "reason")

    def apply(case, now, agreement):
        case.cancelled_at = now
        case.cancellation_reason = reason

    return _transition(
        ReturnRequest,
        case_id=return_request.pk,
        actor=actor,
        action="cancel",
        if_match=if_match,
        apply=apply,
    )


def _status_label(case) -> str:
    return str(dict(type(case)._meta.get_field("status").flatchoices).get(case.status, case.status))


def _check_open(case, what: str) -> None:
    workflow = WORKFLOWS[type(case)]
    if case.status == "draft" or case.status in workflow.final_states:
        raise Conflict(
            _("The case is %(status)s: it takes no %(what)s.")
            % {"status": _status_label(case), "what": what}
        )


@transaction.atomic
def case_message_post(*, case, actor: Caller, body: str) -> CaseMessage:
    """Post to a case's thread: the sending or receiving agency, while the case is open."""
    model = type(case)
    case = _locked(model, case.pk, actor)
    if not caller_sides(actor, case) or not role_allows(actor, model, "message"):
        raise PermissionDenied(_("Only the sending and receiving agencies post messages."))
    _check_open(case, _("messages"))
    message = CaseMessage.objects.create(
        **{case_field(case): case},
        author_agency=actor.agency,
        author=actor.user,
        author_on_behalf_of=actor.on_behalf_of or "",
        body=_required(body, "body"),
    )
    _record(actor, case, "message.posted")
    return message


@transaction.atomic
def case_share(*, case, actor: Caller, agency: Agency) -> Share:
    """Let a third agency read a case, within the subject's consent scope."""
    model = type(case)
    case = _locked(model, case.pk, actor)
    if SENDER not in caller_sides(actor, case):
        raise PermissionDenied(_("Only the sending agency shares a case."))
    _check_open(case, _("shares"))
    if agency.pk in (case.sender_agency_id, case.recipient_agency_id):
        raise ValidationError({"agency": _("The agency already takes part in this case.")})
    if not case.subject.consents_to(agency.kind):
        raise Conflict(
            _("The subject's consent does not cover agencies of kind %(kind)s.")
            % {"kind": agency.kind}
        )
    if shares_of(case, active_only=True).filter(agency=agency).exists():
        raise Conflict(_("The case is already shared with %(code)s.") % {"code": agency.code})
    share = Share.objects.create(**{case_field(case): case}, agency=agency, shared_by=actor.user)
    agency_grant(agency=agency, obj=case, perms=["view"])
    _record(actor, case, "case.shared")
    return share


@transaction.atomic
def case_share_revoke(*, share: Share, actor: Caller) -> Share:
    """End a third agency's read access to a case."""
    case = share.referral or share.return_request
    case = _locked(type(case), case.pk, actor)
    if SENDER not in caller_sides(actor, case):
        raise PermissionDenied(_("Only the sending agency revokes a share."))
    share = Share.objects.select_for_update().get(pk=share.pk)
    if share.revoked_at is not None:
        raise Conflict(_("This share is already revoked."))
    share.revoked_at = timezone.now()
    share.save(update_fields=["revoked_at"])
    agency_revoke(agency=share.agency, obj=case, perms=["view"])
    _record(actor, case, "case.share_revoked", extra_audience=[share.agency])
    return share


def _reminders_send(model, wanted: list[tuple]) -> int:
    """Send the reminders (case, clock, threshold) not sent before; returns how many were sent.

    The sweep holds the cases' rows locked, so no other sweep sends for them meanwhile: the
    reminders found here are all of them, and each is sent once. One statement each for the
    reminders already sent, the shares, and the events, their audience and deliveries.
    """
    kind = KIND[model]
    sent_before = set(
        Reminder.objects.filter(
            case_type=kind, case_id__in={case.pk for case, _, _ in wanted}
        ).values_list("case_id", "deadline", "threshold")
    )
    wanted = [
        (case, clock, threshold)
        for case, clock, threshold in wanted
        if (case.pk, clock.name, threshold.key) not in sent_before
    ]
    audiences = cases_agencies(list({case.pk: case for case, _, _ in wanted}.values()))
    events = events_emit(
        [
            (
                Event(
                    type=threshold.event_type,
                    object_type=kind,
                    object_id=case.id,
                    reference=case.reference or "",
                    data={
                        **_event_data(case),
                        "deadline": clock.name,
                        "due_at": _iso(clock.due_at),
                        "threshold": threshold.key,
                    },
                ),
                audiences[case.pk],
            )
            for case, clock, threshold in wanted
        ]
    )
    Reminder.objects.bulk_create(
        Reminder(
            case_type=kind,
            case_id=case.id,
            deadline=clock.name,
            threshold=threshold.key,
            due_at=clock.due_at,
            event=event,
        )
        for (case, clock, threshold), event in zip(wanted, events, strict=True)
    )
    return len(events)


def deadlines_sweep(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Send the reminders that are due, each exactly once; returns how many were sent.

    Only cases whose ``next_reminder_at`` has come are read (a partial index), in batches
    locked with SKIP LOCKED so that concurrent sweeps share the work instead of repeating it.
    """
    now = now or timezone.now()
    sent, agreements = 0, {}
    for model in (ReferralNotice, ReturnRequest):
        while True:
            with transaction.atomic():
                due = list(
                    model.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("sender_agency", "recipient_agency")
                    .filter(next_reminder_at__lte=now)
                    .order_by("next_reminder_at")[:batch_size]
                )
                if not due:
                    break
                wanted = []
                for case in due:
                    pair = tuple(
                        sorted([case.sender_agency.country, case.recipient_agency.country])
                    )
                    if pair not in agreements:
                        agreements[pair] = _agreement_of(case)
                    agreement = agreements[pair]
                    wanted += [
                        (case, clock, threshold)
                        for clock in running_clocks(case)
                        for threshold in reminders_due(clock, agreement, now)
                    ]
                    case.next_reminder_at = next_reminder_at(case, agreement, now)
                sent += _reminders_send(model, wanted)
                model.objects.bulk_update(due, ["next_reminder_at"])
    if sent:
        audit_record(actor=None, action="deadline.sweep", detail={"reminders": sent})
    return sent
