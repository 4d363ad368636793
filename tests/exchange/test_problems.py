"""Every error is an RFC 9457 problem: the right status, no internals."""

import pytest
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient

from agencies.roles import Role
from protocol.throttling import CallerRateThrottle

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _assert_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:mekong-exchange:problem:")
    assert body["title"] and body["detail"]
    assert "Traceback" not in response.content.decode()
    return body


def test_malformed_json_is_400(kh_agency, as_partner):
    admin = as_partner(kh_agency, Role.ADMIN, scopes=["agency:admin"])
    response = admin.post(
        "/api/v1/agency/members/", data='{"username": "x",', content_type="application/json"
    )
    body = _assert_problem(response, 400)
    assert body["type"].endswith("malformed-request")


def test_wrong_types_are_400_with_field_errors(kh_agency, as_partner):
    admin = as_partner(kh_agency, Role.ADMIN, scopes=["agency:admin"])
    response = admin.post(
        "/api/v1/agency/clients/", {"name": ["x"], "role": 5, "scopes": "all"}, format="json"
    )
    body = _assert_problem(response, 400)
    assert set(body["errors"]) == {"name", "role", "scopes"}


def test_unauthenticated_is_401(anon, db):
    _assert_problem(anon.get("/api/v1/agencies/"), 401)


def test_forbidden_is_403(kh_agency, as_member):
    _assert_problem(as_member(kh_agency, Role.VIEWER).get("/api/v1/agency/members/"), 403)


def test_unknown_agency_code_is_404(kh_agency, as_member):
    _assert_problem(as_member(kh_agency).get("/api/v1/agencies/XX-NOPE/"), 404)


def test_unknown_url_is_404_problem(anon, db):
    _assert_problem(anon.get("/api/v1/no-such-thing/"), 404)


def test_wrong_method_is_405(kh_agency, as_member):
    response = as_member(kh_agency).delete("/api/v1/agencies/")
    _assert_problem(response, 405)
    assert "GET" in response["Allow"]


def test_body_over_one_mebibyte_is_413(kh_agency, as_partner):
    admin = as_partner(kh_agency, Role.ADMIN, scopes=["agency:admin"])
    payload = '{"username": "' + "x" * (1024 * 1024) + '"}'
    response = admin.post("/api/v1/agency/members/", data=payload, content_type="application/json")
    _assert_problem(response, 413)


def test_too_many_requests_is_429_with_retry_after(kh_agency, as_partner, monkeypatch):
    monkeypatch.setattr(CallerRateThrottle, "THROTTLE_RATES", {"caller": "3/min"})
    partner = as_partner(kh_agency, Role.VIEWER)
    statuses = [partner.get("/api/v1/agencies/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = partner.get("/api/v1/agencies/")
    _assert_problem(response, 429)
    assert 0 < int(response["Retry-After"]) <= 60


def test_limits_are_per_client(kh_agency, as_partner, monkeypatch):
    monkeypatch.setattr(CallerRateThrottle, "THROTTLE_RATES", {"caller": "2/min"})
    first, second = as_partner(kh_agency, Role.VIEWER), as_partner(kh_agency, Role.VIEWER)
    for _ in range(2):
        first.get("/api/v1/agencies/")
    assert first.get("/api/v1/agencies/").status_code == 429
    assert second.get("/api/v1/agencies/").status_code == 200


def _explode(request):
    raise RuntimeError("secret internals: SELECT * FROM pg_shadow")


@api_view(["GET"])
@permission_classes([AllowAny])
def _explode_in_api(request):
    raise RuntimeError("secret internals: SELECT * FROM pg_shadow")


urlpatterns = [path("boom/", _explode), path("api-boom/", _explode_in_api)]
handler500 = "protocol.views.server_error"


@pytest.mark.parametrize("url", ["/boom/", "/api-boom/"])
def test_server_error_is_500_without_internals(settings, db, url):
    settings.ROOT_URLCONF = __name__
    client = APIClient(raise_request_exception=False)
    response = client.get(url)
    body = _assert_problem(response, 500)
    assert "pg_shadow" not in response.content.decode()
    assert body["request_id"] == response["X-Request-ID"]


def test_request_id_is_echoed_or_made(anon, db):
    echoed = anon.get("/healthz", HTTP_X_REQUEST_ID="partner-req-1")
    assert echoed["X-Request-ID"] == "partner-req-1"
    made = anon.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")
    assert made["X-Request-ID"] != "bad id with spaces"
    assert len(made["X-Request-ID"]) == 36


def test_problem_titles_follow_accept_language(anon, db):
    response = anon.get("/api/v1/agencies/", HTTP_ACCEPT_LANGUAGE="th")
    assert response.status_code == 401
    assert response["Content-Language"] == "th"


@pytest.mark.parametrize(
    ("language", "title"),
    [("km", "តម្រូវឱ្យផ្ទៀងផ្ទាត់អត្តសញ្ញាណ"), ("th", "ต้องยืนยันตัวตน"), ("vi", "Cần xác thực")],
)
def test_problem_titles_are_translated(anon, db, language, title):
    response = anon.get("/api/v1/agencies/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.json()["title"] == title


@pytest.mark.parametrize(
    "body",
    [
        {"username": 12345, "role": "officer"},
        {"username": "sokha", "role": 1},
        {"username": True, "role": "officer"},
    ],
)
def test_numbers_and_booleans_are_not_strings(kh_agency, as_partner, body):
    admin = as_partner(kh_agency, Role.ADMIN, scopes=["agency:admin"])
    response = admin.post("/api/v1/agency/members/", body, format="json")
    body_errors = _assert_problem(response, 400)["errors"]
    assert set(body_errors) == {k for k, v in body.items() if not isinstance(v, str)}
