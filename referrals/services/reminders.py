"""The deadline sweep: reminders approaching and overdue, each sent once."""

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from agencies.fields import SealedField
from exchange.audit import audit_record
from exchange.models import Event
from exchange.services import events_emit
from protocol.rows import rows_insert

from ..deadlines import next_reminder_at, reminders_due, running_clocks
from ..models import (
    ReferralNotice,
    Reminder,
    ReturnRequest,
)
from ..selectors import cases_agencies
from .common import agreement_of, event_data, iso


def _reminders_send(model, wanted: list[tuple]) -> int:
    """Send the reminders (case, clock, threshold) not sent before; returns how many were sent.

    The sweep holds the cases' rows locked, so no other sweep sends for them meanwhile: the
    reminders found here are all of them, and each is sent once. One statement each for the
    reminders already sent, the shares, and the events, their audience and deliveries.
    """
    kind = model.kind
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
    )
    rows_insert(
        (
            Reminder,
            [
                {
                    "case_type": kind,
                    "case_id": case.id,
                    "deadline": clock.name,
                    "threshold": threshold.key,
                    "due_at": clock.due_at,
                    "event_id": event.pk,
                }
                for (case, clock, threshold), event in zip(wanted, events, strict=True)
            ],
        )
    )
    return len(events)


def _next_reminders_save(model, cases) -> None:
    """Each case's new ``next_reminder_at`` in one UPDATE ... FROM (VALUES ...) on PostgreSQL:
    ``bulk_update`` builds a CASE with a branch per row, a quarter of the sweep's time."""
    if connection.vendor != "postgresql":
        model.objects.bulk_update(cases, ["next_reminder_at"])
        return
    rows = ", ".join(["(%s::uuid, %s::timestamptz)"] * len(cases))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} AS c SET next_reminder_at = v.at "  # noqa: S608
            f"FROM (VALUES {rows}) AS v (id, at) WHERE c.id = v.id",
            [value for case in cases for value in (case.pk, case.next_reminder_at)],
        )


def _sealed_fields(model) -> list[str]:
    """Fields the sweep never reads and would otherwise open, one key-ring call per value."""
    return [field.name for field in model._meta.concrete_fields if isinstance(field, SealedField)]


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
                    .defer(*_sealed_fields(model))
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
                        agreements[pair] = agreement_of(case)
                    agreement = agreements[pair]
                    wanted += [
                        (case, clock, threshold)
                        for clock in running_clocks(case)
                        for threshold in reminders_due(clock, agreement, now)
                    ]
                    case.next_reminder_at = next_reminder_at(case, agreement, now)
                sent += _reminders_send(model, wanted)
                _next_reminders_save(model, due)
    if sent:
        audit_record(actor=None, action="deadline.sweep", detail={"reminders": sent})
    return sent
