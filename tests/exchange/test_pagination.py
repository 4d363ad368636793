"""Cursor pagination: limit, next, bad cursors and limits."""

import pytest

from ..factories import AgencyFactory

pytestmark = pytest.mark.django_db


def test_pages_follow_next_until_the_end(kh_agency, as_member):
    for n in range(4):
        AgencyFactory(code=f"TH-PAGE{n}", country="TH")
    client = as_member(kh_agency)
    seen, url = [], "/api/v1/agencies/?limit=2"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [a["code"] for a in page["results"]]
        url = page["next"]
    assert seen == sorted(seen)
    assert len(seen) == 5


def test_limit_defaults_to_50_and_goes_up_to_200(kh_agency, as_member):
    for n in range(60):
        AgencyFactory(code=f"VN-CAP{n}", country="VN")
    client = as_member(kh_agency)
    assert len(client.get("/api/v1/agencies/").json()["results"]) == 50
    assert len(client.get("/api/v1/agencies/?limit=200").json()["results"]) == 61


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "limit=-3", "limit=201"])
def test_bad_paging_parameters_are_400(kh_agency, as_member, query):
    response = as_member(kh_agency).get(f"/api/v1/agencies/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_unknown_filter_value_is_400(kh_agency, as_member):
    response = as_member(kh_agency).get("/api/v1/agencies/?country=ZZ")
    assert response.status_code == 400
    assert "country" in response.json()["errors"]


def test_unknown_cursor_is_400(kh_agency, as_member):
    response = as_member(kh_agency).get("/api/v1/agencies/?cursor=garbage")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("query", ["staus=sent", "country=", "%25s%25d=1"])
def test_unknown_or_empty_filters_are_400_not_ignored(kh_agency, as_member, query):
    response = as_member(kh_agency).get(f"/api/v1/agencies/?{query}")
    assert response.status_code == 400
    assert response.json()["errors"]
