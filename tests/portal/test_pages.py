"""The portal's rules without a browser: sign-in, headers, 404s, audit, one case per submit."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from agencies.roles import Role
from exchange.models import AuditEvent
from protocol.etags import etag_of
from referrals.models import ReferralNotice

from ..factories import member
from ..referrals.conftest import caller, new_referral
from .conftest import PASSWORD, signed_in

pytestmark = pytest.mark.django_db

PAGES = ["/", "/cases/", "/cases/new/referral/", "/agency/members/", "/oversight/"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_go_to_the_sign_in_page_and_come_back(path):
    page = Client().get(path)
    assert page.status_code == 302
    assert page["Location"] == f"/accounts/login/?next={path}"


def test_sign_in_sign_out_and_failure_are_audited(world):
    user = member(world.th_sender, Role.OFFICER)
    browser = Client()
    assert (
        browser.post("/accounts/login/", {"username": user.username, "password": "no"}).status_code
        == 200
    )
    browser.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    browser.post("/accounts/logout/")
    rows = AuditEvent.objects.filter(actor=user).order_by("sequence")
    assert [(row.action, row.outcome) for row in rows] == [
        ("portal.sign_in", "denied"),
        ("portal.sign_in", "allowed"),
        ("portal.sign_out", "allowed"),
    ]


def test_the_browsable_apis_own_sign_in_is_gone():
    assert Client().get("/api-auth/login/").status_code == 404


def test_pages_are_not_cached_and_run_only_their_own_scripts(world, th_officer):
    page = th_officer.get("/cases/")
    assert "no-store" in page["Cache-Control"]
    policy = page["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in page.content.decode()
    assert "/static/django_htmx/htmx-2.min.js" in page.content.decode()


def test_every_form_carries_a_csrf_token(world, th_officer):
    html = th_officer.get("/cases/new/referral/").content.decode()
    forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, re.S)
    assert forms and all("csrfmiddlewaretoken" in form for form in forms)


def test_another_agencys_case_is_the_same_404_page_as_no_case(world):
    case = new_referral(world, "sent")
    foreign = signed_in(world.vn_agency)
    seen = foreign.get(f"/cases/referral/{case.pk}/")
    none = foreign.get("/cases/referral/00000000-0000-4000-8000-000000000000/")
    assert seen.status_code == none.status_code == 404
    main = re.compile(rb"<main.*</main>", re.S)
    assert main.search(seen.content).group() == main.search(none.content).group()
    denied = AuditEvent.objects.filter(action="request.denied", status_code=404)
    assert denied.filter(object_id=str(case.pk)).exists()


def test_reading_a_case_page_is_audited_as_an_api_read_is(world, kh_officer):
    case = new_referral(world, "sent")
    assert kh_officer.get(f"/cases/referral/{case.pk}/").status_code == 200
    read = AuditEvent.objects.filter(action="referral.read", object_id=str(case.pk)).get()
    assert read.actor == kh_officer.user and read.reference == case.reference


def _referral_form(**overrides) -> dict:
    data = {
        "idempotency_key": "form-key-1",
        "recipient_agency": "KH-MOSVY",
        "urgency": "routine",
        "category": "trafficking_victim",
        "identified_on": "2026-11-20",
        "given_name": "Sokha",
        "sex": "female",
        "age_estimate": "16",
        "consent_status": "given",
        "consent_scope": ["social_welfare"],
        "then": "draft",
    }
    data.update(overrides)
    return data


def test_a_double_submit_makes_one_case(world, th_officer):
    first = th_officer.post("/cases/new/referral/", _referral_form())
    second = th_officer.post("/cases/new/referral/", _referral_form())
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    case = ReferralNotice.objects.get()
    assert case.subject.is_minor  # recognised from the age estimate


def test_consent_status_and_scope_are_required(world, th_officer):
    page = th_officer.post("/cases/new/referral/", _referral_form(consent_scope=[]))
    assert page.status_code == 400
    page = th_officer.post("/cases/new/referral/", _referral_form(consent_status=""))
    assert page.status_code == 400
    assert not ReferralNotice.objects.exists()


def test_a_concurrent_draft_edit_is_explained_not_overwritten(world, th_officer):
    th_officer.post("/cases/new/referral/", _referral_form())
    case = ReferralNotice.objects.get()
    stale = etag_of(case)
    from referrals import services

    services.case_update(
        case=case, actor=caller(world.th_sender), if_match=stale, summary="Changed elsewhere."
    )
    th_officer.cookies["django_language"] = "en"  # the person chose English over Thai
    page = th_officer.post(
        f"/cases/referral/{case.pk}/edit/",
        _referral_form(etag=stale, summary="My version.", idempotency_key=""),
    )
    assert page.status_code == 412 and '<html lang="en">' in page.content.decode()
    assert "Someone changed this case" in page.content.decode()
    case.refresh_from_db()
    assert case.summary == "Changed elsewhere."


def test_viewers_read_but_take_no_action(world):
    case = new_referral(world, "sent")
    viewer = signed_in(world.kh_recipient, Role.VIEWER)
    page = viewer.get(f"/cases/referral/{case.pk}/")
    assert page.status_code == 200 and "act-acknowledge" not in page.content.decode()
    refused = viewer.post(f"/cases/referral/{case.pk}/act/acknowledge/", {"focal_point": "x"})
    assert refused.status_code == 403
    case.refresh_from_db()
    assert case.status == "sent"


def test_the_password_reset_email_is_in_the_agencys_language(world, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    user = member(world.kh_recipient, Role.OFFICER)
    Client().post("/accounts/password-reset/", {"email": user.email})
    (message,) = mail.outbox
    assert "/accounts/reset/" in message.body
    assert re.search("[\u1780-\u17ff]", message.subject + message.body)


def test_admins_and_auditors_owe_a_second_factor_when_required(world, settings):
    settings.PORTAL_TWO_FACTOR_ROLES = ["admin", "auditor"]
    auditor = signed_in(world.kh_oversight, Role.AUDITOR)
    page = auditor.get("/oversight/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/two-factor/setup/")
    assert auditor.get("/api/v1/audit-events/").status_code in (401, 403)
    officer = signed_in(world.kh_recipient, Role.OFFICER)
    assert officer.get("/cases/").status_code == 200


def test_a_session_ends_after_thirty_idle_minutes(world, th_officer):
    import time_machine
    from django.utils import timezone

    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=25)):
        assert th_officer.get("/cases/").status_code == 200  # a page seen: idle time restarts
    with time_machine.travel(start + timedelta(minutes=50)):
        assert th_officer.get("/cases/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=81)):
        assert th_officer.get("/cases/").status_code == 302
