"""The pull feed: an agency's events in sequence, never another agency's."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.roles import Role

from ..factories import AgencyFactory

pytestmark = pytest.mark.django_db

FEED = "/api/v1/events/"


@pytest.fixture
def vn_agency(db):
    return AgencyFactory(code="VN-MOLISA", country="VN", language="vi")


def _sequences(page):
    return [event["sequence"] for event in page["results"]]


def test_feed_lists_the_agencys_events_in_increasing_sequence(
    kh_agency, th_agency, vn_agency, emit, as_partner
):
    mine = [
        emit("referral.sent", sender=th_agency, recipient=kh_agency),
        emit("referral.sent", sender=vn_agency, recipient=th_agency),
        emit("referral.acknowledged", sender=th_agency, recipient=kh_agency, actor=kh_agency),
    ]
    page = as_partner(kh_agency, Role.VIEWER).get(FEED).json()
    assert _sequences(page) == [mine[0].sequence, mine[2].sequence]
    assert page["next"] is None
    first = page["results"][0]
    assert first == {
        "id": str(mine[0].pk),
        "sequence": mine[0].sequence,
        "type": "referral.sent",
        "object_type": "referral",
        "object_id": str(mine[0].object_id),
        "reference": "REF-TH-KH-2026-000042",
        "actor_agency": "TH-MSDHS",
        "data": mine[0].data,
        "created_at": first["created_at"],
    }


def test_an_agency_never_sees_another_agencys_events(
    kh_agency, th_agency, vn_agency, emit, as_partner
):
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    emit("referral.sent", sender=kh_agency, recipient=th_agency)
    own = emit("referral.sent", sender=th_agency, recipient=vn_agency)
    feed = as_partner(vn_agency, Role.OFFICER).get(FEED)
    assert feed.status_code == 200
    assert [event["sequence"] for event in feed.json()["results"]] == [own.sequence]


def test_a_share_adds_the_third_agency_from_then_on(
    kh_agency, th_agency, vn_agency, emit, as_partner
):
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    shared = emit("case.shared", sender=th_agency, recipient=kh_agency, extra_audience=[vn_agency])
    page = as_partner(vn_agency, Role.VIEWER).get(FEED).json()
    assert _sequences(page) == [shared.sequence]


def test_after_and_next_page_through_without_gaps_or_repeats(
    kh_agency, th_agency, emit, as_partner
):
    events = [emit("referral.sent", sender=th_agency, recipient=kh_agency) for _ in range(5)]
    client = as_partner(kh_agency, Role.OFFICER)
    seen, url = [], f"{FEED}?limit=2"
    while url:
        page = client.get(url).json()
        seen += _sequences(page)
        url = page["next"]
    assert seen == [event.sequence for event in events]
    resumed = client.get(f"{FEED}?after={events[2].sequence}").json()
    assert _sequences(resumed) == [events[3].sequence, events[4].sequence]


@pytest.mark.parametrize(
    "query",
    [
        "after=-1",
        "after=abc",
        "after=1.5",
        "after=",
        "limit=0",
        "limit=201",
        "limit=",
        "format=",
        "since=3",
    ],
)
def test_bad_feed_parameters_are_400_problems(kh_agency, as_partner, query):
    response = as_partner(kh_agency, Role.OFFICER).get(f"{FEED}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert query.split("=")[0] in response.json()["errors"]


def test_feed_needs_the_read_scope(kh_agency, as_partner):
    admin = as_partner(kh_agency, Role.ADMIN, scopes=["agency:admin"])
    assert admin.get(FEED).status_code == 403


@pytest.mark.parametrize("role", [Role.OFFICER, Role.VIEWER, Role.ADMIN, Role.AUDITOR])
def test_every_role_of_the_agency_reads_the_feed(kh_agency, as_member, role):
    assert as_member(kh_agency, role).get(FEED).status_code == 200


def test_feed_needs_authentication(anon, db):
    assert anon.get(FEED).status_code == 401


def test_feed_costs_the_same_queries_for_10_and_200_events(kh_agency, th_agency, emit, as_member):
    client = as_member(kh_agency, Role.OFFICER)
    for _ in range(10):
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
    client.get(FEED)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(f"{FEED}?limit=200").json()["results"]) == 10
    for _ in range(190):
        emit("referral.sent", sender=th_agency, recipient=kh_agency)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"{FEED}?limit=200").json()["results"]) == 200
    assert len(few) == len(many) <= 6


def test_feed_reads_through_the_agency_sequence_index(kh_agency, th_agency, emit):
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN output is PostgreSQL's")
    emit("referral.sent", sender=th_agency, recipient=kh_agency)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT * FROM exchange_eventaudience WHERE agency_id = %s AND sequence > 0 "
            "ORDER BY sequence LIMIT 50",
            [kh_agency.pk],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "event_audience_unique" in plan


def test_api_keeps_answering_when_the_cache_is_down(kh_agency, as_partner, settings):
    client = as_partner(kh_agency, Role.OFFICER)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    assert client.get(FEED).status_code == 200
