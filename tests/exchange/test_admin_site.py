"""The admin site: an agency admin sees only their own agency's webhooks and deliveries."""

import pytest

from exchange import services
from exchange.models import Delivery

pytestmark = pytest.mark.django_db


def test_agency_admin_sees_only_own_webhook_endpoints(kh_agency, th_agency, kh_admin_browser):
    services.webhook_endpoint_create(agency=kh_agency, url="https://93.184.215.14/kh-visible")
    services.webhook_endpoint_create(agency=th_agency, url="https://93.184.215.14/th-hidden")
    page = kh_admin_browser.get("/admin/exchange/webhookendpoint/")
    assert page.status_code == 200
    assert b"kh-visible" in page.content
    assert b"th-hidden" not in page.content


def test_agency_admin_cannot_redeliver_another_agencys_delivery(
    kh_agency, th_agency, kh_admin_browser, emit
):
    emit("referral.sent", sender=kh_agency, recipient=th_agency)
    foreign = Delivery.objects.get(agency=th_agency)
    Delivery.objects.filter(pk=foreign.pk).update(state="dead", next_attempt_at=None)
    page = kh_admin_browser.get("/admin/exchange/delivery/")
    assert page.status_code == 200
    assert str(foreign.pk).encode() not in page.content
    kh_admin_browser.post(
        "/admin/exchange/delivery/",
        {"action": "redeliver", "_selected_action": [str(foreign.pk)]},
    )
    assert Delivery.objects.get(pk=foreign.pk).state == "dead"


def test_agency_admin_redelivers_own_delivery(kh_agency, th_agency, kh_admin_browser, emit):
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    own = Delivery.objects.get(agency=kh_agency)
    Delivery.objects.filter(pk=own.pk).update(state="dead", next_attempt_at=None)
    kh_admin_browser.post(
        "/admin/exchange/delivery/",
        {"action": "redeliver", "_selected_action": [str(own.pk)]},
    )
    assert Delivery.objects.get(pk=own.pk).state == "pending"
