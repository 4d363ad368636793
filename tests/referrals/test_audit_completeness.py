"""Every case endpoint and action writes exactly one audit row naming who acted and for whom."""

import pytest
from rest_framework.test import APIClient

from agencies.roles import Role
from exchange.models import AuditEvent
from protocol.etags import etag_of
from referrals import services

from ..factories import api_client_with_token
from .conftest import caller, new_referral, new_return
from .test_access_matrix import _payloads

pytestmark = pytest.mark.django_db

ON_BEHALF_OF = "kh-officer-0042"


def _partner(agency):
    client, raw = api_client_with_token(agency, Role.OFFICER)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_X_ON_BEHALF_OF=ON_BEHALF_OF)
    api.api_client = client
    return api


def _shared(world, case):
    return services.case_share(case=case, actor=caller(world.th_sender), agency=world.kh_ngo)


# (what, kind, state, side, method, path, body, expected action)
ACTS = [
    ("list", "referral", "sent", "recipient", "get", "", None, "referral.list"),
    ("read", "referral", "sent", "recipient", "get", "{id}/", None, "referral.read"),
    (
        "thread",
        "referral",
        "sent",
        "recipient",
        "get",
        "{id}/messages/",
        None,
        "referral.messages.read",
    ),
    ("shares", "referral", "sent", "sender", "get", "{id}/shares/", None, "referral.shares.read"),
    (
        "edit",
        "referral",
        "draft",
        "sender",
        "patch",
        "{id}/",
        {"urgency": "urgent"},
        "referral.updated",
    ),
    (
        "message",
        "referral",
        "sent",
        "recipient",
        "post",
        "{id}/messages/",
        {"body": "Seen."},
        "message.posted",
    ),
    (
        "share",
        "referral",
        "sent",
        "sender",
        "post",
        "{id}/shares/",
        {"agency": "IOM-KH"},
        "case.shared",
    ),
    (
        "unshare",
        "referral",
        "sent",
        "sender",
        "delete",
        "{id}/shares/{share}/",
        None,
        "case.share_revoked",
    ),
    ("send", "referral", "draft", "sender", "post", "{id}/send/", None, "referral.sent"),
    (
        "acknowledge",
        "referral",
        "sent",
        "recipient",
        "post",
        "{id}/acknowledge/",
        "acknowledge",
        "referral.acknowledged",
    ),
    (
        "accept",
        "referral",
        "acknowledged",
        "recipient",
        "post",
        "{id}/accept/",
        None,
        "referral.accepted",
    ),
    (
        "reject",
        "referral",
        "sent",
        "recipient",
        "post",
        "{id}/reject/",
        "reject",
        "referral.rejected",
    ),
    (
        "withdraw",
        "referral",
        "sent",
        "sender",
        "post",
        "{id}/withdraw/",
        "withdraw",
        "referral.withdrawn",
    ),
    (
        "close",
        "referral",
        "accepted",
        "recipient",
        "post",
        "{id}/close/",
        "close",
        "referral.closed",
    ),
    ("list", "return", "requested", "recipient", "get", "", None, "return.list"),
    ("read", "return", "requested", "recipient", "get", "{id}/", None, "return.read"),
    ("send", "return", "draft", "sender", "post", "{id}/send/", None, "return.requested"),
    (
        "acknowledge",
        "return",
        "requested",
        "recipient",
        "post",
        "{id}/acknowledge/",
        None,
        "return.acknowledged",
    ),
    (
        "verify",
        "return",
        "requested",
        "recipient",
        "post",
        "{id}/verify/",
        "verify",
        "return.verified",
    ),
    (
        "reject",
        "return",
        "requested",
        "recipient",
        "post",
        "{id}/reject/",
        "reject",
        "return.rejected",
    ),
    (
        "schedule",
        "return",
        "verified",
        "sender",
        "post",
        "{id}/schedule/",
        "schedule",
        "return.scheduled",
    ),
    (
        "handover",
        "return",
        "scheduled",
        "recipient",
        "post",
        "{id}/confirm_handover/",
        "confirm_handover",
        "return.handed_over",
    ),
    (
        "cancel",
        "return",
        "requested",
        "sender",
        "post",
        "{id}/cancel/",
        "cancel",
        "return.cancelled",
    ),
]


@pytest.mark.parametrize(
    ("what", "kind", "state", "side", "method", "path", "body", "action"), ACTS
)
def test_one_audit_row_per_act(
    world, audit_watch, what, kind, state, side, method, path, body, action
):
    case = (new_referral if kind == "referral" else new_return)(world, state)
    share = _shared(world, case) if what == "unshare" else None
    agency = world.th_sender if side == "sender" else world.kh_recipient
    client = _partner(agency)
    if isinstance(body, str):
        body = _payloads(kind)[body]
    base = "/api/v1/referrals/" if kind == "referral" else "/api/v1/returns/"
    url = base + path.format(id=case.id, share=share.id if share else "")
    headers = {"HTTP_IF_MATCH": etag_of(case)} if method == "patch" else {}
    audit_watch.new()

    response = getattr(client, method)(url, body, format="json", **headers)

    assert response.status_code < 300, response.content
    rows = audit_watch.new()
    assert [row.action for row in rows] == [action]
    row = rows[0]
    assert row.actor == client.api_client.service_user
    assert row.agency == agency
    assert row.api_client == client.api_client
    assert row.on_behalf_of == ON_BEHALF_OF
    assert row.outcome == AuditEvent.Outcome.ALLOWED
    assert row.request_id == response["X-Request-ID"]
    if what == "list":
        assert str(case.id) in row.detail["ids"]
    else:
        assert row.object_id == str(case.id)
    parties = {"TH-MSDHS"} if case.status == "draft" else {"TH-MSDHS", "KH-MOSVY"}
    assert {a.code for a in row.agencies.all()} >= parties  # a draft is the sender's alone


@pytest.mark.parametrize(
    ("who", "status"), [("third country", 404), ("recipient viewer", 403), ("anonymous", 401)]
)
def test_one_audit_row_per_refused_request(world, audit_watch, who, status):
    case = new_referral(world, "sent")
    if who == "third country":
        client = _partner(world.vn_agency)
    elif who == "recipient viewer":
        _, raw = api_client_with_token(world.kh_recipient, Role.VIEWER)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    else:
        client = APIClient()
    audit_watch.new()
    response = client.post(f"/api/v1/referrals/{case.id}/accept/")
    assert response.status_code == status
    rows = audit_watch.new()
    assert [(r.action, r.outcome, r.status_code) for r in rows] == [
        ("request.denied", "denied", status)
    ]
    assert rows[0].object_type == "referral"
