"""Agency admins learn nothing of other agencies' usernames; filters hide inactive agencies."""

import pytest
from django.test import Client

from agencies import services
from agencies.models import Membership
from agencies.roles import Role

from ..factories import AgencyFactory, member, sign_in

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/agency/members/"


def _create(admin, username):
    return admin.post(
        MEMBERS,
        {"username": username, "role": "officer", "password": "pw-Secret-123!x"},
        format="json",
    )


def test_a_username_used_in_another_agency_is_not_revealed(kh_agency, th_agency, kh_admin):
    member(th_agency, Role.OFFICER, username="sokha")
    created = _create(kh_admin, "sokha")
    assert created.status_code == 201, created.content
    assert created.json()["username"] == "sokha@kh-mosvy"
    assert Membership.objects.get(pk=created.json()["id"]).agency == kh_agency
    assert sign_in(Client(), "sokha@kh-mosvy", "pw-Secret-123!x")


def test_names_of_another_agencys_namespace_are_refused_alike_whether_they_exist_or_not(
    th_agency, kh_admin
):
    services.member_create(
        actor=None, agency=th_agency, username="dara@th-msdhs", role=Role.OFFICER
    )
    existing = _create(kh_admin, "dara@th-msdhs")
    unknown = _create(kh_admin, "nobody@th-msdhs")
    assert existing.status_code == unknown.status_code == 400
    assert existing.json()["errors"] == unknown.json()["errors"]
    assert "@kh-mosvy" in existing.json()["errors"]["username"][0]


def test_a_username_taken_in_the_own_agency_is_400(kh_admin):
    assert _create(kh_admin, "sokha").status_code == 201
    again = _create(kh_admin, "Sokha@KH-MOSVY")
    assert again.status_code == 400
    assert "username" in again.json()["errors"]


def test_the_counterpart_filter_refuses_an_inactive_agency_as_the_directory_hides_it(
    kh_agency, as_partner
):
    AgencyFactory(code="TH-GONE", country="TH")
    services.agency_update(
        actor=None, agency=AgencyFactory(code="TH-OLD", country="TH"), is_active=False
    )
    officer = as_partner(kh_agency)
    directory = {a["code"] for a in officer.get("/api/v1/agencies/?limit=200").json()["results"]}
    assert "TH-OLD" not in directory and "TH-GONE" in directory
    for url in ("/api/v1/referrals/", "/api/v1/returns/"):
        assert officer.get(url, {"counterpart": "TH-GONE"}).status_code == 200
        inactive = officer.get(url, {"counterpart": "TH-OLD"})
        unknown = officer.get(url, {"counterpart": "TH-NEVER"})
        assert inactive.status_code == unknown.status_code == 400
        assert inactive.json()["errors"] == {
            "counterpart": [
                e.replace("TH-NEVER", "TH-OLD") for e in unknown.json()["errors"]["counterpart"]
            ]
        }
