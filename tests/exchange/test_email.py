"""Email notifications: the agency's language, the reference, the deadline, the link, no person."""

import pytest
from django.core import mail

from exchange.delivery import delivery_attempt
from exchange.models import Delivery

from ..factories import AgencyFactory

pytestmark = pytest.mark.django_db

CASE_ID = "0b9f7c1e-64a4-4c83-9d0e-2f7f1a0c5d11"


def _send_email_of(event, agency):
    delivery = Delivery.objects.get(event=event, agency=agency, channel="email")
    assert delivery_attempt(delivery_id=delivery.pk).state == "delivered"
    (message,) = mail.outbox
    return delivery, message


def _html(message) -> str:
    (html, mimetype) = message.alternatives[0]
    assert mimetype == "text/html"
    return html


@pytest.mark.parametrize(
    ("language", "what", "label"),
    [
        ("en", "Referral notice sent", "Acknowledge by"),
        ("km", "លិខិតបញ្ជូនករណីត្រូវបានផ្ញើ", "ទទួលស្គាល់មុន"),
        ("th", "ส่งหนังสือส่งต่อแล้ว", "ตอบรับภายใน"),
        ("vi", "Đã gửi thông báo chuyển tuyến", "Xác nhận trước"),
    ],
)
def test_email_is_in_the_agencys_language_and_names_the_reference(
    th_agency, emit, settings, language, what, label
):
    recipient = AgencyFactory(code="KH-MOI", country="KH", language=language)
    event = emit(
        "referral.sent",
        sender=th_agency,
        recipient=recipient,
        object_id=CASE_ID,
        data={"acknowledge_due_at": "2026-12-02T03:00:00Z"},
    )
    delivery, message = _send_email_of(event, recipient)
    assert message.to == [recipient.notification_email]
    assert message.subject == f"[Mekong Exchange] REF-TH-KH-2026-000042: {what}"
    link = f"{settings.PUBLIC_BASE_URL}/api/v1/referrals/{CASE_ID}/"
    for body in (message.body, _html(message)):
        assert "REF-TH-KH-2026-000042" in body
        assert label in body
        assert link in body
        # Phnom Penh is UTC+07:00: the deadline shows in local time and in UTC.
        assert "UTC+07:00" in body
        assert "2026-12-02 03:00 UTC" in body
    assert message.extra_headers["Content-Language"] == language
    assert message.extra_headers["Message-ID"] == f"<{delivery.pk}@127.0.0.1>"


def test_email_carries_only_the_case_metadata(th_agency, kh_agency, emit):
    event = emit("referral.sent", sender=th_agency, recipient=kh_agency, object_id=CASE_ID)
    _, message = _send_email_of(event, kh_agency)
    text = message.body
    for expected in ("REF-TH-KH-2026-000042", "TH-MSDHS", "KH-MOSVY"):
        assert expected in text
    # Only what the event holds reaches the message: the agency, never a subject's identity.
    assert "given_name" not in text and "birth" not in text


def test_message_posted_email_says_to_open_the_case(th_agency, kh_agency, emit):
    kh_agency.language = "en"
    kh_agency.save()
    event = emit("message.posted", sender=th_agency, recipient=kh_agency)
    _, message = _send_email_of(event, kh_agency)
    assert message.subject.endswith("New message on a case")
    assert "Open the case to read it" in message.body


def test_missing_notification_address_at_send_time_is_dead(th_agency, kh_agency, emit):
    event = emit("referral.sent", sender=th_agency, recipient=kh_agency)
    kh_agency.notification_email = ""
    kh_agency.save()
    delivery = Delivery.objects.get(event=event, channel="email")
    assert delivery_attempt(delivery_id=delivery.pk).state == "dead"
    assert mail.outbox == []


def test_an_escalation_copies_the_late_agencys_active_admins_with_an_address(th_agency, emit):
    from django.contrib.auth import get_user_model

    from agencies.roles import Role

    from ..factories import member

    late = AgencyFactory(code="KH-MOI", country="KH")
    boss = member(late, Role.ADMIN, username="kh-boss")
    for username, role in [
        ("kh-gone", Role.ADMIN),
        ("kh-silent", Role.ADMIN),
        ("kh-dara", Role.OFFICER),
    ]:
        member(late, role, username=username)
    get_user_model().objects.filter(username="kh-gone").update(is_active=False)
    get_user_model().objects.filter(username="kh-silent").update(email="")
    event = emit("deadline.escalated", sender=th_agency, recipient=late)
    _, message = _send_email_of(event, late)
    assert message.to == [late.notification_email]
    assert message.cc == [boss.email]
