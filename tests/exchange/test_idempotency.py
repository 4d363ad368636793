"""Idempotency-Key: replay, mismatch, in flight, and concurrent identical requests."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from agencies.models import ApiClient
from agencies.roles import Role
from protocol.models import IdempotencyKey

pytestmark = pytest.mark.django_db

BODY = {"name": "case-system", "role": "viewer", "scopes": ["referrals:read"]}


def test_repeat_answers_with_the_same_resource(kh_admin):
    first = kh_admin.post(
        "/api/v1/agency/clients/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = kh_admin.post(
        "/api/v1/agency/clients/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert again.json()["id"] == first.json()["id"]
    assert ApiClient.objects.filter(name="case-system").count() == 1


def test_same_key_with_another_body_is_422(kh_admin):
    kh_admin.post("/api/v1/agency/clients/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = kh_admin.post(
        "/api/v1/agency/clients/",
        {**BODY, "name": "other"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert not ApiClient.objects.filter(name="other").exists()


def test_key_still_in_flight_is_409(kh_admin):
    kh_admin.post("/api/v1/agency/clients/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    IdempotencyKey.objects.filter(key="k-3").update(state=IdempotencyKey.State.IN_FLIGHT)
    again = kh_admin.post(
        "/api/v1/agency/clients/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert again.status_code == 409


def test_keys_are_scoped_per_client(kh_agency, kh_admin, as_partner):
    other_admin = as_partner(kh_agency, Role.ADMIN, scopes=["agency:admin"])
    kh_admin.post("/api/v1/agency/clients/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = other_admin.post(
        "/api/v1/agency/clients/",
        {**BODY, "name": "second"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="shared",
    )
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


def test_failed_validation_does_not_burn_the_key(kh_admin):
    bad = kh_admin.post(
        "/api/v1/agency/clients/",
        {**BODY, "role": "nope"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-4",
    )
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.filter(key="k-4").exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_posts_create_one_resource(kh_agency, as_partner):
    credentials = as_partner(kh_agency, Role.ADMIN, scopes=["agency:admin"])._credentials
    barrier = threading.Barrier(2)
    statuses = []

    def post():
        admin = APIClient()
        admin.credentials(**credentials)
        barrier.wait()
        try:
            response = admin.post(
                "/api/v1/agency/clients/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="race"
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ApiClient.objects.filter(name="case-system").count() == 1
    assert sorted(statuses) in ([201, 201], [201, 409])
