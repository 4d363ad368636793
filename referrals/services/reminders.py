"""The deadline sweep: reminders approaching and overdue, each sent once."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from agencies.models import Agency
from exchange.audit import audit_record
from exchange.models import Event
from exchange.services import events_emit
from protocol.rows import rows_insert_new, rows_update

from ..deadlines import next_reminder_at, reminders_due, running_clocks
from ..models import (
    REMINDER_KEY,
    ReferralNotice,
    Reminder,
    ReminderSchedule,
    ReturnRequest,
)
from ..selectors import cases_agencies
from .common import agreement_of, event_data, iso


def _reminders_send(model, wanted: list[tuple]) -> int:
    """Send the reminders (case, clock, threshold) not sent before; returns how many were sent.

    The reminders are written first, each only if the table does not hold it yet; events go
    only for those written. One statement each for the shares, the reminders, and the events
    with their audience and deliveries.
    """
    kind = model.kind
    audiences = cases_agencies(list({case.pk: case for case, _, _ in wanted}.values()))
    drafts = [
        (
            Event(
                type=threshold.event_type,
                object_type=kind,
                object_id=case.id,
                reference=case.reference or "",
                data={
                    **event_data(case),
                    "deadline": clock.name,
                    "due_at": iso(clock.due_at),
                    "threshold": threshold.key,
                },
            ),
            audiences[case.pk],
        )
        for case, clock, threshold in wanted
    ]
    reminders = [
        {
            "case_type": kind,
            "case_id": case.id,
            "deadline": clock.name,
            "threshold": threshold.key,
            "due_at": clock.due_at,
            "event_id": event.pk,
        }
        for (case, clock, threshold), (event, _) in zip(wanted, drafts, strict=True)
    ]
    new = rows_insert_new(Reminder, reminders, unique=REMINDER_KEY)
    events = events_emit(
        [
            draft
            for draft, reminder in zip(drafts, reminders, strict=True)
            if tuple(reminder[name] for name in REMINDER_KEY) in new
        ]
    )
    return len(events)


def _fields_read(model) -> list[str]:
    """The columns the sweep reads: the case's state, parties and clocks, nothing personal."""
    return [
        "id",
        "reference",
        "status",
        "urgency",
        "sender_agency_id",
        "recipient_agency_id",
        *model.due_fields,
    ]


def _due_batch(model, now: datetime, batch_size: int, agencies: dict) -> tuple[list, list]:
    """The next due schedule rows of a kind, locked, and their cases with parties from
    ``agencies`` (read once a sweep)."""
    due = list(
        ReminderSchedule.objects.select_for_update(skip_locked=True)
        .filter(case_type=model.kind, next_at__lte=now)
        .order_by("next_at")
        .values_list("case_id", flat=True)[:batch_size]
    )
    cases = list(model.objects.only(*_fields_read(model)).filter(pk__any=due)) if due else []
    sender, recipient = model.sender_agency.field, model.recipient_agency.field
    for case in cases:
        sender.set_cached_value(case, agencies[case.sender_agency_id])
        recipient.set_cached_value(case, agencies[case.recipient_agency_id])
    return due, cases


def _schedule_save(due: list, next_at: dict) -> None:
    """Move each due case's schedule on; a case whose clocks stopped, or that is gone, has none."""
    moved = {pk: at for pk, at in next_at.items() if at}
    rows_update(ReminderSchedule, "next_at", moved)
    ended = set(due) - moved.keys()
    if ended:
        ReminderSchedule.objects.filter(case_id__in=ended).delete()


def deadlines_sweep(*, now: datetime | None = None, batch_size: int = 2000) -> int:
    """Send the reminders that are due, each exactly once; returns how many were sent.

    Only the cases whose schedule has come are read, in batches whose schedule rows are locked
    with SKIP LOCKED, so that concurrent sweeps share the work instead of repeating it. A
    transition of a case waits for the batch holding it, then sets the case's schedule anew.
    """
    now = now or timezone.now()
    sent, agreements = 0, {}
    agencies = Agency.objects.in_bulk()
    for model in (ReferralNotice, ReturnRequest):
        while True:
            with transaction.atomic():
                due, cases = _due_batch(model, now, batch_size, agencies)
                if not due:
                    break
                wanted, next_at = [], {}
                for case in cases:
                    countries = (case.sender_agency.country, case.recipient_agency.country)
                    if countries not in agreements:
                        agreements[countries] = agreement_of(case)
                    agreement = agreements[countries]
                    wanted += [
                        (case, clock, threshold)
                        for clock in running_clocks(case)
                        for threshold in reminders_due(clock, agreement, now)
                    ]
                    next_at[case.pk] = next_reminder_at(case, agreement, now)
                sent += _reminders_send(model, wanted)
                _schedule_save(due, next_at)
    if sent:
        audit_record(actor=None, action="deadline.sweep", detail={"reminders": sent})
    return sent
