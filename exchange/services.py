"""Writes of the exchange layer: counters and the event outbox."""

from collections.abc import Iterable
from uuid import UUID

from django.db import connection, transaction

from agencies.models import Agency

from .models import Counter, Event, EventAudience

EVENT_SEQUENCE = "events"


def counter_next(name: str) -> int:
    """Increment a named counter and return its new value.

    The row stays locked until the surrounding transaction ends, so values are handed out in
    commit order and never twice. Call it late in a transaction to keep the lock short.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("counter_next must run inside a transaction.")
    sql = f"UPDATE {Counter._meta.db_table} SET value = value + 1 WHERE name = %s RETURNING value"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [name])
        row = cursor.fetchone()
        if row is None:
            Counter.objects.get_or_create(name=name)
            cursor.execute(sql, [name])
            row = cursor.fetchone()
    return row[0]


def event_emit(
    *,
    type: str,
    object_type: str,
    object_id: UUID | None,
    reference: str = "",
    agencies: Iterable[Agency],
    actor_agency: Agency | None = None,
    data: dict | None = None,
) -> Event:
    """Append an event for the agencies it concerns, in the caller's transaction."""
    sequence = counter_next(EVENT_SEQUENCE)
    event = Event.objects.create(
        sequence=sequence,
        type=type,
        object_type=object_type,
        object_id=object_id,
        reference=reference,
        actor_agency=actor_agency,
        data=data or {},
    )
    audience = {agency.pk: agency for agency in agencies}
    EventAudience.objects.bulk_create(
        [EventAudience(event=event, agency_id=pk, sequence=sequence) for pk in audience]
    )
    return event
