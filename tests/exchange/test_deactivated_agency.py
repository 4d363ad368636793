"""Deactivating an agency ends its sessions and tokens and stops its deliveries."""

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.test import APIClient

from agencies import services as agency_services
from agencies.models import Membership
from agencies.roles import Role
from exchange import services
from exchange.delivery import delivery_attempt
from exchange.models import Delivery

from ..factories import member, sign_in
from .receiver import WebhookReceiver

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Secret-123"


def _deactivate(agency):
    agency_services.agency_update(actor=None, agency=agency, is_active=False)


def _reactivate(agency):
    agency_services.agency_update(actor=None, agency=agency, is_active=True)


def _signed_in_admin(agency) -> Client:
    user = member(agency, Role.ADMIN, username="kh-admin-person")
    browser = Client()
    assert sign_in(browser, user.username, PASSWORD)
    assert browser.get("/agency/members/").status_code == 200
    return browser


def _token(client_id: str, secret: str):
    return Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_deactivation_ends_the_agencys_sessions_and_the_portal_refuses_its_admins(
    kh_agency, th_agency
):
    browser = _signed_in_admin(kh_agency)
    other = member(th_agency, Role.ADMIN, username="th-admin-person")
    th_browser = Client()
    assert sign_in(th_browser, other.username, PASSWORD)
    officer = Membership.objects.get(user=member(kh_agency, Role.OFFICER))

    _deactivate(kh_agency)

    sessions = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert sessions == [str(other.pk)]
    assert browser.get("/agency/members/").status_code == 302
    changed = browser.post(f"/agency/members/{officer.pk}/", {"role": "admin"})
    assert changed.status_code == 302 and "/accounts/login/" in changed["Location"]
    officer.refresh_from_db()
    assert officer.role == Role.OFFICER
    assert not sign_in(Client(), "kh-admin-person", PASSWORD)
    assert th_browser.get("/agency/members/").status_code == 200


def test_a_session_of_an_inactive_agency_is_refused_even_if_it_survived(kh_agency):
    browser = _signed_in_admin(kh_agency)
    kh_agency.is_active = False
    kh_agency.save(update_fields=["is_active"])  # as a bulk change would, without the service
    page = browser.get("/agency/members/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert browser.get("/api/v1/me/").status_code in (401, 403)


def test_deactivation_revokes_tokens_and_reactivation_needs_new_ones(kh_agency, kh_admin):
    created = kh_admin.post(
        "/api/v1/agency/clients/",
        {"name": "case-system", "role": "viewer", "scopes": ["referrals:read"]},
        format="json",
    ).json()
    old = _token(created["client_id"], created["client_secret"]).json()["access_token"]
    assert _bearer(old).get("/api/v1/me/").status_code == 200

    _deactivate(kh_agency)
    assert _bearer(old).get("/api/v1/me/").status_code == 401
    assert _token(created["client_id"], created["client_secret"]).status_code in (400, 401)

    _reactivate(kh_agency)
    assert _bearer(old).get("/api/v1/me/").status_code == 401
    new = _token(created["client_id"], created["client_secret"])
    assert new.status_code == 200
    assert _bearer(new.json()["access_token"]).get("/api/v1/me/").status_code == 200


def test_an_inactive_agencys_pending_deliveries_are_not_sent(
    kh_agency, th_agency, emit, endpoint_for, mailoutbox
):
    with WebhookReceiver() as receiver:
        endpoint_for(kh_agency, receiver.url)
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
        pending = list(Delivery.objects.filter(agency=kh_agency))
        assert {d.channel for d in pending} == {"webhook", "email"}
        _deactivate(kh_agency)
        for delivery in pending:
            delivery_attempt(delivery_id=delivery.pk)
        assert receiver.received == []
    assert mailoutbox == []
    states = set(Delivery.objects.filter(agency=kh_agency).values_list("state", "last_error"))
    assert states == {("dead", "The agency is not active.")}


def test_an_inactive_agencys_delivery_is_not_redelivered(kh_agency, th_agency, emit):
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    delivery = Delivery.objects.get(agency=kh_agency)
    _deactivate(kh_agency)
    with pytest.raises(Exception, match="not active"):
        services.delivery_redeliver(actor=None, delivery=delivery)
