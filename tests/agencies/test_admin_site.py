"""The admin site: an agency admin sees and changes only their own agency's people and clients."""

import pytest
from django.test import Client

from agencies.models import Agency, Agreement, ApiClient, Membership
from agencies.roles import Role

from ..factories import AgreementFactory, api_client_with_token, member

pytestmark = pytest.mark.django_db


def test_agency_admin_sees_only_own_members(kh_agency, th_agency, kh_admin_browser):
    member(kh_agency, Role.OFFICER, username="kh-visible")
    member(th_agency, Role.OFFICER, username="th-hidden")
    page = kh_admin_browser.get("/admin/agencies/membership/")
    assert page.status_code == 200
    assert b"kh-visible" in page.content
    assert b"th-hidden" not in page.content


def test_agency_admin_cannot_open_another_agencys_member(th_agency, kh_admin_browser):
    foreign = Membership.objects.get(user=member(th_agency, Role.OFFICER))
    page = kh_admin_browser.get(f"/admin/agencies/membership/{foreign.pk}/change/")
    assert page.status_code == 302  # the admin redirects: "does not exist"
    posted = kh_admin_browser.post(
        f"/admin/agencies/membership/{foreign.pk}/change/", {"role": "admin"}
    )
    assert posted.status_code == 302
    foreign.refresh_from_db()
    assert foreign.role == Role.OFFICER


def test_agency_admin_sees_only_own_clients(kh_agency, th_agency, kh_admin_browser):
    own, _ = api_client_with_token(kh_agency, Role.VIEWER)
    foreign, _ = api_client_with_token(th_agency, Role.VIEWER)
    page = kh_admin_browser.get("/admin/agencies/apiclient/")
    assert own.name.encode() in page.content
    assert foreign.name.encode() not in page.content
    revoke = kh_admin_browser.post(
        "/admin/agencies/apiclient/",
        {"action": "revoke", "_selected_action": [str(foreign.pk)]},
    )
    assert revoke.status_code in (200, 302)
    assert ApiClient.objects.get(pk=foreign.pk).revoked_at is None


def test_agency_admin_changes_own_members_role(kh_agency, kh_admin_browser):
    target = Membership.objects.get(user=member(kh_agency, Role.OFFICER))
    response = kh_admin_browser.post(
        f"/admin/agencies/membership/{target.pk}/change/", {"role": "viewer"}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.VIEWER


def test_agency_admin_cannot_see_the_agency_directory_admin(kh_admin_browser):
    assert kh_admin_browser.get("/admin/agencies/agency/").status_code == 403


def test_superuser_sees_every_agency(kh_agency, th_agency, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    browser = Client()
    browser.force_login(root)
    member(kh_agency, Role.OFFICER, username="kh-visible")
    member(th_agency, Role.OFFICER, username="th-visible")
    page = browser.get("/admin/agencies/membership/")
    assert b"kh-visible" in page.content and b"th-visible" in page.content


def test_superuser_creates_an_oversight_agency_and_the_trail_records_it(
    django_user_model, audit_watch
):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    browser = Client()
    browser.force_login(root)
    audit_watch.new()
    response = browser.post(
        "/admin/agencies/agency/add/",
        {
            "code": "UN-OVERSIGHT",
            "name": "Oversight",
            "country": "TH",
            "kind": "oversight",
            "language": "en",
            "audit_scope": "all",
        },
    )
    assert response.status_code == 302
    agency = Agency.objects.get(code="UN-OVERSIGHT")
    assert (agency.audit_scope, agency.is_active) == ("all", True)
    [row] = audit_watch.new()
    assert (row.action, row.actor, row.object_id) == ("agency.created", root, str(agency.pk))


def test_not_even_a_superuser_deletes_an_agreement(django_user_model):
    agreement = AgreementFactory(country_a="KH", country_b="TH")
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    browser = Client()
    browser.force_login(root)
    assert (
        browser.post(
            f"/admin/agencies/agreement/{agreement.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert Agreement.objects.filter(pk=agreement.pk).exists()
