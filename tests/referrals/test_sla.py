"""The SLA report against figures computed by hand."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from referrals import services
from referrals.reports import percentile, sla_by_pair

from .conftest import caller, draft_referral

pytestmark = pytest.mark.django_db

T = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 2 March 2026, 09:00 in Phnom Penh
NOW = datetime(2026, 3, 26, 2, 0, tzinfo=UTC)


def _at(moment, call):
    with time_machine.travel(moment, tick=False):
        return call()


@pytest.fixture
def history(world):
    th, kh, vn = caller(world.th_sender), caller(world.kh_recipient), caller(world.vn_agency)
    cases = [_at(T, lambda: draft_referral(world, sender=th)) for _ in range(4)]
    for case in cases:
        _at(T, lambda c=case: services.referral_send(referral=c, actor=th))
    a, b, c, _never_answered = cases
    _at(
        T + timedelta(hours=2),
        lambda: services.referral_acknowledge(referral=a, actor=kh, focal_point="x"),
    )
    _at(T + timedelta(hours=10), lambda: services.referral_accept(referral=a, actor=kh))
    _at(
        T + timedelta(hours=6),
        lambda: services.referral_acknowledge(referral=b, actor=kh, focal_point="x"),
    )
    _at(
        T + timedelta(hours=30), lambda: services.referral_reject(referral=b, actor=kh, reason="no")
    )
    _at(
        T + timedelta(hours=10),
        lambda: services.referral_acknowledge(referral=c, actor=kh, focal_point="x"),
    )
    # Answered 23 days after sending, after its deadline (end of Friday 20 March, Phnom Penh).
    _at(T + timedelta(days=23), lambda: services.referral_accept(referral=c, actor=kh))
    # The fourth is never answered. A Vietnamese notice to Cambodia, sent the day before the report.
    vn_case = _at(
        NOW - timedelta(days=1),
        lambda: services.referral_create(
            actor=vn,
            recipient_agency=world.kh_recipient,
            subject={"given_name": "Lan"},
            category="presumed_victim",
            identified_on=(NOW - timedelta(days=2)).date(),
        ),
    )
    _at(NOW - timedelta(days=1), lambda: services.referral_send(referral=vn_case, actor=vn))
    return cases


def test_percentiles_interpolate_between_ranks():
    assert percentile([2, 6, 10], 0.5) == 6
    assert percentile([2, 6, 10], 0.9) == pytest.approx(9.2)
    assert percentile([5], 0.9) == 5
    assert percentile([], 0.5) is None


def test_figures_per_pair_match_the_hand_computation(history):
    with time_machine.travel(NOW, tick=False):
        report = sla_by_pair(sent_from=T - timedelta(days=1), sent_to=NOW, reach=None)
    by_pair = {(row.sender, row.recipient): row for row in report}
    th_kh = by_pair[("TH-MSDHS", "KH-MOSVY")]
    assert th_kh.cases == 4
    # Acknowledged after 2, 6 and 10 hours (d never was).
    assert th_kh.acknowledge_median_hours == 6
    assert th_kh.acknowledge_p90_hours == 9.2
    # Answered after 10, 30 and 552 hours.
    assert th_kh.answer_median_hours == 30
    assert th_kh.answer_p90_hours == 447.6
    # On time: a and b; due: a, b, c and d (past its deadline, unanswered) -> 2 / 4.
    assert th_kh.answered_on_time_share == 0.5
    assert th_kh.overdue_now == 1
    vn_kh = by_pair[("VN-MOLISA", "KH-MOSVY")]
    assert (vn_kh.cases, vn_kh.acknowledge_median_hours, vn_kh.answered_on_time_share) == (
        1,
        None,
        None,
    )
    assert vn_kh.overdue_now == 0


def test_the_report_is_limited_to_countries_and_the_window(history):
    with time_machine.travel(NOW, tick=False):
        vietnam = sla_by_pair(
            sent_from=T - timedelta(days=1), sent_to=NOW, reach=None, country="VN"
        )
        early = sla_by_pair(
            sent_from=T - timedelta(days=1), sent_to=T + timedelta(days=1), reach=None
        )
    assert [(r.sender, r.recipient) for r in vietnam] == [("VN-MOLISA", "KH-MOSVY")]
    assert [(r.sender, r.cases) for r in early] == [("TH-MSDHS", 4)]


def _auditor(world, **kwargs):
    from agencies.roles import Role

    from .conftest import partner

    return partner(world.kh_oversight, Role.AUDITOR, **kwargs)


def test_the_sla_endpoint_gives_the_auditors_country_pairs(world, history):
    with time_machine.travel(NOW, tick=False):
        response = _auditor(world).get("/api/v1/reports/sla/?from=2026-03-01&to=2026-03-26")
    assert response.status_code == 200
    body = response.json()
    assert body["from"] == "2026-03-01" and body["to"] == "2026-03-26"
    pairs = {(p["sender"], p["recipient"]): p for p in body["pairs"]}
    assert set(pairs) == {("TH-MSDHS", "KH-MOSVY"), ("VN-MOLISA", "KH-MOSVY")}
    assert pairs[("TH-MSDHS", "KH-MOSVY")]["answer_p90_hours"] == 447.6
    from exchange.models import AuditEvent

    assert AuditEvent.objects.filter(action="sla_report.read").count() == 1


def test_the_sla_report_as_csv(world, history):
    with time_machine.travel(NOW, tick=False):
        response = _auditor(world).get(
            "/api/v1/reports/sla/?from=2026-03-01&to=2026-03-26&format=csv"
        )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("sender,recipient,cases,acknowledge_median_hours")
    assert "TH-MSDHS,KH-MOSVY,4,6.0,9.2,30.0,447.6,0.5,1" in lines


def test_a_vietnamese_auditor_sees_only_pairs_with_vietnam(world, history):
    from agencies.roles import Role

    from .conftest import partner

    with time_machine.travel(NOW, tick=False):
        body = (
            partner(world.vn_oversight, Role.AUDITOR)
            .get("/api/v1/reports/sla/?from=2026-03-01")
            .json()
        )
    assert [(p["sender"], p["recipient"]) for p in body["pairs"]] == [("VN-MOLISA", "KH-MOSVY")]


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-03-10&to=2026-03-01",
        "from=yesterday",
        "country=ZZ",
        "country=",
        "format=",
        "colour=blue",
    ],
)
def test_bad_report_queries_are_400(world, query):
    response = _auditor(world).get(f"/api/v1/reports/sla/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_officers_and_clients_without_audit_scope_get_403(world):
    from agencies.roles import Role

    from .conftest import partner

    assert partner(world.kh_recipient).get("/api/v1/reports/sla/").status_code == 403
    no_scope = _auditor(world, scopes=["referrals:read"])
    assert no_scope.get("/api/v1/reports/sla/").status_code == 403
    assert partner(world.kh_oversight, Role.AUDITOR).get("/api/v1/audit-events/").status_code == 200


def test_the_oversight_page_for_auditors_in_their_language(world, history, client):
    from agencies.roles import Role

    from ..factories import member

    assert client.get("/oversight/").status_code == 302
    client.force_login(member(world.kh_recipient, Role.OFFICER))
    assert client.get("/oversight/").status_code == 403
    client.force_login(member(world.kh_oversight, Role.AUDITOR))
    with time_machine.travel(NOW, tick=False):
        page = client.get("/oversight/?from=2026-03-01&to=2026-03-26")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="km">' in html
    assert "TH-MSDHS" in html and "447" in html and "<svg" in html
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html


def test_the_oversight_page_refuses_an_auditor_of_an_inactive_agency(world, client):
    from agencies import services as agency_services
    from agencies.roles import Role
    from exchange.models import AuditEvent

    from ..factories import member

    client.force_login(member(world.kh_oversight, Role.AUDITOR))
    agency_services.agency_update(actor=None, agency=world.kh_oversight, is_active=False)
    # Deactivation ended the session: the page asks for a sign-in the agency no longer has.
    page = client.get("/oversight/")
    assert page.status_code == 302 and "login" in page["Location"]
    assert not AuditEvent.objects.filter(action="sla_report.read").exists()
