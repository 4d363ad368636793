"""Standard Webhooks signatures, checked by an independent receiver with the reference library."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from exchange import services
from exchange.delivery import delivery_attempt
from exchange.events import EVENT_DATA_KEYS
from exchange.models import Delivery

from .receiver import WebhookReceiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_request(kh_agency, th_agency, emit, endpoint_for):
    """One real delivery to a receiver: the endpoint's secret, the body and headers it got."""
    with WebhookReceiver() as receiver:
        endpoint, secret = endpoint_for(kh_agency, receiver.url)
        event = emit("referral.sent", sender=th_agency, recipient=kh_agency)
        delivery_attempt(delivery_id=Delivery.objects.get(endpoint=endpoint).pk)
    (request,) = receiver.received
    return secret, request, event


def test_independent_receiver_verifies_the_signature(signed_request):
    secret, request, event = signed_request
    assert secret.startswith("whsec_")
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "referral.sent"
    assert payload["data"]["id"] == str(event.pk)
    assert payload["data"]["sequence"] == event.sequence
    assert payload["data"]["reference"] == "REF-TH-KH-2026-000042"
    assert request.headers["webhook-id"] == str(Delivery.objects.get(channel="webhook").pk)


def test_tampered_body_is_rejected(signed_request):
    secret, request, _ = signed_request
    tampered = request.body.replace(b'"status":"sent"', b'"status":"closed"')
    assert tampered != request.body
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, request.headers)


def test_timestamp_outside_tolerance_is_rejected(signed_request):
    secret, request, _ = signed_request
    later = timezone.now() + timedelta(minutes=6)
    with time_machine.travel(later), pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(request.body, request.headers)


def test_another_endpoints_secret_does_not_verify(signed_request, kh_agency, endpoint_for):
    _, request, _ = signed_request
    _, other_secret = endpoint_for(kh_agency, "http://127.0.0.1:9/other")
    with pytest.raises(WebhookVerificationError):
        Webhook(other_secret).verify(request.body, request.headers)


def test_body_names_the_case_and_carries_no_personal_data(signed_request):
    _, request, event = signed_request
    body = json.loads(request.body)
    assert set(body) == {"type", "timestamp", "data"}
    assert body["data"]["data"] == event.data
    assert body["data"]["object_id"] == str(event.object_id)
    assert set(body["data"]["data"]) <= EVENT_DATA_KEYS


def test_during_rotation_both_secrets_verify_and_after_it_only_the_new(
    kh_agency, th_agency, emit, endpoint_for, settings
):
    with WebhookReceiver() as receiver:
        endpoint, old_secret = endpoint_for(kh_agency, receiver.url)
        endpoint, new_secret = services.webhook_endpoint_rotate_secret(
            actor=None, endpoint=endpoint
        )
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
        delivery_attempt(delivery_id=Delivery.objects.get(endpoint=endpoint).pk)
        (during,) = receiver.received
        assert len(during.headers["webhook-signature"].split()) == 2
        Webhook(old_secret).verify(during.body, during.headers)
        Webhook(new_secret).verify(during.body, during.headers)

        after_overlap = timezone.now() + settings.WEBHOOK_SECRET_OVERLAP + timedelta(minutes=1)
        with time_machine.travel(after_overlap):
            emit("referral.acknowledged", sender=th_agency, recipient=kh_agency, actor=kh_agency)
            later = Delivery.objects.get(endpoint=endpoint, event__type="referral.acknowledged")
            delivery_attempt(delivery_id=later.pk)
            after = receiver.received[1]
            assert len(after.headers["webhook-signature"].split()) == 1
            Webhook(new_secret).verify(after.body, after.headers)
            with pytest.raises(WebhookVerificationError):
                Webhook(old_secret).verify(after.body, after.headers)
    assert new_secret != old_secret


def test_test_ping_is_signed_and_typed_webhook_test(kh_agency, endpoint_for):
    with WebhookReceiver() as receiver:
        endpoint, secret = endpoint_for(kh_agency, receiver.url)
        ping = services.webhook_endpoint_test(actor=None, endpoint=endpoint)
        delivered = delivery_attempt(delivery_id=ping.pk)
    assert delivered.state == "delivered"
    payload = Webhook(secret).verify(receiver.received[0].body, receiver.received[0].headers)
    assert payload["type"] == "webhook.test"
    assert payload["data"] == {"endpoint": str(endpoint.pk), "agency": kh_agency.code}
