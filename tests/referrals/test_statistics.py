"""Anonymised statistics: no published count from 1 to 10, and none derivable from the rest."""

import csv
import io
import random
from datetime import UTC, date, datetime
from fractions import Fraction

import pytest

from agencies.roles import Role
from exchange.models import AuditEvent
from referrals.models import ReferralNotice, ReturnRequest, Subject
from referrals.statistics import K, age_band
from referrals.suppression import TOTAL, suppress, with_totals

from ..factories import member

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/statistics/"
RETURN_COLUMNS = {("category", "not_applicable"), ("exploitation_type", "not_applicable")}


def _key(table: str, margin: str, year, column):
    """What an attacker knows: shared totals and columns that count the same cases are one."""
    if column == TOTAL:
        return (margin, year)
    if (table, column) in RETURN_COLUMNS:
        return ("case_kind", year, "return")
    return (table, year, column)


def _equations(tables: list[dict]):
    """Every row and column of every published table sums to its total."""
    for table in tables:
        margin, columns = table["counts"], table["columns"]
        rows = {row["year"]: row["counts"] for row in table["rows"]}
        inner_rows = [year for year in rows if year != TOTAL]
        inner_columns = [column for column in columns if column != TOTAL]
        for year in rows:
            yield [
                (_key(table["dimension"], margin, year, c), rows[year][c], 1) for c in inner_columns
            ] + [(_key(table["dimension"], margin, year, TOTAL), rows[year][TOTAL], -1)]
        for column in columns:
            yield [
                (_key(table["dimension"], margin, y, column), rows[y][column], 1)
                for y in inner_rows
            ] + [(_key(table["dimension"], margin, TOTAL, column), rows[TOTAL][column], -1)]


def _attack(tables: list[dict]) -> set:
    """Try to derive withheld counts: first line by line, then by exact rational algebra."""
    known, unknown = {}, set()
    for equation in _equations(tables):
        for key, value, _sign in equation:
            (unknown.add(key) if value is None else known.__setitem__(key, value))
    assert not unknown & set(known), "a cell is withheld in one table and published in another"
    derived = set()
    progress = True
    while progress:  # a line with one unknown left gives it away
        progress = False
        for equation in _equations(tables):
            missing = {key for key, _, _ in equation if key in unknown and key not in derived}
            if len(missing) == 1:
                derived |= missing
                progress = True
    # Exact: an unknown is determined when its unit vector lies in the span of the equations.
    index = {key: i for i, key in enumerate(sorted(unknown, key=repr))}
    matrix = []
    for equation in _equations(tables):
        row = [Fraction(0)] * len(index)
        for key, _value, sign in equation:
            if key in index:
                row[index[key]] += sign
        if any(row):
            matrix.append(row)
    rank = _rank(matrix)
    for key, i in index.items():
        unit = [Fraction(int(j == i)) for j in range(len(index))]
        if _rank([*matrix, unit]) == rank:
            derived.add(key)
    return derived


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [list(row) for row in matrix]
    rank = 0
    for column in range(len(rows[0]) if rows else 0):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][column]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][column]:
                factor = rows[r][column] / rows[rank][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


def _published(tables, withheld) -> list[dict]:
    """The suppression of ``tables`` as the API publishes it."""
    return [
        {
            "dimension": t.name,
            "counts": t.margin,
            "columns": [*t.columns, TOTAL],
            "rows": [
                {
                    "year": r,
                    "counts": {
                        c: None if t.key(r, c) in withheld else t.counts[(r, c)]
                        for c in [*t.columns, TOTAL]
                    },
                }
                for r in [*t.rows, TOTAL]
            ],
        }
        for t in tables
    ]


def _assert_safe(published: list[dict]) -> None:
    for table in published:
        for row in table["rows"]:
            for count in row["counts"].values():
                assert count is None or count == 0 or count >= K
    assert _attack(published) == set()


def test_a_single_small_cell_takes_complements_with_it():
    table = with_totals(
        "sex",
        "cases",
        [2025, 2026],
        ["female", "male"],
        {
            (2025, "female"): 40,
            (2025, "male"): 3,
            (2026, "female"): 25,
            (2026, "male"): 30,
        },
    )
    withheld = suppress([table], K)
    published = _published([table], withheld)
    assert published[0]["rows"][0]["counts"]["male"] is None
    # Left alone, 3 would follow from 2025's total minus 40: more is withheld.
    assert len(withheld) >= 4
    _assert_safe(published)


@pytest.mark.parametrize("seed", range(40))
def test_random_linked_tables_publish_nothing_small_and_nothing_derivable(seed):
    rng = random.Random(seed)
    years = list(range(2021, 2021 + rng.randint(1, 5)))
    cases = [
        (rng.choice(years), rng.choice("abcde"), rng.choice("xyz"), rng.choice("pq"))
        for _ in range(rng.randint(0, 350))
    ]
    tables = []
    for position, (name, values) in enumerate(
        [("d1", list("abcde")), ("d2", list("xyz")), ("d3", list("pq"))], start=1
    ):
        counts = {}
        for case in cases:
            counts[(case[0], case[position])] = counts.get((case[0], case[position]), 0) + 1
        tables.append(with_totals(name, "cases", years, values, counts))
    _assert_safe(_published(tables, suppress(tables, K)))


def test_the_attack_finds_what_naive_suppression_leaves():
    table = with_totals(
        "sex",
        "cases",
        [2026],
        ["female", "male"],
        {
            (2026, "female"): 40,
            (2026, "male"): 3,
        },
    )
    naive = {table.key(2026, "male")}
    assert _attack(_published([table], naive)) == {("sex", 2026, "male")}


def _seed_cases(world, count=260, seed=13):
    """Sent cases across three years, three country pairs, both kinds."""
    rng = random.Random(seed)
    author = member(world.th_sender)
    pairs = [
        (world.th_sender, world.kh_recipient),
        (world.vn_agency, world.kh_recipient),
        (world.th_sender, world.vn_agency),
    ]
    for i in range(count):
        sender, recipient = pairs[rng.choice([0, 0, 0, 1, 1, 2])]
        subject = Subject.objects.create(
            given_name=f"Person {i}",
            sex=rng.choice(["female", "female", "male", "unknown"]),
            birth_date=date(rng.randint(1975, 2012), 6, 1),
        )
        sent = datetime(rng.choice([2024, 2025, 2026]), rng.randint(1, 10), 3, tzinfo=UTC)
        common = {
            "sender_agency": sender,
            "recipient_agency": recipient,
            "subject": subject,
            "created_by": author,
        }
        if rng.random() < 0.7:
            ReferralNotice.objects.create(
                **common,
                category=rng.choice(["trafficking_victim", "presumed_victim", "irregular_migrant"]),
                exploitation_types=rng.sample(
                    ["sexual", "forced_labour", "fishing"], rng.randint(0, 2)
                ),
                identified_on=sent.date(),
                status=rng.choice(["sent", "accepted", "closed", "rejected"]),
                sent_at=sent,
            )
        else:
            ReturnRequest.objects.create(
                **common,
                basis="victim_repatriation",
                status=rng.choice(["requested", "handed_over", "cancelled"]),
                requested_at=sent,
            )


def _auditor(world, agency=None):
    from .conftest import partner

    return partner(agency or world.kh_oversight, Role.AUDITOR, scopes=["audit:read"])


def test_the_statistics_publish_nothing_small_and_nothing_derivable(world):
    _seed_cases(world)
    response = _auditor(world).get(URL)
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["k"] == 11 and report["country"] == "KH"
    tables = report["tables"]
    assert [t["dimension"] for t in tables] == [
        "country_pair",
        "case_kind",
        "category",
        "exploitation_type",
        "sex",
        "age_band",
        "outcome",
    ]
    withheld = sum(
        count is None for t in tables for row in t["rows"] for count in row["counts"].values()
    )
    assert withheld > 0  # the data has small cells: the test would prove nothing otherwise
    _assert_safe(tables)


def test_a_national_auditor_counts_only_its_countrys_exchanges(world):
    _seed_cases(world)
    kh = _auditor(world).get(URL).json()
    everything = ReferralNotice.objects.count() + ReturnRequest.objects.count()
    th_vn = ReferralNotice.objects.filter(recipient_agency=world.vn_agency).count() + (
        ReturnRequest.objects.filter(recipient_agency=world.vn_agency).count()
    )
    pairs = kh["tables"][0]
    assert "TH-VN" not in pairs["columns"]
    assert pairs["rows"][-1]["counts"][TOTAL] == everything - th_vn


def test_the_csv_has_one_line_a_cell_and_the_same_counts(world):
    _seed_cases(world)
    client = _auditor(world)
    report = client.get(URL).json()
    response = client.get(URL, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = sum(len(row["counts"]) for t in report["tables"] for row in t["rows"])
    assert len(lines) == cells
    sex = [line for line in lines if line["dimension"] == "sex"]
    assert {line["htcds_field"] for line in sex} == {"prs_Gender"}
    for line in lines:
        assert (line["count"] == "") == (line["suppressed"] == "True")
        assert line["count"] == "" or int(line["count"]) == 0 or int(line["count"]) >= K


def test_reading_the_statistics_is_audited(world):
    _auditor(world).get(URL, {"from": "2025", "to": "2026"})
    row = AuditEvent.objects.get(action="statistics.read")
    assert row.detail == {"from": 2025, "to": 2026, "reach": {"country": "KH"}}


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ADMIN, Role.VIEWER])
def test_only_auditors_read_the_statistics(world, role):
    from .conftest import partner

    assert partner(world.kh_recipient, role).get(URL).status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"from": "26"},
        {"to": "twenty"},
        {"from": "2026", "to": "2025"},
        {"year": "2025"},
        {"from": ""},
        {"format": "xml"},
    ],
)
def test_bad_parameters_are_problems(world, params):
    response = _auditor(world).get(URL, params)
    assert response.status_code in (400, 404)
    assert response["Content-Type"].startswith("application/problem+json")


def test_age_bands_follow_ctdc():
    assert [age_band(a) for a in (None, 0, 8, 9, 17, 18, 29, 30, 47, 48, 90)] == [
        "unknown",
        "0-8",
        "0-8",
        "9-17",
        "9-17",
        "18-20",
        "27-29",
        "30-38",
        "39-47",
        "48+",
        "48+",
    ]


def test_the_statistics_cost_the_same_queries_for_few_and_many_cases(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _auditor(world)
    _seed_cases(world, count=20, seed=1)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    _seed_cases(world, count=120, seed=2)
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(few) == len(many)
