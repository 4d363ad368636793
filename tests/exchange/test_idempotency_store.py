"""The idempotency store keeps no secret and no personal data; a replay never shows a secret."""

import pytest
from django.db import connection
from django.test import Client

from protocol.models import IdempotencyKey

from ..factories import AgencyFactory, AgreementFactory

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/agency/clients/"
WEBHOOKS = "/api/v1/webhooks/"
PUBLIC_URL = "https://93.184.215.14/hooks/mekong"
CANARY = "Canaryname Zz"
PASSWORD = "pw-Canary-Secret-731"


def _twice(client, url, body=None, **headers):
    """The same request sent twice with one Idempotency-Key."""
    key = f"key-{url}"
    return [
        client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key, **headers) for _ in range(2)
    ]


def _stored_text() -> str:
    """Every column of every stored idempotency row, as the database would dump it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM exchange_idempotencykey t")
        return "\n".join(row[0] for row in cursor.fetchall())


def _token_status(client_id: str, secret: str) -> int:
    return (
        Client()
        .post(
            "/o/token/",
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        )
        .status_code
    )


def _without(body: dict, *names) -> dict:
    return {key: value for key, value in body.items() if key not in names}


def test_a_replayed_client_create_shows_the_client_without_its_secret(kh_admin):
    first, again = _twice(
        kh_admin, CLIENTS, {"name": "case-system", "role": "viewer", "scopes": ["referrals:read"]}
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    secret = first.json()["client_secret"]
    assert secret and secret not in again.content.decode()
    assert again.json()["client_secret"] is None
    assert "once" in again.json()["secret_note"]
    assert _without(again.json(), "client_secret", "secret_note") == _without(
        first.json(), "client_secret", "secret_note"
    )
    assert secret not in _stored_text()
    assert _token_status(first.json()["client_id"], secret) == 200


def test_a_replayed_client_rotation_shows_no_secret(kh_admin):
    created = kh_admin.post(
        CLIENTS, {"name": "rotated", "role": "viewer", "scopes": ["referrals:read"]}, format="json"
    ).json()
    first, again = _twice(kh_admin, f"{CLIENTS}{created['id']}/rotate/")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    secret = first.json()["client_secret"]
    assert secret not in again.content.decode() and again.json()["client_secret"] is None
    assert secret not in _stored_text()


def test_a_replayed_webhook_create_and_rotation_show_no_secret(kh_admin):
    first, again = _twice(kh_admin, WEBHOOKS, {"url": PUBLIC_URL})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"]
    secret = first.json()["secret"]
    assert secret.startswith("whsec_") and secret not in again.content.decode()
    assert again.json()["secret"] is None and again.json()["secret_note"]
    rotated, rotated_again = _twice(kh_admin, f"{WEBHOOKS}{first.json()['id']}/rotate/")
    assert (rotated.status_code, rotated_again.status_code) == (200, 200)
    new_secret = rotated.json()["secret"]
    assert new_secret not in rotated_again.content.decode()
    stored = _stored_text()
    assert secret not in stored and new_secret not in stored


@pytest.fixture
def cambodia(kh_agency, as_partner):
    AgreementFactory(country_a="KH", country_b="TH")
    AgencyFactory(code="TH-MSDHS", country="TH")
    return as_partner(kh_agency)


def test_a_replayed_case_create_is_rendered_from_the_case_and_stores_no_personal_data(
    cambodia, kh_admin
):
    body = {
        "recipient_agency": "TH-MSDHS",
        "category": "trafficking_victim",
        "subject": {
            "given_name": CANARY,
            "family_name": CANARY,
            "consent": {"status": "given", "scope": ["social_welfare"]},
        },
        "summary": f"About {CANARY}",
        "identified_on": "2026-11-20",
    }
    first, again = _twice(cambodia, "/api/v1/referrals/", body)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again["Location"] == first["Location"] and again["ETag"] == first["ETag"]
    assert again.json() == first.json()
    return_body = {**body, "basis": "voluntary_return"}
    del return_body["category"], return_body["summary"], return_body["identified_on"]
    returned, returned_again = _twice(cambodia, "/api/v1/returns/", return_body)
    assert (returned.status_code, returned_again.status_code) == (201, 201)
    assert cambodia.post(f"{first['Location']}send/").status_code == 200
    message, message_again = _twice(
        cambodia, f"{first['Location']}messages/", {"body": f"Met {CANARY}"}
    )
    assert (message.status_code, message_again.status_code) == (201, 201)
    assert message_again.json() == message.json()
    member, member_again = _twice(
        kh_admin,
        "/api/v1/agency/members/",
        {"username": "canary", "last_name": CANARY, "role": "officer", "password": PASSWORD},
    )
    assert member.status_code == member_again.status_code == 201
    assert member_again.json() == member.json()
    assert IdempotencyKey.objects.count() == 4  # referral, return, message, member
    stored = _stored_text()
    assert CANARY not in stored and PASSWORD not in stored


def test_a_replay_shows_the_case_as_it_is_now_to_whoever_may_still_see_it(cambodia):
    body = {
        "recipient_agency": "TH-MSDHS",
        "category": "trafficking_victim",
        "subject": {"given_name": "A"},
        "identified_on": "2026-11-20",
    }
    created = cambodia.post("/api/v1/referrals/", body, format="json").json()
    sent, sent_again = _twice(cambodia, f"/api/v1/referrals/{created['id']}/send/")
    assert sent.status_code == sent_again.status_code == 200
    assert sent_again["Idempotent-Replayed"] == "true"
    assert sent_again.json()["status"] == "sent"
