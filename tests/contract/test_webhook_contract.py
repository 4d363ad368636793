"""Every event type the code emits is in the contract's webhooks, and real bodies validate."""

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker

from exchange.audit_sealer import audit_seal
from exchange.events import EVENT_TYPES, TEST_EVENT_TYPE
from exchange.models import Delivery
from exchange.services import webhook_endpoint_create, webhook_endpoint_test
from exchange.webhook_contract import component_name
from exchange.webhooks import webhook_payload
from protocol.etags import etag_of
from referrals import services
from referrals.services.consent import case_consent_change
from referrals.services.reminders import deadlines_sweep
from referrals.services.retention import retention_sweep

from ..referrals.conftest import caller, new_referral, new_return, partner
from ..referrals.documents import pdf, upload

CONTRACT = yaml.safe_load((Path(settings.BASE_DIR) / "openapi.yaml").read_text())


def _validator(event_type: str) -> Draft202012Validator:
    schema = {
        "$ref": f"#/components/schemas/{component_name(event_type)}",
        "components": CONTRACT["components"],
    }
    return Draft202012Validator(schema, format_checker=FormatChecker())


def test_every_event_type_is_a_webhook_of_the_contract():
    described = set(CONTRACT["webhooks"])
    assert described == {*EVENT_TYPES, TEST_EVENT_TYPE}
    for event_type in described:
        operation = CONTRACT["webhooks"][event_type]["post"]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert component_name(event_type) in CONTRACT["components"]["schemas"]


def test_an_event_type_outside_the_contract_is_never_emitted(world):
    from exchange.services import event_emit

    with pytest.raises(ValueError, match=r"referral\.teleported"):
        event_emit(type="referral.teleported", object_type="referral", object_id=None, agencies=[])


def _every_event(world) -> None:
    """Drive cases so that the code emits every event type it has."""
    sender = caller(world.th_sender)
    for status in ("closed", "rejected", "withdrawn"):
        new_referral(world, status)
    for status in ("handed_over", "rejected", "cancelled"):
        new_return(world, status)
    draft = new_referral(world, "draft")
    services.case_update(case=draft, actor=sender, if_match=etag_of(draft), summary="Edited.")
    draft_return = new_return(world, "draft")
    services.case_update(
        case=draft_return, actor=sender, if_match=etag_of(draft_return), urgency="urgent"
    )
    open_case = new_referral(world, "sent")
    services.case_message_post(case=open_case, actor=sender, body="Any news?")
    share = services.case_share(case=open_case, actor=sender, agency=world.kh_ngo)
    services.case_share_revoke(share=share, actor=sender)
    new_return(world, "acknowledged")
    for days in (1.5, 13, 30):
        deadlines_sweep(now=timezone.now() + timedelta(days=days))
    case_consent_change(case=open_case, actor=sender, status="refused", scope=[])
    draft_path = draft.api_path.format(draft.id)
    document = upload(partner(world.th_sender), draft_path, pdf(), "a.pdf", "application/pdf")
    partner(world.th_sender).delete(f"{draft_path}documents/{document.json()['id']}/")
    retention_sweep(now=timezone.now() + timedelta(days=366 * 30))
    audit_seal()


@pytest.mark.django_db
def test_real_webhook_deliveries_validate_against_the_contract(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    endpoints = []
    for agency in (world.th_sender, world.kh_recipient):
        admin = caller(agency, "admin")
        endpoint, _secret = webhook_endpoint_create(
            agency=agency, actor=admin, url="http://127.0.0.1:9/hook", event_types=[]
        )
        endpoints.append((admin, endpoint))
    _every_event(world)
    for admin, endpoint in endpoints:
        webhook_endpoint_test(actor=admin, endpoint=endpoint)

    seen = set()
    webhooks = Delivery.objects.filter(channel="webhook").select_related("event", "agency")
    for delivery in webhooks:
        body = webhook_payload(delivery)
        errors = [e.message for e in _validator(body["type"]).iter_errors(body)]
        assert not errors, (body, errors)
        seen.add(body["type"])
    # audit.checkpoint stays a valid subscription, but the Merkle tree's heads replaced it.
    expected = {*EVENT_TYPES, TEST_EVENT_TYPE} - {"audit.checkpoint"}
    assert seen == expected, sorted(expected - seen)
