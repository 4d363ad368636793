"""Webhook endpoints and deliveries through the API: own agency only, secret shown once."""

import socket

import pytest

from agencies.roles import Role
from exchange import services
from exchange.delivery import delivery_attempt
from exchange.models import AuditEvent, Delivery, WebhookEndpoint

from .receiver import Reply, WebhookReceiver

pytestmark = pytest.mark.django_db

WEBHOOKS = "/api/v1/webhooks/"
PUBLIC_URL = "https://93.184.215.14/hooks/mekong"


@pytest.fixture
def th_endpoint(th_agency, endpoint_for):
    endpoint, _ = endpoint_for(th_agency, "http://127.0.0.1:9/th")
    return endpoint


def test_create_returns_the_secret_once(kh_admin, kh_agency):
    response = kh_admin.post(
        WEBHOOKS,
        {"url": PUBLIC_URL, "event_types": ["referral.*", "deadline.overdue"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["deadline.overdue", "referral.*"]
    assert response["ETag"]
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert endpoint.agency == kh_agency
    assert endpoint.secret == created["secret"]
    shown_later = [
        kh_admin.get(f"{WEBHOOKS}{endpoint.pk}/").json(),
        kh_admin.get(WEBHOOKS).json()["results"][0],
    ]
    assert all("secret" not in body for body in shown_later)
    assert created["secret"] not in kh_admin.get(WEBHOOKS).content.decode()


def test_list_shows_only_own_agencys_endpoints(kh_admin, kh_agency, th_endpoint, endpoint_for):
    mine, _ = endpoint_for(kh_agency, "http://127.0.0.1:9/kh")
    ids = [e["id"] for e in kh_admin.get(WEBHOOKS).json()["results"]]
    assert ids == [str(mine.pk)]


def test_another_agencys_endpoint_is_404_for_every_method(kh_admin, th_endpoint):
    url = f"{WEBHOOKS}{th_endpoint.pk}/"
    assert kh_admin.get(url).status_code == 404
    patched = kh_admin.patch(url, {"is_active": False}, format="json", HTTP_IF_MATCH="*")
    assert patched.status_code == 404
    assert kh_admin.delete(url, HTTP_IF_MATCH="*").status_code == 404
    assert kh_admin.post(f"{url}test/").status_code == 404
    assert kh_admin.post(f"{url}rotate/").status_code == 404
    assert kh_admin.get(f"{url}deliveries/").status_code == 404
    th_endpoint.refresh_from_db()
    assert th_endpoint.is_active
    assert WebhookEndpoint.objects.filter(pk=th_endpoint.pk).exists()
    assert not Delivery.objects.exists()


def test_another_agencys_delivery_is_404_and_cannot_be_redelivered(
    kh_admin, th_agency, kh_agency, emit, th_endpoint
):
    emit("referral.sent", sender=kh_agency, recipient=th_agency)
    foreign = Delivery.objects.get(endpoint=th_endpoint)
    assert kh_admin.get(f"/api/v1/deliveries/{foreign.pk}/").status_code == 404
    assert kh_admin.post(f"/api/v1/deliveries/{foreign.pk}/redeliver/").status_code == 404
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    own = {str(pk) for pk in Delivery.objects.filter(agency=kh_agency).values_list("pk", flat=True)}
    listed = kh_admin.get("/api/v1/deliveries/")
    assert listed.status_code == 200
    assert own and {row["id"] for row in listed.json()["results"]} == own


@pytest.mark.parametrize("role", [Role.OFFICER, Role.VIEWER, Role.AUDITOR])
def test_only_agency_admins_manage_webhooks(kh_agency, as_member, role):
    client = as_member(kh_agency, role)
    assert client.get(WEBHOOKS).status_code == 403
    assert client.post(WEBHOOKS, {"url": PUBLIC_URL}, format="json").status_code == 403
    assert client.get("/api/v1/deliveries/").status_code == 403


def test_webhooks_need_the_agency_admin_scope(kh_agency, as_partner):
    admin_without_scope = as_partner(kh_agency, Role.ADMIN, scopes=["referrals:read"])
    assert admin_without_scope.get(WEBHOOKS).status_code == 403


def test_session_admin_manages_webhooks(kh_agency, as_member):
    assert as_member(kh_agency, Role.ADMIN).get(WEBHOOKS).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.20/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[fd00:ec2::254]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[64:ff9b::a00:1]/hook",  # 10.0.0.1 through NAT64
        "https://[2002:a00:1::1]/hook",  # 10.0.0.1 through 6to4
        "https://100.64.0.1/hook",
        "https://224.0.0.1/hook",
        "http://93.184.215.14/hook",
        "https://user:pw@93.184.215.14/hook",
        "https://does-not-resolve.invalid/hook",
    ],
)
def test_private_or_unsafe_targets_are_refused_at_create(kh_admin, url):
    response = kh_admin.post(WEBHOOKS, {"url": url}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "url" in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_a_host_with_one_private_address_among_public_ones_is_refused(kh_admin, monkeypatch):
    def resolve(host, port, **kwargs):
        answers = ["93.184.215.14", "10.0.0.1"] if host == "mixed.example.org" else []
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    response = kh_admin.post(WEBHOOKS, {"url": "https://mixed.example.org/hook"}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_private_target_is_refused_at_update(kh_admin, kh_agency):
    endpoint, _ = services.webhook_endpoint_create(agency=kh_agency, url=PUBLIC_URL)
    etag = kh_admin.get(f"{WEBHOOKS}{endpoint.pk}/")["ETag"]
    response = kh_admin.patch(
        f"{WEBHOOKS}{endpoint.pk}/",
        {"url": "https://169.254.169.254/"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 400
    endpoint.refresh_from_db()
    assert endpoint.url == PUBLIC_URL


def test_loopback_is_accepted_when_the_setting_allows_it(kh_admin, private_networks_allowed):
    response = kh_admin.post(WEBHOOKS, {"url": "http://127.0.0.1:8080/hook"}, format="json")
    assert response.status_code == 201


def test_unknown_event_type_is_400(kh_admin):
    response = kh_admin.post(
        WEBHOOKS, {"url": PUBLIC_URL, "event_types": ["referral.sennt"]}, format="json"
    )
    assert response.status_code == 400
    assert "event_types" in response.json()["errors"]


def test_update_needs_if_match_and_reenabling_clears_the_reason(kh_admin, kh_agency):
    endpoint, _ = services.webhook_endpoint_create(agency=kh_agency, url=PUBLIC_URL)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason="The endpoint answered 410 Gone."
    )
    url = f"{WEBHOOKS}{endpoint.pk}/"
    assert kh_admin.patch(url, {"is_active": True}, format="json").status_code == 428
    stale = kh_admin.get(url)["ETag"]
    kh_admin.patch(url, {"description": "case system"}, format="json", HTTP_IF_MATCH=stale)
    assert (
        kh_admin.patch(url, {"is_active": True}, format="json", HTTP_IF_MATCH=stale).status_code
        == 412
    )
    current = kh_admin.get(url)["ETag"]
    response = kh_admin.patch(url, {"is_active": True}, format="json", HTTP_IF_MATCH=current)
    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert response.json()["disabled_reason"] == ""


def test_delete_removes_the_endpoint(kh_admin, kh_agency):
    endpoint, _ = services.webhook_endpoint_create(agency=kh_agency, url=PUBLIC_URL)
    url = f"{WEBHOOKS}{endpoint.pk}/"
    assert kh_admin.delete(url).status_code == 428
    assert kh_admin.delete(url, HTTP_IF_MATCH=kh_admin.get(url)["ETag"]).status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_rotate_shows_the_new_secret_once_and_keeps_the_old_one_signing(kh_admin, kh_agency):
    endpoint, old_secret = services.webhook_endpoint_create(agency=kh_agency, url=PUBLIC_URL)
    response = kh_admin.post(f"{WEBHOOKS}{endpoint.pk}/rotate/")
    assert response.status_code == 200
    new_secret = response.json()["secret"]
    assert new_secret.startswith("whsec_") and new_secret != old_secret
    assert response.json()["previous_secret_expires_at"]
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == old_secret


def test_test_ping_is_queued_and_listed_with_the_endpoints_deliveries(
    kh_admin, kh_agency, endpoint_for
):
    with WebhookReceiver() as receiver:
        endpoint, _ = endpoint_for(kh_agency, receiver.url)
        response = kh_admin.post(f"{WEBHOOKS}{endpoint.pk}/test/")
        assert response.status_code == 202
        ping = response.json()
        assert ping["event"] is None and ping["state"] == "pending"
        delivery_attempt(delivery_id=ping["id"])
    listed = kh_admin.get(f"{WEBHOOKS}{endpoint.pk}/deliveries/").json()["results"]
    assert [(d["id"], d["state"], d["last_status_code"]) for d in listed] == [
        (ping["id"], "delivered", 200)
    ]
    assert receiver.received[0].webhook_id == ping["id"]


def test_test_ping_to_a_disabled_endpoint_is_409(kh_admin, kh_agency):
    endpoint, _ = services.webhook_endpoint_create(agency=kh_agency, url=PUBLIC_URL)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    response = kh_admin.post(f"{WEBHOOKS}{endpoint.pk}/test/")
    assert response.status_code == 409
    assert response.json()["type"].endswith("endpoint-disabled")


def test_endpoint_deliveries_filter_by_state(kh_admin, kh_agency, th_agency, emit, endpoint_for):
    endpoint, _ = endpoint_for(kh_agency, "http://127.0.0.1:9/kh")
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    url = f"{WEBHOOKS}{endpoint.pk}/deliveries/"
    assert len(kh_admin.get(f"{url}?state=pending").json()["results"]) == 1
    assert kh_admin.get(f"{url}?state=delivered").json()["results"] == []
    assert kh_admin.get(f"{url}?state=lost").status_code == 400
    assert kh_admin.get(f"{url}?colour=red").status_code == 400


def test_redeliver_sends_a_dead_delivery_again_with_the_same_webhook_id(
    kh_admin, kh_agency, th_agency, emit, endpoint_for
):
    answers = iter([410, 200])
    with WebhookReceiver(reply=lambda r, seen: Reply(status=next(answers))) as receiver:
        endpoint, _ = endpoint_for(kh_agency, receiver.url)
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
        dead = delivery_attempt(delivery_id=Delivery.objects.get(endpoint=endpoint).pk)
        assert dead.state == "dead"
        url = f"/api/v1/deliveries/{dead.pk}/redeliver/"
        assert kh_admin.post(url).status_code == 409, "the endpoint was disabled by the 410"
        etag = kh_admin.get(f"{WEBHOOKS}{endpoint.pk}/")["ETag"]
        kh_admin.patch(
            f"{WEBHOOKS}{endpoint.pk}/", {"is_active": True}, format="json", HTTP_IF_MATCH=etag
        )
        response = kh_admin.post(url)
        assert response.status_code == 202
        assert response.json()["state"] == "pending"
        assert response.json()["attempts"] == 0
        delivered = delivery_attempt(delivery_id=dead.pk)
    assert delivered.state == "delivered"
    assert [r.webhook_id for r in receiver.received] == [str(dead.pk)] * 2


def test_deliveries_list_includes_emails(kh_admin, kh_agency, th_agency, emit):
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    listed = kh_admin.get("/api/v1/deliveries/?channel=email").json()["results"]
    assert [(d["channel"], d["event"]["type"]) for d in listed] == [("email", "referral.sent")]


def test_an_agency_has_at_most_ten_endpoints(kh_admin, kh_agency):
    for n in range(10):
        services.webhook_endpoint_create(agency=kh_agency, url=f"{PUBLIC_URL}/{n}")
    response = kh_admin.post(WEBHOOKS, {"url": PUBLIC_URL}, format="json")
    assert response.status_code == 400


def test_an_update_that_changes_nothing_keeps_the_etag_and_writes_no_audit_row(kh_admin, kh_agency):
    endpoint, _ = services.webhook_endpoint_create(
        agency=kh_agency, url=PUBLIC_URL, description="case system"
    )
    url = f"{WEBHOOKS}{endpoint.pk}/"
    etag = kh_admin.get(url)["ETag"]
    audited = AuditEvent.objects.filter(action="webhook.updated").count()
    for body in ({}, {"description": "case system", "url": PUBLIC_URL, "is_active": True}):
        response = kh_admin.patch(url, body, format="json", HTTP_IF_MATCH=etag)
        assert response.status_code == 200
        assert response["ETag"] == etag
    assert AuditEvent.objects.filter(action="webhook.updated").count() == audited
