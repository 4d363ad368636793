"""The admin site's webhook and delivery pages: operators see every agency's; nobody else."""

import pytest
from django.test import Client

from agencies.roles import Role
from exchange import services
from exchange.models import Delivery

from ..factories import member

pytestmark = pytest.mark.django_db


def test_an_operator_sees_every_agencys_webhook_endpoints(kh_agency, th_agency, operator_browser):
    services.webhook_endpoint_create(agency=kh_agency, url="https://93.184.215.14/kh-visible")
    services.webhook_endpoint_create(agency=th_agency, url="https://93.184.215.14/th-visible")
    page = operator_browser.get("/admin/exchange/webhookendpoint/")
    assert page.status_code == 200
    assert b"kh-visible" in page.content and b"th-visible" in page.content


def test_an_operator_redelivers_a_dead_delivery(kh_agency, th_agency, operator_browser, emit):
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    dead = Delivery.objects.get(agency=kh_agency)
    Delivery.objects.filter(pk=dead.pk).update(state="dead", next_attempt_at=None)
    operator_browser.post(
        "/admin/exchange/delivery/",
        {"action": "redeliver", "_selected_action": [str(dead.pk)]},
    )
    assert Delivery.objects.get(pk=dead.pk).state == "pending"


def test_an_agency_admin_cannot_redeliver_through_the_admin_site(kh_agency, th_agency, emit):
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    own = Delivery.objects.get(agency=kh_agency)
    Delivery.objects.filter(pk=own.pk).update(state="dead", next_attempt_at=None)
    browser = Client()
    browser.force_login(member(kh_agency, Role.ADMIN))
    assert browser.get("/admin/exchange/delivery/").status_code == 403
    refused = browser.post(
        "/admin/exchange/delivery/",
        {"action": "redeliver", "_selected_action": [str(own.pk)]},
    )
    assert refused.status_code == 403
    assert Delivery.objects.get(pk=own.pk).state == "dead"
