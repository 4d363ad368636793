"""The auditors' audit trail: scoped by country, filtered, paginated, exported as CSV."""

import csv
import io

import pytest
import time_machine

from agencies import services
from agencies.authentication import Caller
from agencies.models import Agency, Membership
from agencies.roles import Role
from exchange.audit import audit_record
from exchange.serializers import AuditEventSerializer

from ..factories import AgencyFactory, member

pytestmark = pytest.mark.django_db

URL = "/api/v1/audit-events/"
PROBLEM = "application/problem+json"

# reference: the agencies of the exchange it names
EXCHANGES = {
    "REF-KH-KH-2026-000001": ["KH-MOSVY"],
    "REF-TH-TH-2026-000002": ["TH-MSDHS"],
    "REF-TH-KH-2026-000003": ["TH-MSDHS", "KH-MOSVY"],
    "RET-VN-TH-2026-000004": ["VN-MOLISA", "TH-MSDHS"],
}


@pytest.fixture
def agencies(kh_agency, th_agency):
    AgencyFactory(code="VN-MOLISA", country="VN")
    AgencyFactory(code="KH-NCCT", country="KH", kind="oversight", audit_scope="country")
    AgencyFactory(code="TH-OVERSIGHT", country="TH", kind="oversight", audit_scope="country")
    AgencyFactory(code="UN-OVERSIGHT", country="TH", kind="oversight", audit_scope="all")
    return {agency.code: agency for agency in Agency.objects.all()}


@pytest.fixture
def exchanges(agencies):
    """One read per exchange, by an officer of the first agency named."""
    for reference, codes in EXCHANGES.items():
        officer = member(agencies[codes[0]], Role.OFFICER)
        audit_record(
            actor=Caller(user=officer, membership=officer.membership),
            action="referral.read",
            object_type="referral",
            reference=reference,
            agencies=[agencies[code] for code in codes],
        )


@pytest.fixture
def auditor(agencies, as_partner):
    def make(code, scopes=("audit:read",)):
        return as_partner(agencies[code], Role.AUDITOR, scopes=list(scopes))

    return make


def _cases(rows) -> set[str]:
    """The references of the cases the rows name."""
    return {row["reference"] for row in rows if row["object_type"] == "referral"}


def _references(response) -> set[str]:
    return _cases(response.json()["results"])


def _csv(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize(
    ("auditor_agency", "seen"),
    [
        ("KH-NCCT", {"REF-KH-KH-2026-000001", "REF-TH-KH-2026-000003"}),
        (
            "TH-OVERSIGHT",
            {"REF-TH-TH-2026-000002", "REF-TH-KH-2026-000003", "RET-VN-TH-2026-000004"},
        ),
        ("UN-OVERSIGHT", set(EXCHANGES)),
    ],
)
def test_auditors_see_the_exchanges_of_their_country_or_all(
    auditor_agency, seen, exchanges, agencies, auditor
):
    response = auditor(auditor_agency).get(URL, {"limit": 200})
    assert response.status_code == 200
    assert _references(response) == seen
    if agencies[auditor_agency].audit_scope == "country":
        country = agencies[auditor_agency].country
        for row in response.json()["results"]:
            assert country in {agencies[code].country for code in row["agencies"]}


def test_the_csv_export_is_scoped_like_the_list(exchanges, auditor):
    rows = _csv(auditor("KH-NCCT").get(URL, {"format": "csv"}))
    assert _cases(rows) == {
        "REF-KH-KH-2026-000001",
        "REF-TH-KH-2026-000003",
    }


@pytest.mark.parametrize("outsider", ["officer", "admin", "auditor without audit:read"])
def test_only_auditors_with_the_audit_scope_may_read(outsider, agencies, auditor, as_member):
    caller = {
        "officer": lambda: as_member(agencies["KH-MOSVY"], Role.OFFICER),
        "admin": lambda: as_member(agencies["KH-MOSVY"], Role.ADMIN),
        "auditor without audit:read": lambda: auditor("KH-NCCT", scopes=["referrals:read"]),
    }[outsider]()
    for params in ({}, {"format": "csv"}):
        response = caller.get(URL, params)
        assert response.status_code == 403
        assert response["Content-Type"] == PROBLEM


def test_anonymous_gets_401(anon, db):
    assert anon.get(URL).status_code == 401


def test_a_person_with_the_auditor_role_may_read(exchanges, agencies, as_member):
    response = as_member(agencies["KH-NCCT"], Role.AUDITOR).get(URL)
    assert response.status_code == 200
    assert "REF-KH-KH-2026-000001" in _references(response)


KH_MOSVY_CASES = {"REF-KH-KH-2026-000001", "REF-TH-KH-2026-000003"}


@pytest.mark.parametrize(
    ("params", "seen"),
    [
        ({"agency": "VN-MOLISA"}, {"RET-VN-TH-2026-000004"}),
        ({"agency": "TH-MSDHS", "reference": "REF-TH-KH-2026-000003"}, {"REF-TH-KH-2026-000003"}),
        ({"action": "referral.read", "agency": "KH-MOSVY"}, KH_MOSVY_CASES),
        ({"agency": "XX-NONE"}, set()),
        ({"outcome": "denied"}, set()),
    ],
)
def test_filters(params, seen, exchanges, auditor):
    oversight = auditor("UN-OVERSIGHT")
    response = oversight.get(URL, {**params, "limit": 200})
    assert response.status_code == 200
    assert _references(response) == seen
    rows = _csv(oversight.get(URL, {**params, "format": "csv"}))
    assert _cases(rows) == seen


def test_filter_by_actor_and_outcome(agencies, auditor):
    officer = member(agencies["KH-MOSVY"], Role.OFFICER, username="kh-sokha")
    caller = Caller(user=officer, membership=officer.membership)
    audit_record(actor=caller, action="request.denied", outcome="denied", status_code=404)
    audit_record(actor=caller, action="referral.read", reference="REF-KH-KH-2026-000009")
    response = auditor("KH-NCCT").get(URL, {"actor": "kh-sokha"})
    results = response.json()["results"]
    assert [r["action"] for r in results] == ["referral.read", "request.denied"]
    assert all(r["actor"] == "kh-sokha" and r["agency"] == "KH-MOSVY" for r in results)
    denied = auditor("KH-NCCT").get(URL, {"actor": "kh-sokha", "outcome": "denied"})
    assert [(r["action"], r["status_code"]) for r in denied.json()["results"]] == [
        ("request.denied", 404)
    ]


def test_filter_by_time_window(agencies, auditor):
    for moment, reference in [
        ("2026-03-01T09:00:00+07:00", "REF-KH-KH-2026-000011"),
        ("2026-03-02T09:00:00+07:00", "REF-KH-KH-2026-000012"),
        ("2026-03-03T09:00:00+07:00", "REF-KH-KH-2026-000013"),
    ]:
        with time_machine.travel(moment, tick=False):
            audit_record(
                actor=None,
                action="referral.read",
                object_type="referral",
                reference=reference,
                agencies=[agencies["KH-MOSVY"]],
            )
    response = auditor("KH-NCCT").get(
        URL, {"from": "2026-03-02T02:00:00Z", "to": "2026-03-03T09:00:00+07:00"}
    )
    assert _references(response) == {"REF-KH-KH-2026-000012"}
    assert response.json()["results"][0]["occurred_at"] == "2026-03-02T02:00:00Z"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-03T00:00:00Z", "to": "2026-03-02T00:00:00Z"}, "from"),
        ({"staus": "sent"}, "__all__"),
        ({"action": ""}, "__all__"),
        ({"from": "yesterday"}, "from"),
        ({"to": "0001-01-01T00:00:00+05:00"}, "to"),
        ({"outcome": "maybe"}, "outcome"),
        ({"format": "csv", "limit": "10"}, "limit"),
    ],
)
def test_bad_filters_are_400_problems(params, field, agencies, auditor):
    for fmt in ({}, {"format": "csv"}):
        response = auditor("KH-NCCT").get(URL, {**fmt, **params})
        assert response.status_code == 400
        assert response["Content-Type"] == PROBLEM
        assert field in response.json()["errors"]


def test_the_list_pages_with_a_cursor(exchanges, auditor):
    oversight = auditor("UN-OVERSIGHT")
    first = oversight.get(URL, {"action": "referral.read", "limit": 3}).json()
    second = oversight.get(first["next"]).json()
    sequences = [row["sequence"] for row in first["results"] + second["results"]]
    assert len(first["results"]) == 3
    assert sequences == sorted(sequences, reverse=True)
    assert len(sequences) == len(set(sequences)) == len(EXCHANGES)


def test_the_csv_export_has_every_field_oldest_first(exchanges, auditor):
    rows = _csv(auditor("UN-OVERSIGHT").get(URL, {"format": "csv", "action": "referral.read"}))
    assert list(rows[0]) == list(AuditEventSerializer().fields)
    assert [row["reference"] for row in rows] == list(EXCHANGES)
    assert rows[2]["agencies"].split() == sorted(EXCHANGES["REF-TH-KH-2026-000003"])
    assert rows[0]["prev_hash"] == "" and len(rows[0]["hash"]) == 64


def test_csv_cells_cannot_become_spreadsheet_formulas(agencies, auditor, as_partner):
    partner = as_partner(
        agencies["KH-MOSVY"], Role.ADMIN, scopes=["agency:admin"], HTTP_X_ON_BEHALF_OF="=1+2"
    )
    partner.get("/api/v1/agency/members/")
    rows = _csv(auditor("KH-NCCT").get(URL, {"format": "csv", "action": "member.list"}))
    assert [row["on_behalf_of"] for row in rows] == ["'=1+2"]


def test_each_auditor_query_is_recorded(agencies, auditor):
    kh_auditor = auditor("KH-NCCT")
    kh_auditor.get(URL, {"action": "referral.read"})
    kh_auditor.get(URL, {"format": "csv", "reference": "REF-KH-KH-2026-000001"})
    rows = kh_auditor.get(URL, {"action": "audit_event.list"}).json()["results"]
    assert [(r["detail"]["format"], r["detail"]["filters"]) for r in rows] == [
        ("json", {"action": "audit_event.list"}),
        ("csv", {"reference": "REF-KH-KH-2026-000001"}),
        ("json", {"action": "referral.read"}),
    ]
    assert {r["api_client"] for r in rows} == {str(kh_auditor.api_client.pk)}


def test_no_personal_data_reaches_the_auditors(agencies, auditor, as_partner):
    admin = as_partner(agencies["KH-MOSVY"], Role.ADMIN, scopes=["agency:admin"])
    created = admin.post(
        "/api/v1/agency/members/",
        {
            "username": "kh-new-officer",
            "role": "officer",
            "first_name": "Canarygiven",
            "last_name": "Canaryfamily",
            "email": "canary.person@example.org",
        },
        format="json",
    )
    assert created.status_code == 201
    membership = Membership.objects.get(pk=created.json()["id"])
    admin.get(f"/api/v1/agency/members/{membership.pk}/")
    services.membership_deactivate(actor=None, membership=membership)
    oversight = auditor("UN-OVERSIGHT")
    listed = oversight.get(URL, {"limit": 200})
    exported = b"".join(oversight.get(URL, {"format": "csv"}).streaming_content)
    assert {"member.created", "member.read", "member.deactivated"} <= {
        row["action"] for row in listed.json()["results"]
    }
    for body in (listed.content, exported):
        assert b"anary" not in body
