"""An auditor's reach is its agency's audit scope, which only platform operators set."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from agencies.models import Agency, Membership
from agencies.roles import Role

from ..factories import AgencyFactory, member
from .conftest import new_referral, partner

pytestmark = pytest.mark.django_db

AUDITOR_SCOPES = ["referrals:read", "audit:read"]


@pytest.fixture
def kh_moi(world):
    """An agency of Cambodia that takes part in no exchange."""
    return AgencyFactory(code="KH-MOI", country="KH", kind="police")


@pytest.fixture
def kh_case(world):
    return new_referral(world, "sent")


def _reach(client) -> dict:
    """What an auditor sees: case references, the cases its audit rows name, SLA pairs."""
    referrals = client.get("/api/v1/referrals/", {"limit": 200})
    audit = client.get("/api/v1/audit-events/", {"limit": 200})
    sla = client.get("/api/v1/reports/sla/")
    assert (referrals.status_code, audit.status_code, sla.status_code) == (200, 200, 200)
    return {
        "cases": {case["reference"] for case in referrals.json()["results"]},
        "audit": {
            row["reference"]
            for row in audit.json()["results"]
            if row["object_type"] in ("referral", "return") and row["reference"]
        },
        "pairs": {(pair["sender"], pair["recipient"]) for pair in sla.json()["pairs"]},
    }


NOTHING = {"cases": set(), "audit": set(), "pairs": set()}


def _admin(agency):
    return partner(agency, Role.ADMIN, scopes=["agency:admin"])


def _token_of_new_client(admin, agency) -> Client:
    created = admin.post(
        "/api/v1/agency/clients/",
        {"name": "self-audit", "role": "auditor", "scopes": AUDITOR_SCOPES},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    token = Client().post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "client_id": body["client_id"],
            "client_secret": body["client_secret"],
        },
    )
    assert token.status_code == 200, token.content
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access_token']}")
    return client


def test_an_agency_admin_cannot_make_its_agency_a_national_auditor_by_client(kh_moi, kh_case):
    auditor = _token_of_new_client(_admin(kh_moi), kh_moi)
    assert _reach(auditor) == NOTHING


def test_an_agency_admin_cannot_make_its_agency_a_national_auditor_by_member(
    kh_moi, kh_case, as_member
):
    created = _admin(kh_moi).post(
        "/api/v1/agency/members/",
        {"username": "moi-self-audit", "role": "auditor", "password": "pw-Secret-123!x"},
        format="json",
    )
    assert created.status_code == 201, created.content
    browser = Client()
    browser.force_login(Membership.objects.get(pk=created.json()["id"]).user)
    assert _reach(browser) == NOTHING


def test_an_agency_admin_cannot_make_its_agency_a_national_auditor_in_the_portal(kh_moi, kh_case):
    admin_browser = Client()
    admin_browser.force_login(member(kh_moi, Role.ADMIN))
    officer = Membership.objects.get(user=member(kh_moi, Role.OFFICER))
    changed = admin_browser.post(f"/agency/members/{officer.pk}/", {"role": "auditor"})
    assert changed.status_code == 302
    officer.refresh_from_db()
    assert officer.role == Role.AUDITOR
    auditor = Client()
    auditor.force_login(officer.user)
    assert _reach(auditor) == NOTHING


def test_an_agency_admin_cannot_change_the_audit_scope(kh_moi):
    admin_browser = Client()
    admin_browser.force_login(member(kh_moi, Role.ADMIN))
    url = f"/admin/agencies/agency/{kh_moi.pk}/change/"
    assert admin_browser.get(url).status_code == 403
    widened = {
        "code": "KH-MOI",
        "name": "x",
        "country": "KH",
        "kind": "police",
        "language": "en",
        "audit_scope": "all",
        "is_active": "on",
    }
    assert admin_browser.post(url, widened).status_code == 403
    admin_browser.post("/agency/settings/", widened)
    kh_moi.refresh_from_db()
    assert kh_moi.audit_scope == "agency"


def test_an_agencys_auditor_sees_the_exchanges_its_own_agency_takes_part_in(world, kh_case):
    other = new_referral(world, "sent")
    unrelated = AgencyFactory(code="KH-MOI", country="KH", kind="police")
    assert world.kh_recipient.audit_scope == "agency"
    own = _reach(partner(world.kh_recipient, Role.AUDITOR, scopes=AUDITOR_SCOPES))
    assert own["cases"] == {kh_case.reference, other.reference}
    assert own["audit"] >= {kh_case.reference, other.reference}
    assert own["pairs"] == {("TH-MSDHS", "KH-MOSVY")}
    assert _reach(partner(unrelated, Role.AUDITOR, scopes=AUDITOR_SCOPES)) == NOTHING


def test_a_national_oversight_body_sees_its_countrys_exchanges(world, kh_case):
    assert world.kh_oversight.audit_scope == "country"
    seen = _reach(partner(world.kh_oversight, Role.AUDITOR, scopes=AUDITOR_SCOPES))
    assert seen["cases"] == {kh_case.reference}
    assert seen["pairs"] == {("TH-MSDHS", "KH-MOSVY")}


def test_the_oversight_page_states_and_applies_the_agency_scope(world, kh_case):
    unrelated = AgencyFactory(code="KH-MOI", country="KH", kind="police", language="en")
    browser = Client()
    browser.force_login(member(unrelated, Role.AUDITOR))
    page = browser.get("/oversight/")
    assert page.status_code == 200
    assert b"KH-MOSVY" not in page.content
    assert b"Exchanges in which KH-MOI takes part." in page.content


def test_operators_set_the_scope_with_a_command_and_it_is_audited(kh_moi, audit_watch):
    out = StringIO()
    call_command("set_audit_scope", "--agency", "KH-MOI", "--scope", "country", stdout=out)
    kh_moi.refresh_from_db()
    assert kh_moi.audit_scope == "country"
    [row] = audit_watch.new()
    assert (row.action, row.detail) == ("agency.updated", {"fields": ["audit_scope"]})
    with pytest.raises(CommandError):
        call_command("set_audit_scope", "--agency", "XX-NONE", "--scope", "all")


def test_a_superuser_sets_the_scope_in_the_admin_site(kh_moi, operator_browser):
    response = operator_browser.post(
        f"/admin/agencies/agency/{kh_moi.pk}/change/",
        {
            "code": "KH-MOI",
            "name": kh_moi.name,
            "country": "KH",
            "kind": "police",
            "language": "en",
            "audit_scope": "country",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content
    kh_moi.refresh_from_db()
    assert kh_moi.audit_scope == "country"


def test_new_agencies_start_with_the_agency_scope(db):
    assert AgencyFactory(kind="oversight").audit_scope == "agency"


def test_the_demo_gives_the_national_body_its_country_and_iom_its_own_agency(db):
    call_command("seed_demo", stdout=StringIO())
    scopes = dict(Agency.objects.values_list("code", "audit_scope"))
    assert scopes["KH-NCCT"] == "country"
    assert scopes["IOM-KH"] == "agency"
    assert scopes["KH-MOI"] == "agency"
