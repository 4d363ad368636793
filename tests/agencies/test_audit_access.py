"""Every act on the agency admin endpoints, every refused request and every admin-site sign-in
writes exactly one audit row naming who acted, for which agency, through which client."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from agencies.models import ApiClient, Membership
from agencies.roles import Role

from ..factories import api_client_with_token, member

pytestmark = pytest.mark.django_db

ON_BEHALF_OF = "officer-1234"


def _stored(row) -> str:
    """Everything an audit row holds, as text."""
    return str([getattr(row, field.attname) for field in row._meta.concrete_fields])


@pytest.fixture
def targets(kh_agency):
    """A member and an API client of KH-MOSVY for the admins to act on."""
    membership = Membership.objects.get(user=member(kh_agency, Role.OFFICER))
    client, _ = api_client_with_token(kh_agency, Role.VIEWER)
    return {"member": membership, "client": client}


@pytest.fixture(params=["partner", "person"])
def kh_admin(request, kh_agency, as_partner, as_member):
    """An agency admin of KH-MOSVY: a partner system acting for one of its officers, or a person."""
    if request.param == "partner":
        admin = as_partner(
            kh_agency, Role.ADMIN, scopes=["agency:admin"], HTTP_X_ON_BEHALF_OF=ON_BEHALF_OF
        )
        admin.expected = {
            "actor": admin.api_client.service_user,
            "api_client": admin.api_client,
            "on_behalf_of": ON_BEHALF_OF,
        }
    else:
        admin = as_member(kh_agency, Role.ADMIN)
        admin.expected = {"actor": admin.user, "api_client": None, "on_behalf_of": ""}
    return admin


def _members(admin, t):
    return admin.get("/api/v1/agency/members/")


def _member(admin, t):
    return admin.get(f"/api/v1/agency/members/{t['member'].pk}/")


def _member_create(admin, t):
    return admin.post(
        "/api/v1/agency/members/", {"username": "sokha", "role": "viewer"}, format="json"
    )


def _member_role(admin, t):
    url = f"/api/v1/agency/members/{t['member'].pk}/"
    return admin.patch(url, {"role": "viewer"}, format="json", HTTP_IF_MATCH="*")


def _member_deactivate(admin, t):
    return admin.delete(f"/api/v1/agency/members/{t['member'].pk}/", HTTP_IF_MATCH="*")


def _clients(admin, t):
    return admin.get("/api/v1/agency/clients/")


def _client(admin, t):
    return admin.get(f"/api/v1/agency/clients/{t['client'].pk}/")


def _client_create(admin, t):
    body = {"name": "case-system", "role": "viewer", "scopes": ["referrals:read"]}
    return admin.post("/api/v1/agency/clients/", body, format="json")


def _client_rotate(admin, t):
    return admin.post(f"/api/v1/agency/clients/{t['client'].pk}/rotate/")


def _client_revoke(admin, t):
    return admin.post(f"/api/v1/agency/clients/{t['client'].pk}/revoke/")


# act, expected status, audit action, the object the row names (None: a list or a new object)
ACTS = [
    (_members, 200, "member.list", None),
    (_member, 200, "member.read", "member"),
    (_member_create, 201, "member.created", None),
    (_member_role, 200, "member.role_changed", "member"),
    (_member_deactivate, 204, "member.deactivated", "member"),
    (_clients, 200, "client.list", None),
    (_client, 200, "client.read", "client"),
    (_client_create, 201, "client.created", None),
    (_client_rotate, 200, "client.secret_rotated", "client"),
    (_client_revoke, 200, "client.revoked", "client"),
]


@pytest.mark.parametrize(("act", "status", "action", "target"), ACTS, ids=[a[2] for a in ACTS])
def test_each_admin_act_writes_exactly_one_audit_row(
    act, status, action, target, kh_agency, kh_admin, targets, audit_watch
):
    audit_watch.new()
    response = act(kh_admin, targets)
    assert response.status_code == status
    [row] = audit_watch.new()
    assert row.action == action
    assert row.outcome == "allowed"
    assert row.actor == kh_admin.expected["actor"]
    assert row.api_client == kh_admin.expected["api_client"]
    assert row.on_behalf_of == kh_admin.expected["on_behalf_of"]
    assert row.agency == kh_agency
    assert [a.code for a in row.agencies.all()] == ["KH-MOSVY"]
    assert row.request_id == response["X-Request-ID"]
    assert row.object_type == action.split(".")[0]
    if target is not None:
        assert row.object_id == str(targets[target].pk)
    if response.status_code == 201:
        assert row.object_id == response.json()["id"]


def test_a_list_row_names_every_object_returned(kh_agency, kh_admin, targets, audit_watch):
    member(kh_agency, Role.VIEWER)
    audit_watch.new()
    listed = kh_admin.get("/api/v1/agency/members/?limit=2").json()["results"]
    [row] = audit_watch.new()
    assert row.detail == {"ids": [m["id"] for m in listed]}
    assert len(row.detail["ids"]) == 2


def test_role_change_records_both_roles(kh_admin, targets, audit_watch):
    _member_role(kh_admin, targets)
    [row] = audit_watch.new()
    assert row.detail == {"previous_role": "officer", "role": "viewer"}


def test_secrets_never_reach_the_audit_trail(kh_admin, targets, audit_watch):
    created = _client_create(kh_admin, targets).json()
    rotated = _client_rotate(kh_admin, targets).json()
    rows = audit_watch.new()
    assert [r.action for r in rows] == ["client.created", "client.secret_rotated"]
    for row in rows:
        stored = _stored(row)
        assert created["client_secret"] not in stored
        assert rotated["client_secret"] not in stored
    assert rows[0].detail == {"role": "viewer", "scopes": ["referrals:read"]}


def test_a_refused_write_records_nothing_but_the_denial(kh_agency, as_member, audit_watch):
    viewer = as_member(kh_agency, Role.VIEWER)
    audit_watch.new()
    response = viewer.post(
        "/api/v1/agency/members/", {"username": "sokha", "role": "admin"}, format="json"
    )
    assert response.status_code == 403
    [row] = audit_watch.new()
    assert (row.action, row.outcome, row.status_code) == ("request.denied", "denied", 403)
    assert not Membership.objects.filter(user__username="sokha").exists()


def test_an_invalid_write_records_nothing(kh_admin, audit_watch):
    response = kh_admin.post(
        "/api/v1/agency/members/", {"username": "sokha", "role": "king"}, format="json"
    )
    assert response.status_code == 400
    assert audit_watch.new() == []


def test_an_idempotent_replay_is_not_a_second_act(kh_admin, targets, audit_watch):
    body = {"name": "case-system", "role": "viewer", "scopes": ["referrals:read"]}
    for _ in range(2):
        kh_admin.post("/api/v1/agency/clients/", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert [r.action for r in audit_watch.new()] == ["client.created"]


def test_revoking_a_revoked_client_changes_nothing_and_records_nothing(
    kh_admin, targets, audit_watch
):
    _client_revoke(kh_admin, targets)
    audit_watch.new()
    assert _client_revoke(kh_admin, targets).status_code == 200
    assert audit_watch.new() == []


def test_commands_record_the_system_as_actor(kh_agency, audit_watch):
    call_command(
        "create_api_client",
        agency="KH-MOSVY",
        name="cms",
        role="officer",
        scopes="referrals:read",
        json=True,
        stdout=io.StringIO(),
    )
    [row] = audit_watch.new()
    assert row.action == "client.created"
    assert row.actor is None
    assert row.object_id == str(ApiClient.objects.get(name="cms").pk)
    assert [a.code for a in row.agencies.all()] == ["KH-MOSVY"]


# Refused requests ---------------------------------------------------------------------------


def test_anonymous_request_is_recorded_with_its_path(anon, kh_agency, audit_watch):
    response = anon.get("/api/v1/agency/members/", HTTP_X_ON_BEHALF_OF=ON_BEHALF_OF)
    assert response.status_code == 401
    [row] = audit_watch.new()
    assert (row.action, row.outcome, row.status_code) == ("request.denied", "denied", 401)
    assert row.actor is None and row.api_client is None and row.agency is None
    assert row.on_behalf_of == ON_BEHALF_OF
    assert row.detail == {"method": "GET", "path": "/api/v1/agency/members/", "source": "127.0.0.1"}
    assert row.request_id == response["X-Request-ID"]


def test_an_expired_token_is_recorded_with_its_client(kh_agency, as_partner, audit_watch):
    partner = as_partner(
        kh_agency, Role.ADMIN, scopes=["agency:admin"], HTTP_X_ON_BEHALF_OF=ON_BEHALF_OF
    )
    AccessToken.objects.filter(application=partner.api_client.application).update(
        expires=timezone.now() - timedelta(seconds=1)
    )
    audit_watch.new()
    response = partner.post("/api/v1/agency/clients/", {}, format="json")
    assert response.status_code == 401
    [row] = audit_watch.new()
    assert row.status_code == 401
    assert row.actor is None
    assert row.api_client == partner.api_client
    assert row.agency == kh_agency
    assert row.on_behalf_of == ON_BEHALF_OF
    assert row.detail == {
        "method": "POST",
        "path": "/api/v1/agency/clients/",
        "source": "127.0.0.1",
    }


def test_a_role_refusal_is_recorded_with_the_caller(kh_agency, as_partner, audit_watch):
    officer = as_partner(kh_agency, Role.OFFICER, HTTP_X_ON_BEHALF_OF=ON_BEHALF_OF)
    audit_watch.new()
    assert officer.get("/api/v1/agency/clients/").status_code == 403
    [row] = audit_watch.new()
    assert row.status_code == 403
    assert row.actor == officer.api_client.service_user
    assert row.api_client == officer.api_client
    assert row.agency == kh_agency
    assert row.on_behalf_of == ON_BEHALF_OF
    assert row.object_type == "client"


def test_a_scope_refusal_is_recorded(kh_agency, as_partner, audit_watch):
    reader = as_partner(kh_agency, Role.ADMIN, scopes=["referrals:read"])
    audit_watch.new()
    assert reader.get("/api/v1/agency/members/").status_code == 403
    [row] = audit_watch.new()
    assert (row.status_code, row.api_client) == (403, reader.api_client)


def test_probing_another_agencys_member_is_recorded_with_the_id_asked_for(
    th_agency, kh_agency, as_member, audit_watch
):
    admin = as_member(kh_agency, Role.ADMIN)
    foreign = Membership.objects.get(user=member(th_agency, Role.OFFICER))
    audit_watch.new()
    assert admin.get(f"/api/v1/agency/members/{foreign.pk}/").status_code == 404
    [row] = audit_watch.new()
    assert row.status_code == 404
    assert row.actor == admin.user
    assert (row.object_type, row.object_id) == ("member", str(foreign.pk))
    assert [a.code for a in row.agencies.all()] == ["KH-MOSVY"]


def test_the_public_directory_records_no_denials(anon, kh_agency, as_member, audit_watch):
    officer = as_member(kh_agency)
    audit_watch.new()
    assert officer.get("/api/v1/agencies/XX-NOPE/").status_code == 404
    assert anon.get("/api/v1/me/").status_code == 401
    assert audit_watch.new() == []


# The admin site (platform operators) and the portal (agency admins) ---------------------------


def _sign_in(username, password):
    return Client().post("/admin/login/", {"username": username, "password": password})


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "pw-Secret-123")


def test_an_operators_admin_site_sign_in_is_recorded(operator, audit_watch):
    audit_watch.new()
    response = _sign_in("root", "pw-Secret-123")
    assert response.status_code == 302
    [row] = audit_watch.new()
    assert (row.action, row.outcome, row.status_code) == ("admin.login", "allowed", 302)
    assert row.actor == operator


def test_a_wrong_password_at_the_admin_site_is_recorded(operator, audit_watch):
    audit_watch.new()
    assert _sign_in("root", "guess").status_code == 200
    [row] = audit_watch.new()
    assert (row.action, row.outcome) == ("admin.login", "denied")
    assert row.actor == operator
    assert "guess" not in _stored(row)


def test_a_sign_in_as_nobody_is_recorded_without_the_name_typed(db, audit_watch):
    assert _sign_in("pw-typed-as-username", "x").status_code == 200
    [row] = audit_watch.new()
    assert (row.action, row.outcome, row.actor) == ("admin.login", "denied", None)
    assert "pw-typed-as-username" not in _stored(row)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OFFICER])
def test_agency_staff_refused_by_the_admin_sites_sign_in_is_recorded(kh_agency, audit_watch, role):
    person = member(kh_agency, role, username="kh-person")
    audit_watch.new()
    response = _sign_in("kh-person", "pw-Secret-123")
    assert response.status_code == 200  # the form again, with one answer for every refusal
    assert "_auth_user_id" not in response.wsgi_request.session
    assert b"Agency staff sign in" in response.content
    [row] = audit_watch.new()
    assert (row.action, row.outcome, row.actor, row.agency) == (
        "admin.login",
        "denied",
        person,
        kh_agency,
    )


def test_changes_in_the_portal_are_recorded_with_the_signed_in_admin(
    kh_agency, targets, audit_watch
):
    admin = member(kh_agency, Role.ADMIN, username="kh-boss")
    browser = Client()
    browser.force_login(admin)
    audit_watch.new()
    browser.post(f"/agency/members/{targets['member'].pk}/", {"role": "viewer"})
    browser.post(f"/agency/clients/{targets['client'].pk}/revoke/")
    rows = audit_watch.new()
    assert [r.action for r in rows] == ["member.role_changed", "client.revoked"]
    assert all(r.actor == admin and r.agency == kh_agency for r in rows)
