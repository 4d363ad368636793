"""Agency admins manage their own agency's members and clients, never another's."""

import pytest

from agencies.models import ApiClient, Membership
from agencies.roles import Role

from ..factories import member

pytestmark = pytest.mark.django_db


def test_members_list_shows_only_own_agency(kh_agency, th_agency, kh_admin):
    member(kh_agency, Role.OFFICER, username="kh-one")
    member(th_agency, Role.OFFICER, username="th-one")
    response = kh_admin.get("/api/v1/agency/members/")
    assert response.status_code == 200
    usernames = {m["username"] for m in response.json()["results"]}
    assert usernames == {"kh-one"}


def test_another_agencys_member_is_404_for_every_method(th_agency, kh_admin):
    foreign = Membership.objects.get(user=member(th_agency, Role.OFFICER))
    url = f"/api/v1/agency/members/{foreign.pk}/"
    assert kh_admin.get(url).status_code == 404
    assert (
        kh_admin.patch(url, {"role": "viewer"}, format="json", HTTP_IF_MATCH="*").status_code == 404
    )
    assert kh_admin.delete(url, HTTP_IF_MATCH="*").status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Role.OFFICER
    assert foreign.user.is_active


def test_another_agencys_client_is_404_and_stays_active(th_agency, kh_admin, as_partner):
    foreign = as_partner(th_agency, Role.OFFICER).api_client
    assert kh_admin.get(f"/api/v1/agency/clients/{foreign.pk}/").status_code == 404
    assert kh_admin.post(f"/api/v1/agency/clients/{foreign.pk}/revoke/").status_code == 404
    assert kh_admin.post(f"/api/v1/agency/clients/{foreign.pk}/rotate/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_officers_cannot_manage_members(kh_agency, as_member):
    officer = as_member(kh_agency, Role.OFFICER)
    assert officer.get("/api/v1/agency/members/").status_code == 403
    assert officer.get("/api/v1/agency/clients/").status_code == 403


def test_admin_creates_a_member_in_own_agency(kh_agency, kh_admin):
    response = kh_admin.post(
        "/api/v1/agency/members/",
        {"username": "sokha", "email": "sokha@example.org", "role": "officer"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    created = Membership.objects.get(user__username="sokha@kh-mosvy")
    assert created.agency == kh_agency
    assert created.user.groups.filter(name="role:officer").exists()
    assert created.user.groups.filter(name=kh_agency.group.name).exists()
    assert "password" not in response.json()


def test_member_create_with_unknown_role_is_400_and_writes_nothing(kh_admin):
    response = kh_admin.post(
        "/api/v1/agency/members/", {"username": "sokha", "role": "king"}, format="json"
    )
    assert response.status_code == 400
    assert "role" in response.json()["errors"]
    assert not Membership.objects.filter(user__username="sokha").exists()


def test_role_change_needs_if_match_and_the_current_etag(kh_agency, kh_admin):
    target = Membership.objects.get(user=member(kh_agency, Role.OFFICER))
    url = f"/api/v1/agency/members/{target.pk}/"
    read = kh_admin.get(url)
    etag = read["ETag"]

    missing = kh_admin.patch(url, {"role": "viewer"}, format="json")
    assert missing.status_code == 428
    assert missing["Content-Type"] == "application/problem+json"

    changed = kh_admin.patch(url, {"role": "viewer"}, format="json", HTTP_IF_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag

    stale = kh_admin.patch(url, {"role": "admin"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    target.refresh_from_db()
    assert target.role == Role.VIEWER
    assert target.user.groups.filter(name="role:viewer").exists()
    assert not target.user.groups.filter(name="role:officer").exists()


def test_deactivating_a_member(kh_agency, kh_admin):
    target = Membership.objects.get(user=member(kh_agency, Role.OFFICER))
    url = f"/api/v1/agency/members/{target.pk}/"
    etag = kh_admin.get(url)["ETag"]
    assert kh_admin.delete(url, HTTP_IF_MATCH=etag).status_code == 204
    target.user.refresh_from_db()
    assert not target.user.is_active


def test_client_secret_is_shown_once(kh_agency, kh_admin):
    created = kh_admin.post(
        "/api/v1/agency/clients/",
        {"name": "case-system", "role": "officer", "scopes": ["referrals:read", "referrals:write"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert len(created.json()["client_secret"]) > 30
    client_id = created.json()["id"]

    listed = kh_admin.get("/api/v1/agency/clients/").json()["results"]
    detail = kh_admin.get(f"/api/v1/agency/clients/{client_id}/").json()
    assert all("client_secret" not in c for c in listed)
    assert "client_secret" not in detail
    assert ApiClient.objects.get(pk=client_id).agency == kh_agency


def test_rotate_and_revoke_through_the_api(kh_agency, kh_admin):
    created = kh_admin.post(
        "/api/v1/agency/clients/",
        {"name": "case-system", "role": "viewer", "scopes": ["referrals:read"]},
        format="json",
    ).json()
    rotated = kh_admin.post(f"/api/v1/agency/clients/{created['id']}/rotate/")
    assert rotated.status_code == 200
    assert rotated.json()["client_secret"] != created["client_secret"]
    revoked = kh_admin.post(f"/api/v1/agency/clients/{created['id']}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["is_revoked"] is True


def test_client_with_unknown_scope_is_400(kh_admin):
    response = kh_admin.post(
        "/api/v1/agency/clients/",
        {"name": "x", "role": "officer", "scopes": ["everything"]},
        format="json",
    )
    assert response.status_code == 400
    assert "scopes" in response.json()["errors"]
    assert not ApiClient.objects.filter(name="x").exists()
