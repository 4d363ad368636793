"""Officers in the browser: a Thai referral to Cambodia, answered in Khmer; a child's return."""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext

from agencies.roles import Role
from exchange import delivery as dispatcher
from exchange import services as exchange_services
from exchange.models import Delivery, Event
from referrals.models import ReferralNotice, ReturnRequest

from ..exchange.receiver import WebhookReceiver
from ..factories import member
from ..referrals.conftest import caller, draft_return, new_referral, partner, subject_data
from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _deliver_pending() -> None:
    """What a worker does: attempt every delivery that is due now."""
    for delivery_id in Delivery.objects.filter(state="pending").values_list("id", flat=True):
        dispatcher.delivery_attempt(delivery_id=delivery_id)


def test_thai_officer_sends_a_referral_and_a_khmer_officer_accepts_it(world, visitor, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    th_user = member(world.th_sender, Role.OFFICER)
    kh_user = member(world.kh_recipient, Role.OFFICER)

    # (a) The Thai officer, in Thai, creates and sends a referral to KH-MOSVY.
    th = visitor("th-officer")
    th.sign_in(th_user.username, PASSWORD)
    assert th.page.get_attribute("html", "lang") == "th"
    th.check("inbox-th")
    th.go("/cases/new/referral/")
    page = th.page
    page.select_option("#id_recipient_agency", "KH-MOSVY")
    page.select_option("#id_urgency", "urgent")
    page.select_option("#id_category", "trafficking_victim")
    page.check("input[name=exploitation_types][value=forced_criminality]")
    page.fill("#id_identified_on", timezone.localdate().isoformat())
    page.fill("#id_identified_place", "Sa Kaeo")
    page.fill("#id_summary", "Found in a scam compound; wants to go home.")
    page.fill("#id_given_name", "Sokha")
    page.fill("#id_family_name", "Chan")
    page.fill("#id_birth_date", "1999-03-14")
    page.select_option("#id_consent_status", "given")
    page.check("input[name=consent_scope][value=social_welfare]")
    th.check("new-referral-form-th")
    th.submit("button[name=then][value=send]")
    referral = ReferralNotice.objects.get()
    assert referral.status == "sent" and referral.reference.startswith("REF-TH-KH-")
    assert referral.reference in th.main_text()
    th.check("case-page-th")

    # A partner system of KH-MOSVY listens on a webhook.
    with WebhookReceiver() as receiver:
        _endpoint, secret = exchange_services.webhook_endpoint_create(
            agency=world.kh_recipient, url=receiver.url
        )
        receiver.secret = secret

        # (b) The Khmer officer sees it with its clock, acknowledges with a focal point, accepts.
        kh = visitor("kh-officer")
        kh.sign_in(kh_user.username, PASSWORD)
        assert kh.page.get_attribute("html", "lang") == "km"
        row = kh.page.locator("tr", has_text=referral.reference)
        assert row.locator(".clock.ok, .clock.soon").count() == 1
        kh.check("inbox-km")
        with kh.page.expect_navigation():
            row.locator("a").first.click()
        kh.check("case-page-km")
        kh.page.fill("#focal_point", "Ms Dara, MoSVY Poipet")
        kh.submit("#act-acknowledge")
        kh.submit("#act-accept")
        assert "accept" not in [b.get_attribute("id") for b in kh.page.locator("button").all()]
        kh.check("case-accepted-km")

        # The API, the feed and the webhook agree.
        api = partner(world.kh_recipient)
        body = api.get(f"/api/v1/referrals/{referral.pk}/").json()
        assert (body["status"], body["focal_point"]) == ("accepted", "Ms Dara, MoSVY Poipet")
        feed = api.get("/api/v1/events/?after=0&limit=200").json()["results"]
        types = [e["type"] for e in feed if e["reference"] == referral.reference]
        assert types[-2:] == ["referral.acknowledged", "referral.accepted"]
        _deliver_pending()
        assert receiver.wait_for(
            lambda r: any(b"referral.accepted" in m.body for m in r.received), timeout=10
        )
        assert all(m.verified for m in receiver.received)
    assert Event.objects.filter(object_id=referral.pk, type="referral.accepted").count() == 1


def test_a_childs_return_is_verified_only_with_family_traced(world, visitor):
    sender = caller(world.th_sender)
    child = subject_data(birth_date=None, age_estimate=15, given_name="Vichea")
    return_request = draft_return(world, sender=sender, subject=child)
    from referrals import services

    services.return_send(return_request=return_request, actor=sender)
    kh_user = member(world.kh_recipient, Role.OFFICER)
    kh = visitor("kh-officer-return")
    kh.sign_in(kh_user.username, PASSWORD)
    kh.go(f"/cases/return/{return_request.pk}/")
    kh.submit("#act-acknowledge")
    kh.page.check("#identity_confirmed")
    kh.page.check("#nationality_confirmed")
    kh.submit("#act-verify")
    # (c) Refused without family tracing: the reason is shown and nothing changed.
    assert kh.page.locator("[role=alert] li.error").count() >= 1
    with translation.override("km"):
        assert f"{gettext('Family traced')}: " in kh.main_text()
    assert "family_traced" not in kh.main_text()
    kh.check("verify-refused-km")
    assert ReturnRequest.objects.get().status == "acknowledged"
    kh.page.check("#identity_confirmed")
    kh.page.check("#nationality_confirmed")
    kh.page.check("#family_traced")
    kh.submit("#act-verify")
    assert ReturnRequest.objects.get().status == "verified"
    # Tomorrow: in Phnom Penh, seven hours ahead, today's UTC date is already past after 17:00.
    kh.page.fill("#schedule-date", (date.today() + timedelta(days=1)).isoformat())
    kh.page.select_option("#schedule-checkpoint", "KH-TH-POIPET")
    kh.submit("#act-schedule")
    assert ReturnRequest.objects.get().checkpoint.code == "KH-TH-POIPET"
    kh.page.fill(
        "#handover-at",
        # The minute after now: the form has minutes, the request was made seconds ago.
        (timezone.localtime(timezone=world.kh_recipient.timezone) + timedelta(minutes=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
    )
    kh.page.fill("#received-by", "Officer Sopheap, Poipet")
    kh.check("scheduled-km")
    kh.submit("#act-confirm_handover")
    assert ReturnRequest.objects.get().status == "handed_over"
    kh.check("handed-over-km")


def test_a_foreign_officer_gets_the_same_404_page_as_for_no_case(world, visitor):
    sender = caller(world.th_sender)
    return_request = draft_return(world, sender=sender)
    from referrals import services

    services.return_send(return_request=return_request, actor=sender)
    vn_user = member(world.vn_agency, Role.OFFICER)
    vn = visitor("vn-officer")
    vn.sign_in(vn_user.username, PASSWORD)
    foreign = vn.go(f"/cases/return/{return_request.pk}/")
    foreign_text = vn.main_text()
    vn.check("foreign-case-404")
    missing = vn.go("/cases/return/00000000-0000-4000-8000-000000000000/")
    assert foreign.status == missing.status == 404
    assert vn.main_text() == foreign_text
    assert "Vichea" not in foreign_text and "Sokha" not in foreign_text


def test_pages_fit_a_phone_360_px_wide(world, visitor):
    kh_user = member(world.kh_recipient, Role.OFFICER)
    phone = visitor("kh-officer-phone", width=360, height=740)
    phone.sign_in(kh_user.username, PASSWORD)
    phone.check("inbox-360px")
    scroll_width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360
    phone.go("/cases/new/referral/")
    phone.check("new-referral-360px")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 360


def test_inbox_and_case_page_in_english_vietnamese_and_thai_on_a_desk_and_a_phone(world, visitor):
    case = new_referral(world, "sent")
    kh_user = member(world.kh_recipient, Role.OFFICER)
    for language, width in (("en", 1280), ("vi", 1280), ("vi", 360), ("en", 360), ("th", 360)):
        kh = visitor(f"kh-officer-{width}px", width=width, height=900 if width > 360 else 740)
        kh.sign_in(kh_user.username, PASSWORD)
        kh.page.select_option("#language-choice", language)
        kh.submit("header form[action='/accounts/language/'] button")
        assert kh.page.get_attribute("html", "lang") == language
        kh.check(f"inbox-{language}")
        assert kh.page.evaluate("document.documentElement.scrollWidth") <= width
        kh.go(f"/cases/referral/{case.pk}/")
        assert case.reference in kh.main_text()
        kh.check(f"case-page-{language}")
        assert kh.page.evaluate("document.documentElement.scrollWidth") <= width
