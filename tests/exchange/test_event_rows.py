"""Events written as rows: one statement for the events, their audience and deliveries."""

import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency
from exchange.models import Delivery, Event, EventAudience
from exchange.services import events_emit
from protocol.rows import rows_update
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


def _draft(sender, recipient, data=None) -> Event:
    case_id = uuid.uuid4()
    return Event(
        type="referral.sent",
        object_type="referral",
        object_id=case_id,
        reference="REF-TH-KH-2026-000007",
        actor_agency=sender,
        data=data
        or {
            "path": f"/api/v1/referrals/{case_id}/",
            "status": "sent",
            "urgency": "routine",
            "sender": sender.code,
            "recipient": recipient.code,
        },
    )


def test_events_audience_and_deliveries_are_written_in_one_statement():
    sender = AgencyFactory(country="TH", notification_email="desk@th.example")
    recipient = AgencyFactory(country="KH", notification_email="desk@kh.example")
    drafts = [(_draft(sender, recipient), [sender, recipient]) for _ in range(3)]
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        events = events_emit(drafts)
    tables = ('"exchange_event"', '"exchange_eventaudience"', '"exchange_delivery"')
    writes = [q["sql"] for q in captured if any(f"INSERT INTO {t}" in q["sql"] for t in tables)]
    assert len(writes) == 1
    assert all(f"INSERT INTO {table}" in writes[0] for table in tables)
    assert Event.objects.filter(pk__in=[e.pk for e in events]).count() == 3
    assert [e.sequence for e in events] == sorted({e.sequence for e in events})
    assert EventAudience.objects.filter(event__in=events).count() == 6
    # The recipient is told by email; the agency that acted is not.
    emails = Delivery.objects.filter(event__in=events)
    assert {d.agency_id for d in emails} == {recipient.pk}
    assert all(d.state == Delivery.State.PENDING and d.attempts == 0 for d in emails)


def test_an_event_written_as_a_row_reads_back_as_it_was_given():
    sender = AgencyFactory(country="TH")
    recipient = AgencyFactory(country="KH")
    draft = _draft(sender, recipient)
    with transaction.atomic():
        (event,) = events_emit([(draft, [sender, recipient])])
    stored = Event.objects.get(pk=event.pk)
    assert stored.data == event.data
    assert stored.created_at == event.created_at
    assert stored.actor_agency_id == sender.pk
    assert stored.sequence == event.sequence
    assert not event._state.adding


def test_rows_update_sets_one_field_of_the_rows_named_in_one_statement():
    first, second, untouched = (AgencyFactory(country="KH") for _ in range(3))
    values = {first.pk: "one@kh.example", second.pk: "two@kh.example"}
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        rows_update(Agency, "notification_email", values)
        rows_update(Agency, "notification_email", {})
    assert len(captured) == 1
    emails = dict(Agency.objects.values_list("pk", "notification_email"))
    assert {pk: emails[pk] for pk in values} == values
    assert emails[untouched.pk] == untouched.notification_email


def test_any_matches_what_in_matches_with_one_parameter():
    agencies = [AgencyFactory() for _ in range(3)]
    wanted = [agencies[0].pk, agencies[2].pk, uuid.uuid4()]
    with CaptureQueriesContext(connection) as captured:
        found = set(Agency.objects.filter(pk__any=wanted).values_list("pk", flat=True))
    assert found == set(Agency.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    assert found == {agencies[0].pk, agencies[2].pk}
    assert "= ANY(" in captured[0]["sql"] and " IN (" not in captured[0]["sql"]
    assert not Agency.objects.filter(pk__any=[]).exists()
