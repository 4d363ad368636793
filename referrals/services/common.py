"""The machinery every case write shares: locking, side checks, transitions, records."""

from collections.abc import Callable
from datetime import UTC, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.authentication import Caller
from agencies.models import Agency, Agreement, Checkpoint
from agencies.services import agency_grant
from exchange.audit import audit_record
from exchange.models import Event
from exchange.services import events_emit
from protocol.counters import counter_next
from protocol.etags import check_etag
from protocol.problems import Conflict, IllegalTransition

from ..access import (
    ONLY_SIDE,
    RECIPIENT_GRANT,
    caller_sides,
    note_sides,
    side_allows,
    side_grants,
)
from ..consent import ensure_may_disclose
from ..deadlines import clocks_start, next_reminder_at, running_clocks
from ..models import ReminderSchedule, Subject
from ..selectors import DRAFT, case_agencies


def iso(value: datetime | None) -> str | None:
    """UTC with ``Z``, as every time in the API is written."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def event_data(case) -> dict:
    """What events say about a case: where to fetch it and its state, never personal data."""
    return {
        "path": type(case).api_path.format(case.id),
        "status": case.status,
        "urgency": case.urgency,
        "sender": case.sender_agency.code,
        "recipient": case.recipient_agency.code,
    }


def change_of(actor: Caller | None, case, verb: str, *, agencies: list) -> tuple:
    """The event draft and the audit row of a change, as its state is now; ``changes_record``
    writes them."""
    model = type(case)
    kind = model.kind
    data = event_data(case)
    data.update({name: iso(getattr(case, name)) for name in model.due_fields})
    event_type = verb if "." in verb else f"{kind}.{verb}"
    reference = case.reference or ""
    event = Event(
        type=event_type,
        object_type=kind,
        object_id=case.id,
        reference=reference,
        actor_agency=actor.agency if actor else None,
        data=data,
    )
    audit = {
        "action": event_type,
        "object_type": kind,
        "object_id": case.id,
        "reference": reference,
        "agencies": agencies,
    }
    return event, agencies, audit


def changes_record(actor: Caller | None, changes: list[tuple]) -> None:
    """Write the events of changes (``change_of``) in one step, and their audit rows."""
    events_emit([(event, agencies) for event, agencies, _audit in changes])
    for _event, _agencies, audit in changes:
        audit_record(actor=actor, **audit)


def record_change(
    actor: Caller | None,
    case,
    verb: str,
    *,
    extra_audience=(),
    parties_only: bool = False,
    earlier: list[tuple] = (),
) -> None:
    """The event and the audit row of a change, in the caller's transaction.

    ``parties_only``: the caller knows the case has no shares, so none are read. ``earlier``:
    changes of the same transaction not written yet (``change_of``), written with this one.
    """
    audience = [case.sender_agency, case.recipient_agency] if parties_only else case_agencies(case)
    change = change_of(actor, case, verb, agencies=[*audience, *extra_audience])
    changes_record(actor, [*earlier, change])


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


def agreement_of(case) -> Agreement:
    return agreement_between(case.sender_agency.country, case.recipient_agency.country)


def check_recipient(sender: Agency, recipient: Agency) -> None:
    if recipient.pk == sender.pk:
        raise ValidationError({"recipient_agency": _("The recipient must be another agency.")})
    if not recipient.is_active:
        raise ValidationError({"recipient_agency": _("The recipient agency is not active.")})


def check_parties(sender: Agency, recipient: Agency) -> Agreement:
    """The recipient may receive from the sender, under a bilateral agreement."""
    check_recipient(sender, recipient)
    return agreement_between(sender.country, recipient.country)


def check_checkpoint(checkpoint: Checkpoint | None, sender: Agency, recipient: Agency, field: str):
    if checkpoint is not None and not (
        checkpoint.is_active and checkpoint.serves(sender.country, recipient.country)
    ):
        raise ValidationError(
            {
                field: _("Checkpoint %(code)s does not serve %(a)s-%(b)s.")
                % {"code": checkpoint.code, "a": sender.country, "b": recipient.country}
            }
        )


def changed_subject(subject: Subject | None, fields: dict) -> Subject:
    """The subject (a new one if none) with ``fields`` set, unsaved; consent given is dated."""
    subject = subject or Subject()
    for name, value in fields.items():
        setattr(subject, name, value)
    if subject.consent_status != "not_asked" and subject.consent_recorded_at is None:
        subject.consent_recorded_at = timezone.now()
    return subject


def save_subject(subject: Subject, fields: dict) -> Subject:
    subject = changed_subject(subject, fields)
    subject.save()
    return subject


def save_change(case, now: datetime) -> None:
    """Save a case locked by this transaction as its next version."""
    case.version += 1
    case.updated_at = now
    case.save()


def reminders_schedule(case, at: datetime | None, *, scheduled: bool) -> None:
    """When the deadline sweep next looks at the case (None: never).

    ``scheduled``: the case had a time until now, which goes when it gets none.
    """
    if at is not None:
        schedules_set(case.kind, {case.pk: at})
    elif scheduled:
        ReminderSchedule.objects.filter(case_id=case.pk).delete()


def schedules_set(kind: str, times: dict) -> None:
    """Set when the sweep next looks at each case of ``kind`` (case id -> time), in one upsert."""
    ReminderSchedule.objects.bulk_create(
        [ReminderSchedule(case_id=pk, case_type=kind, next_at=at) for pk, at in times.items()],
        update_conflicts=True,
        unique_fields=["case_id"],
        update_fields=["next_at"],
    )


def locked_case(model, case_id, actor: Caller):
    """The case, locked for this transaction, with the caller's object permissions re-read."""
    case = (
        model.objects.select_for_update(of=("self",))
        .select_related("sender_agency", "recipient_agency", "subject")
        .annotate(**side_grants(model, actor))
        .get(pk=case_id)
    )
    note_sides(case)
    return case


def transition(case, action: str, *, actor: Caller, if_match: str | None, apply: Callable):
    """Lock, check side, version and state, apply the action's changes, record it."""
    if actor.agency is None:
        raise PermissionDenied(_("Only a member of an agency acts on cases."))
    case = locked_case(type(case), case.pk, actor)
    return transition_apply(case, action, actor=actor, if_match=if_match, apply=apply)


def transition_apply(
    case,
    action: str,
    *,
    actor: Caller,
    if_match: str | None,
    apply: Callable,
    agreement: Agreement | None = None,
    earlier: list[tuple] = (),
):
    """Check side, version and state of a case this transaction holds, apply the action, record it.

    ``agreement``: the case's, when the caller has it; ``earlier``: changes of the transaction
    not written yet (``change_of``), recorded with this one.
    """
    workflow = case.workflow
    transition = workflow.transition(action)
    sides = caller_sides(actor, case)
    if not side_allows(transition.side, sides):
        raise PermissionDenied(ONLY_SIDE[transition.side])
    check_etag(if_match, case, required=False)
    if case.status not in transition.sources:
        raise IllegalTransition(
            _("The case is %(status)s: %(action)s is not possible now.")
            % {"status": status_label(case), "action": action},
            allowed_actions=workflow.allowed_actions(case.status, sides),
        )
    # Shares are refused on drafts: a draft leaving that state has only its parties to tell.
    leaves_draft = case.status == DRAFT and transition.target != DRAFT
    now = timezone.now()
    agreement = agreement or agreement_of(case)
    scheduled = bool(running_clocks(case))
    apply(case, now, agreement)
    case.status = transition.target
    if transition.target in workflow.final_states:
        case.ended_at = now
    save_change(case, now)
    reminders_schedule(case, next_reminder_at(case, agreement, now), scheduled=scheduled)
    record_change(actor, case, transition.target, parties_only=leaves_draft, earlier=earlier)
    return case


def allocate_reference(case, now: datetime) -> str:
    countries = f"{case.sender_agency.country}-{case.recipient_agency.country}"
    key = f"{case.reference_prefix}-{countries}-{now.year}"
    return f"{key}-{counter_next(key):06d}"


def sending(timestamp_field: str) -> Callable:
    """The change of a send: the reference, the time, the clocks, the recipient's access."""

    def apply(case, now, agreement):
        check_recipient(case.sender_agency, case.recipient_agency)
        ensure_may_disclose(case=case, agency=case.recipient_agency)
        case.reference = allocate_reference(case, now)
        setattr(case, timestamp_field, now)
        clocks_start(case, agreement, now)
        agency_grant(agency=case.recipient_agency, obj=case, perms=RECIPIENT_GRANT)

    return apply


def required_text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("This field is required.")})
    return value


def stamp(timestamp_field: str, **values) -> Callable:
    """The change of an action that records when it was taken and what it was given."""

    def apply(case, now, agreement):
        setattr(case, timestamp_field, now)
        for name, value in values.items():
            setattr(case, name, value)

    return apply


def answer(timestamp_field: str, **values) -> Callable:
    """The change of an answer: it also acknowledges a case not acknowledged before."""
    stamped = stamp(timestamp_field, **values)

    def apply(case, now, agreement):
        case.acknowledged_at = case.acknowledged_at or now
        stamped(case, now, agreement)

    return apply


def status_label(case) -> str:
    return str(dict(type(case)._meta.get_field("status").flatchoices).get(case.status, case.status))


def check_open(case, what: str) -> None:
    workflow = case.workflow
    if case.status == "draft" or case.status in workflow.final_states:
        raise Conflict(
            _("The case is %(status)s: it takes no %(what)s.")
            % {"status": status_label(case), "what": what}
        )
