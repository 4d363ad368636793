"""Hostile input gets a 400 problem, never a 500: forged cursors, deeply nested JSON, and a fixed
role edited in the admin site."""

import base64

import pytest
from django.test import Client

from agencies.models import ApiClient, Membership
from agencies.roles import Role

from ..factories import api_client_with_token, member

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _cursor(position: str) -> str:
    return base64.b64encode(f"p={position}".encode()).decode()


def _assert_400(response, problem_type):
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"].endswith(problem_type)


@pytest.mark.parametrize(
    ("path", "role", "scopes"),
    [
        ("/api/v1/audit-events/", Role.AUDITOR, ["audit:read"]),
        ("/api/v1/referrals/", Role.OFFICER, None),
        ("/api/v1/returns/", Role.OFFICER, None),
        ("/api/v1/agency/members/", Role.ADMIN, ["agency:admin"]),
        ("/api/v1/deliveries/", Role.ADMIN, ["agency:admin"]),
    ],
)
@pytest.mark.parametrize("position", ["notadate", "1' OR '1'='1", "9" * 40])
def test_a_forged_cursor_position_is_400_on_every_list(
    kh_agency, as_partner, path, role, scopes, position
):
    client = as_partner(kh_agency, role, scopes=scopes)
    response = client.get(path, {"cursor": _cursor(position)})
    _assert_400(response, "validation-error")
    assert set(response.json()["errors"]) == {"cursor"}


def test_a_genuine_cursor_still_pages(kh_agency, as_partner):
    admin = as_partner(kh_agency, Role.ADMIN, scopes=["agency:admin"])
    for _ in range(3):
        member(kh_agency, Role.OFFICER)
    first = admin.get("/api/v1/agency/members/", {"limit": 2}).json()
    assert first["next"]
    assert admin.get(first["next"]).status_code == 200


@pytest.mark.parametrize("depth", [10_000, 100])
def test_deeply_nested_json_is_400_and_changes_nothing(kh_agency, kh_admin, depth):
    before = ApiClient.objects.count()
    body = '{"name": "deep", "role": "viewer", "scopes": ' + "[" * depth + "]" * depth + "}"
    response = kh_admin.post("/api/v1/agency/clients/", data=body, content_type="application/json")
    _assert_400(response, "malformed-request")
    assert "nested" in response.json()["detail"]
    assert ApiClient.objects.count() == before


def test_json_nested_to_the_limit_is_parsed(kh_agency, kh_admin):
    body = '{"name": "flat", "role": "viewer", "scopes": [["referrals:read"]]}'
    response = kh_admin.post("/api/v1/agency/clients/", data=body, content_type="application/json")
    _assert_400(response, "validation-error")  # parsed, then refused by the serializer
    assert set(response.json()["errors"]) == {"scopes"}


def test_editing_an_api_clients_role_in_the_admin_site_is_not_a_500(kh_agency, django_user_model):
    client, _raw = api_client_with_token(kh_agency, Role.VIEWER)
    service = Membership.objects.get(user=client.service_user)
    browser = Client(raise_request_exception=False)
    browser.force_login(django_user_model.objects.create_superuser("root", "root@example.org"))
    page = browser.get(f"/admin/agencies/membership/{service.pk}/change/")
    assert page.status_code == 200
    assert b'name="role"' not in page.content  # fixed: shown, not offered for editing
    response = browser.post(f"/admin/agencies/membership/{service.pk}/change/", {"role": "admin"})
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.role == Role.VIEWER
