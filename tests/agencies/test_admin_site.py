"""The admin site is for platform operators: agency staff are refused, operators see all."""

import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from agencies import services
from agencies.models import Agency, Agreement, Membership
from agencies.roles import Role
from exchange.models import AuditEvent

from ..factories import AgreementFactory, member

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["/admin/", "/admin/agencies/membership/", "/admin/agencies/agency/"]


def _signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OFFICER, Role.AUDITOR])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_agency_staff_get_the_portals_refusal_at_the_admin_site(kh_agency, role, path):
    page = _signed_in(member(kh_agency, role)).get(path)
    assert page.status_code == 403
    with translation.override(kh_agency.language):
        assert gettext("Your role does not open this page.") in page.content.decode()
    assert b"/static/admin/" not in page.content  # no page of the admin site


def test_an_agency_admin_changes_nothing_through_the_admin_site(kh_agency, audit_watch):
    admin = member(kh_agency, Role.ADMIN)
    officer = Membership.objects.get(user=member(kh_agency, Role.OFFICER))
    audit_watch.new()
    changed = _signed_in(admin).post(
        f"/admin/agencies/membership/{officer.pk}/change/", {"role": "admin"}
    )
    assert changed.status_code == 403
    officer.refresh_from_db()
    assert officer.role == Role.OFFICER
    [row] = audit_watch.new()
    assert (row.action, row.status_code, row.actor) == ("request.denied", 403, admin)


def test_a_signed_in_agency_admin_cannot_sign_in_again_at_the_admin_site(kh_agency):
    browser = _signed_in(member(kh_agency, Role.ADMIN))
    assert browser.get("/admin/login/").status_code == 403


def test_agency_admins_are_not_staff(kh_agency):
    admin = member(kh_agency, Role.ADMIN)
    assert not admin.is_staff
    officer = Membership.objects.get(user=member(kh_agency, Role.OFFICER))
    services.membership_change_role(actor=None, membership=officer, role=Role.ADMIN)
    officer.user.refresh_from_db()
    assert not officer.user.is_staff


def test_the_migration_clears_the_staff_flag_of_everyone_but_operators(
    kh_agency, django_user_model
):
    migration = importlib.import_module("agencies.migrations.0005_admin_site_for_operators_only")
    admin = member(kh_agency, Role.ADMIN)
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    django_user_model.objects.filter(pk=admin.pk).update(is_staff=True)
    migration.clear_staff_of_non_operators(apps, None)
    admin.refresh_from_db()
    root.refresh_from_db()
    assert (admin.is_staff, root.is_staff) == (False, True)


def test_anonymous_visitors_go_to_the_operators_sign_in():
    page = Client().get("/admin/")
    assert page.status_code == 302
    assert page["Location"].startswith("/admin/login/")


def test_a_superuser_is_admitted(operator_browser):
    page = operator_browser.get("/admin/")
    assert page.status_code == 200
    assert b"/admin/agencies/membership/" in page.content


def test_an_inactive_superuser_is_refused(operator_browser, django_user_model):
    django_user_model.objects.filter(username="root").update(is_active=False)
    assert operator_browser.get("/admin/").status_code in (302, 403)


def test_superuser_sees_every_agency(kh_agency, th_agency, operator_browser):
    member(kh_agency, Role.OFFICER, username="kh-visible")
    member(th_agency, Role.OFFICER, username="th-visible")
    page = operator_browser.get("/admin/agencies/membership/")
    assert b"kh-visible" in page.content and b"th-visible" in page.content


def test_superuser_creates_an_oversight_agency_and_the_trail_records_it(
    operator_browser, audit_watch
):
    audit_watch.new()
    response = operator_browser.post(
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
    assert (row.action, row.actor.username, row.object_id) == (
        "agency.created",
        "root",
        str(agency.pk),
    )
    assert not AuditEvent.objects.filter(action="request.denied").exists()


def test_not_even_a_superuser_deletes_an_agreement(operator_browser):
    agreement = AgreementFactory(country_a="KH", country_b="TH")
    deleted = operator_browser.post(
        f"/admin/agencies/agreement/{agreement.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert Agreement.objects.filter(pk=agreement.pk).exists()
