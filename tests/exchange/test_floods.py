"""Floods: throttled by source before authentication, refusals audited in bounded form, and the
per-client limit holding under concurrency."""

import base64
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from agencies import services
from agencies.roles import Role
from exchange.refusals import seal_refusal_windows
from protocol.throttling import CallerRateThrottle

from ..factories import api_client_with_token

pytestmark = pytest.mark.django_db

# Five seconds into a minute: a flood sent with the clock stopped falls in one window.
WINDOW_START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
FROZEN = WINDOW_START + timedelta(seconds=5)
SOURCE_LIMIT = 60
ATTACKER = "203.0.113.7"


@pytest.fixture
def source_limit(settings):
    settings.API_SOURCE_RATE_LIMIT = f"{SOURCE_LIMIT}/min"


def _flood(client, requests: int, path="/api/v1/referrals/", method="get", **kwargs) -> Counter:
    send = getattr(client, method)
    return Counter(send(path, REMOTE_ADDR=ATTACKER, **kwargs).status_code for _ in range(requests))


def _sealed():
    """The rows the sweep writes once the flood's minute is over."""
    return seal_refusal_windows(now=WINDOW_START + timedelta(minutes=2))


def _assert_bounded(rows, *, status, requests):
    """One row for the first refusal of the minute, then one row counting them all."""
    [first, tally] = rows
    assert (first.action, first.outcome, first.status_code) == ("request.denied", "denied", status)
    assert first.detail["source"] == ATTACKER
    assert tally.action == "request.denied.tally"
    assert tally.outcome == "denied"
    assert tally.detail == {
        "source": ATTACKER,
        "window_start": WINDOW_START.isoformat(),
        "refused": requests,
    }


@time_machine.travel(FROZEN, tick=False)
def test_anonymous_flood_is_throttled_by_source_and_audited_twice(source_limit, audit_watch, anon):
    requests = 2_000
    statuses = _flood(anon, requests)
    assert statuses == {401: SOURCE_LIMIT, 429: requests - SOURCE_LIMIT}
    assert len(audit_watch.new()) == 1
    assert _sealed() == 1
    audit_watch.mark = 0
    _assert_bounded(audit_watch.new()[-2:], status=401, requests=requests)


@time_machine.travel(FROZEN, tick=False)
def test_bad_token_flood_is_refused_before_authentication(source_limit, audit_watch):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    statuses = _flood(client, 500)
    assert statuses == {401: SOURCE_LIMIT, 429: 500 - SOURCE_LIMIT}
    assert len(audit_watch.new()) == 1
    _sealed()
    audit_watch.mark = 0
    _assert_bounded(audit_watch.new()[-2:], status=401, requests=500)


@time_machine.travel(FROZEN, tick=False)
def test_the_throttled_answer_is_a_problem_with_retry_after(source_limit, anon):
    _flood(anon, SOURCE_LIMIT)
    response = anon.get("/api/v1/referrals/", REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("rate-limited")
    assert int(response["Retry-After"]) == 55


@time_machine.travel(FROZEN, tick=False)
def test_wrong_client_secrets_are_throttled_and_audited(source_limit, kh_agency, audit_watch):
    client, _secret = services.api_client_create(
        actor=None, agency=kh_agency, name="cms", role=Role.OFFICER, scopes=["referrals:read"]
    )
    audit_watch.new()
    basic = base64.b64encode(f"{client.application.client_id}:wrong".encode()).decode()
    statuses = _flood(
        APIClient(),
        200,
        path="/o/token/",
        method="post",
        data={"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert statuses == {401: SOURCE_LIMIT, 429: 200 - SOURCE_LIMIT}
    [first] = audit_watch.new()
    assert first.api_client == client
    assert first.agency == kh_agency
    assert first.detail["path"] == "/o/token/"
    _sealed()
    audit_watch.mark = first.sequence - 1
    _assert_bounded(audit_watch.new(), status=401, requests=200)


@time_machine.travel(FROZEN, tick=False)
def test_a_flood_from_one_source_leaves_other_sources_alone(source_limit, kh_agency, anon):
    _flood(anon, SOURCE_LIMIT + 10)
    _client, raw = api_client_with_token(kh_agency, Role.VIEWER)
    partner = APIClient()
    partner.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert partner.get("/api/v1/me/", REMOTE_ADDR="198.51.100.20").status_code == 200
    assert anon.get("/api/v1/me/", REMOTE_ADDR="198.51.100.21").status_code == 401


@time_machine.travel(FROZEN, tick=False)
def test_forbidden_requests_count_against_the_clients_limit(
    kh_agency, as_partner, audit_watch, monkeypatch
):
    monkeypatch.setattr(CallerRateThrottle, "THROTTLE_RATES", {"caller": "5/min"})
    officer = as_partner(kh_agency, Role.OFFICER)
    audit_watch.new()
    statuses = [officer.get("/api/v1/agency/clients/").status_code for _ in range(50)]
    assert statuses == [403] * 5 + [429] * 45
    assert len(audit_watch.new()) == 5


# Finding 6: the per-client limit under concurrency ------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["redis", "file"])
@time_machine.travel(FROZEN, tick=False)
def test_the_per_client_limit_holds_under_concurrency(
    store, settings, tmp_path, kh_agency, monkeypatch
):
    settings.RATE_LIMIT_STORE = store
    settings.RATE_LIMIT_DIR = tmp_path / "ratelimit"
    monkeypatch.setattr(CallerRateThrottle, "THROTTLE_RATES", {"caller": "600/min"})
    _client, raw = api_client_with_token(kh_agency, Role.VIEWER)
    statuses: Counter = Counter()
    lock = threading.Lock()

    def send(requests: int):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        try:
            seen = Counter(client.get("/api/v1/me/").status_code for _ in range(requests))
        finally:
            connection.close()
        with lock:
            statuses.update(seen)

    threads = [threading.Thread(target=send, args=(700 // 8 + (i < 700 % 8),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert sum(statuses.values()) == 700
    assert statuses == {200: 600, 429: 100}


def test_a_burst_across_a_minutes_edge_is_held_to_the_limit(kh_agency, as_partner, monkeypatch):
    monkeypatch.setattr(CallerRateThrottle, "THROTTLE_RATES", {"caller": "60/min"})
    partner = as_partner(kh_agency, Role.VIEWER)
    with time_machine.travel(WINDOW_START + timedelta(seconds=50), tick=False) as clock:
        late = Counter(partner.get("/api/v1/me/").status_code for _ in range(40))
        clock.move_to(WINDOW_START + timedelta(seconds=65))
        early = Counter(partner.get("/api/v1/me/").status_code for _ in range(40))
    assert late == {200: 40}
    assert early == {200: 20, 429: 20}  # the 40 of fifteen seconds ago still count
