"""Creating cases: the sender's draft, its ETag and Location, and idempotent retries."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.models import AuditEvent, Event
from referrals import services
from referrals.access import referrals_visible_to, returns_visible_to
from referrals.models import (
    ReferralNotice,
    ReferralNoticeGroupObjectPermission,
    ReminderSchedule,
    ReturnRequest,
    Subject,
)

from .conftest import caller, draft_referral, partner, referral_payload, subject_data

pytestmark = pytest.mark.django_db


def test_create_answers_201_with_location_etag_and_a_draft(world):
    response = partner(world.th_sender).post(
        "/api/v1/referrals/", referral_payload(), format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert response["Location"] == f"/api/v1/referrals/{body['id']}/"
    assert response["ETag"]
    assert body["status"] == "draft" and body["reference"] is None
    assert body["sender_agency"] == "TH-MSDHS" and body["recipient_agency"] == "KH-MOSVY"
    assert body["allowed_actions"] == ["send", "withdraw"]
    assert body["subject"]["is_minor"] is False
    created = Event.objects.get(object_id=body["id"])
    assert created.type == "referral.created"
    assert list(created.audience.values_list("agency__code", flat=True)) == ["TH-MSDHS"]


def test_a_retry_with_the_same_idempotency_key_creates_one_case(world):
    th = partner(world.th_sender)
    first = th.post(
        "/api/v1/referrals/", referral_payload(), format="json", HTTP_IDEMPOTENCY_KEY="cms-42"
    )
    again = th.post(
        "/api/v1/referrals/", referral_payload(), format="json", HTTP_IDEMPOTENCY_KEY="cms-42"
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert again["Location"] == first["Location"]
    assert ReferralNotice.objects.count() == 1
    assert Event.objects.filter(type="referral.created").count() == 1


def test_the_same_key_with_another_body_is_422(world):
    th = partner(world.th_sender)
    th.post("/api/v1/referrals/", referral_payload(), format="json", HTTP_IDEMPOTENCY_KEY="cms-43")
    other = th.post(
        "/api/v1/referrals/",
        referral_payload(urgency="urgent"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="cms-43",
    )
    assert other.status_code == 422
    assert ReferralNotice.objects.count() == 1


def test_an_action_retried_with_its_key_is_not_applied_twice(world):
    th = partner(world.th_sender)
    case_id = th.post("/api/v1/referrals/", referral_payload(), format="json").json()["id"]
    first = th.post(f"/api/v1/referrals/{case_id}/send/", HTTP_IDEMPOTENCY_KEY="send-1")
    again = th.post(f"/api/v1/referrals/{case_id}/send/", HTTP_IDEMPOTENCY_KEY="send-1")
    assert first.status_code == again.status_code == 200
    assert again.json()["reference"] == first.json()["reference"]
    assert Event.objects.filter(type="referral.sent").count() == 1


def test_a_minor_is_derived_from_the_age(world):
    payload = referral_payload(subject={"given_name": "Vanna", "age_estimate": 14})
    body = partner(world.th_sender).post("/api/v1/referrals/", payload, format="json").json()
    assert body["subject"]["is_minor"] is True


def test_create_a_return_with_its_checkpoint(world):
    response = partner(world.th_sender).post(
        "/api/v1/returns/",
        {
            "recipient_agency": "KH-MOSVY",
            "basis": "victim_repatriation",
            "subject": {"given_name": "Sokha", "age_estimate": 30},
            "proposed_checkpoint": "KH-TH-POIPET",
            "proposed_date": "2999-01-10",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["proposed_checkpoint"] == "KH-TH-POIPET"
    assert ReturnRequest.objects.count() == 1


def test_a_viewer_cannot_create(world):
    from agencies.roles import Role

    viewer = partner(world.th_sender, Role.VIEWER)
    assert viewer.post("/api/v1/referrals/", referral_payload(), format="json").status_code == 403
    assert ReferralNotice.objects.count() == 0


def test_a_draft_its_subject_and_its_sender_grant_are_written_in_one_statement(world):
    sender = caller(world.th_sender)
    subject = subject_data(birth_date=date(2012, 5, 1))
    with CaptureQueriesContext(connection) as captured:
        draft = draft_referral(world, sender=sender, subject=subject)
    tables = [
        f'INSERT INTO "{model._meta.db_table}"'
        for model in (Subject, ReferralNotice, ReferralNoticeGroupObjectPermission)
    ]
    inserts = [q["sql"] for q in captured if any(table in q["sql"] for table in tables)]
    assert len(inserts) == 1
    assert all(table in inserts[0] for table in tables)
    stored = ReferralNotice.objects.select_related("subject").get(pk=draft.pk)
    assert (stored.subject.given_name, stored.subject.birth_date) == (
        subject["given_name"],
        date(2012, 5, 1),
    )
    assert stored.subject.is_minor and stored.subject.consent_recorded_at is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT given_name FROM referrals_subject WHERE id = %s", [draft.subject_id])
        assert subject["given_name"] not in cursor.fetchone()[0]
    assert (stored.status, stored.version, stored.created_at) == ("draft", 1, draft.created_at)
    assert not draft._state.adding
    assert referrals_visible_to(sender).filter(pk=draft.pk).get().can_change


def _written(case) -> dict:
    """What a case's creation and send leave behind, as a partner and an auditor would see it."""
    case = type(case).objects.get(pk=case.pk)
    events = Event.objects.filter(object_id=case.pk).order_by("sequence")
    sent_at = getattr(case, "sent_at", None) or case.requested_at
    return {
        "case": (case.status, case.version, case.reference is not None),
        "clocks": {name: getattr(case, name) is not None for name in case.due_fields},
        "sent": sent_at is not None,
        "schedule": ReminderSchedule.objects.filter(case_id=case.pk).exists(),
        "events": [
            (event.type, sorted(event.audience.values_list("agency__code", flat=True)))
            for event in events
        ],
        "consecutive": [e.sequence - events[0].sequence for e in events],
        "audit": list(
            AuditEvent.objects.filter(object_id=str(case.pk))
            .order_by("sequence")
            .values_list("action", flat=True)
        ),
    }


@pytest.mark.parametrize("kind", ["referral", "return"])
def test_save_and_send_writes_what_create_then_send_writes(world, kind):
    sender = caller(world.th_sender)
    create = services.referral_create if kind == "referral" else services.return_create
    fields = (
        {"category": "trafficking_victim", "identified_on": date(2026, 11, 20)}
        if kind == "referral"
        else {"basis": "victim_repatriation"}
    )
    arguments = {"actor": sender, "recipient_agency": world.kh_recipient, **fields}
    apart = create(subject=subject_data(), **arguments)
    if kind == "referral":
        services.referral_send(referral=apart, actor=sender)
    else:
        services.return_send(return_request=apart, actor=sender)
    with CaptureQueriesContext(connection) as captured:
        together = create(subject=subject_data(), send=True, **arguments)
    model = type(together)
    stored = model.objects.get(pk=together.pk)
    assert (stored.status, stored.version, stored.reference) == (
        together.status,
        together.version,
        together.reference,
    )
    assert together.status != "draft" and together.reference != apart.reference
    assert _written(together) == _written(apart)
    assert _written(together)["events"] == [
        (f"{kind}.created", ["TH-MSDHS"]),
        (f"{kind}.{together.status}", ["KH-MOSVY", "TH-MSDHS"]),
    ]
    # The draft this transaction wrote is not read back and locked again.
    assert not any("FOR UPDATE" in query["sql"] for query in captured)
    recipient = (referrals_visible_to if kind == "referral" else returns_visible_to)(
        caller(world.kh_recipient)
    )
    assert recipient.get(pk=together.pk).can_respond
