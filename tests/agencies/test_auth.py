"""Partner authentication: the client-credentials flow, token lifetime, revocation, scopes."""

import base64
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from agencies import services
from agencies.roles import Role

from ..factories import api_client_with_token

pytestmark = pytest.mark.django_db


def _token(client_id, secret, scope=None):
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return APIClient().post("/o/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")


def _bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_client_credentials_token_acts_as_its_agency(th_agency):
    client, secret = services.api_client_create(
        actor=None,
        agency=th_agency,
        name="cms",
        role=Role.OFFICER,
        scopes=["referrals:read", "referrals:write"],
    )
    response = _token(client.client_id, secret)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {"referrals:read", "referrals:write"}

    me = _bearer(body["access_token"]).get("/api/v1/me/", HTTP_X_ON_BEHALF_OF="officer-77")
    assert me.status_code == 200
    assert me.json()["agency"]["code"] == "TH-MSDHS"
    assert me.json()["role"] == "officer"
    assert me.json()["api_client"]["name"] == "cms"
    assert me.json()["on_behalf_of"] == "officer-77"


def test_token_is_not_stored_in_plaintext(th_agency):
    client, secret = services.api_client_create(
        actor=None, agency=th_agency, name="cms", role=Role.VIEWER, scopes=["referrals:read"]
    )
    raw = _token(client.client_id, secret).json()["access_token"]
    stored = AccessToken.objects.get(application=client.application)
    assert stored.token == ""
    assert raw not in stored.token_checksum


def test_client_secret_is_stored_hashed(th_agency):
    client, secret = services.api_client_create(
        actor=None, agency=th_agency, name="cms", role=Role.VIEWER, scopes=["referrals:read"]
    )
    client.application.refresh_from_db()
    assert secret not in client.application.client_secret
    assert check_password(secret, client.application.client_secret)


def test_wrong_secret_gets_no_token(th_agency):
    client, _ = services.api_client_create(
        actor=None, agency=th_agency, name="cms", role=Role.VIEWER, scopes=["referrals:read"]
    )
    response = _token(client.client_id, "not-the-secret")
    assert response.status_code == 401
    assert AccessToken.objects.count() == 0


def test_scope_beyond_the_client_is_refused(th_agency):
    client, secret = services.api_client_create(
        actor=None, agency=th_agency, name="reader", role=Role.VIEWER, scopes=["referrals:read"]
    )
    response = _token(client.client_id, secret, scope="referrals:read referrals:write")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_expired_token_gets_401_problem(th_agency):
    _, raw = api_client_with_token(th_agency, Role.OFFICER)
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = _bearer(raw).get("/api/v1/me/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_gets_401(db):
    response = _bearer("no-such-token").get("/api/v1/agencies/")
    assert response.status_code == 401
    assert response.json()["type"].endswith("authentication-failed")


def test_missing_credentials_get_401(anon, db):
    response = anon.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["status"] == 401


def test_revoking_a_client_stops_its_tokens_at_once(th_agency):
    client, secret = services.api_client_create(
        actor=None, agency=th_agency, name="cms", role=Role.OFFICER, scopes=["referrals:read"]
    )
    raw = _token(client.client_id, secret).json()["access_token"]
    assert _bearer(raw).get("/api/v1/me/").status_code == 200

    services.api_client_revoke(actor=None, client=client)

    assert _bearer(raw).get("/api/v1/me/").status_code == 401
    assert _token(client.client_id, secret).status_code == 401


def test_rotating_the_secret_ends_old_tokens_and_the_old_secret(th_agency):
    client, old_secret = services.api_client_create(
        actor=None, agency=th_agency, name="cms", role=Role.OFFICER, scopes=["referrals:read"]
    )
    old_token = _token(client.client_id, old_secret).json()["access_token"]
    _, new_secret = services.api_client_rotate_secret(actor=None, client=client)

    assert _bearer(old_token).get("/api/v1/me/").status_code == 401
    assert _token(client.client_id, old_secret).status_code == 401
    assert _token(client.client_id, new_secret).status_code == 200


def test_read_only_client_gets_403_on_a_write(th_agency, as_partner):
    reader = as_partner(th_agency, Role.ADMIN, scopes=["referrals:read"])
    response = reader.post(
        "/api/v1/agency/clients/",
        {"name": "x", "role": "viewer", "scopes": ["referrals:read"]},
        format="json",
    )
    assert response.status_code == 403
    assert "scope" in response.json()["detail"]


def test_admin_scope_is_needed_even_to_read_admin_endpoints(th_agency, as_partner):
    reader = as_partner(th_agency, Role.ADMIN, scopes=["referrals:read"])
    assert reader.get("/api/v1/agency/members/").status_code == 403
    admin = as_partner(th_agency, Role.ADMIN, scopes=["agency:admin"])
    assert admin.get("/api/v1/agency/members/").status_code == 200


def test_a_role_cannot_be_given_scopes_beyond_it(th_agency):
    with pytest.raises(services.ValidationError):
        services.api_client_create(
            actor=None, agency=th_agency, name="x", role=Role.VIEWER, scopes=["referrals:write"]
        )


def test_people_sign_in_with_a_session(th_agency, as_member):
    client = as_member(th_agency, Role.VIEWER)
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["role"] == "viewer"
    assert response.json()["api_client"] is None


def test_inactive_agency_cannot_get_a_token(th_agency):
    client, secret = services.api_client_create(
        actor=None, agency=th_agency, name="cms", role=Role.OFFICER, scopes=["referrals:read"]
    )
    services.agency_update(actor=None, agency=th_agency, is_active=False)
    assert _token(client.client_id, secret).status_code == 401


def test_deactivating_an_agency_stops_its_issued_tokens(th_agency):
    client, secret = services.api_client_create(
        actor=None, agency=th_agency, name="cms", role=Role.OFFICER, scopes=["referrals:read"]
    )
    token = _token(client.client_id, secret).json()["access_token"]
    assert _bearer(token).get("/api/v1/me/").status_code == 200

    services.agency_update(actor=None, agency=th_agency, is_active=False)

    refused = _bearer(token).get("/api/v1/me/")
    assert refused.status_code == 401
    # Deactivation ended the token itself: reactivating the agency does not revive it.
    assert refused.json()["detail"] == "The access token is invalid or has expired."
