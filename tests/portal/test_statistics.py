"""The auditors' statistics page: the API's tables in the audit scope, small counts withheld."""

import csv
import io
import re

import pytest

from agencies.roles import Role
from exchange.models import AuditEvent

from ..referrals.conftest import partner
from ..referrals.test_statistics import _seed_cases
from .test_documents import signed_in
from .test_queries import page_queries

pytestmark = pytest.mark.django_db
PAGE = "/oversight/statistics/"
API = "/api/v1/reports/statistics/"


def _cells(html: str, dimension: str) -> list[list[str]]:
    """The body rows of one dimension's table, as the cells' texts."""
    table = html.split(f'id="stats-{dimension}"')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    ]


def test_an_auditor_reads_the_apis_tables_with_small_counts_withheld(world, audit_watch):
    _seed_cases(world, count=120)
    auditor = signed_in(world.kh_oversight, Role.AUDITOR)
    page = auditor.get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    api = partner(world.kh_oversight, Role.AUDITOR, scopes=["audit:read"]).get(API).json()
    for table in api["tables"]:
        rows = _cells(html, table["dimension"])
        assert len(rows) == len(table["rows"])
        for shown, row in zip(rows, table["rows"], strict=True):
            expected = [
                "withheld" if count is None else str(count) for count in row["counts"].values()
            ]
            assert shown[1:] == expected
    assert "withheld" in html  # the seeded data has small cells
    assert all(
        int(cell) >= 11 or cell == "0"
        for table in api["tables"]
        for row in _cells(html, table["dimension"])
        for cell in row[1:]
        if cell.isdigit()
    )
    for label in ("Female", "Trafficking victim", "Return request", "Still open", "Total"):
        assert label in html
    assert "statistics.read" in [row.action for row in audit_watch.new()]


def test_the_page_offers_the_apis_csv_for_the_same_years(world):
    _seed_cases(world, count=40)
    auditor = signed_in(world.kh_oversight, Role.AUDITOR)
    html = auditor.get(f"{PAGE}?from=2025&to=2026").content.decode()
    link = re.search(r'href="(/api/v1/reports/statistics/\?[^"]+)"', html).group(1)
    link = link.replace("&amp;", "&")
    assert "from=2025" in link and "to=2026" in link and "format=csv" in link
    response = auditor.get(link)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {line["year"] for line in lines} <= {"2025", "2026", "total"}
    published = [int(line["count"]) for line in lines if line["suppressed"] == "False"]
    assert published and all(count == 0 or count >= 11 for count in published)


def test_years_filter_the_tables_and_a_bad_year_is_explained(world):
    _seed_cases(world, count=60)
    auditor = signed_in(world.kh_oversight, Role.AUDITOR)
    html = auditor.get(f"{PAGE}?from=2026&to=2026").content.decode()
    years = {row[0] for row in _cells(html, "sex")}
    assert years == {"2026", "Total"}
    for query in ("from=26", "from=2026&to=2025", "to=next"):
        refused = auditor.get(f"{PAGE}?{query}").content.decode()
        assert 'role="alert"' in refused and 'id="stats-sex"' not in refused


def test_a_national_auditor_counts_only_its_countrys_exchanges(world):
    _seed_cases(world, count=60)
    kh = signed_in(world.kh_oversight, Role.AUDITOR).get(PAGE).content.decode()
    header = kh.split('id="stats-country_pair"')[1].split("</thead>")[0]
    assert "TH-KH" in header and "VN-KH" in header
    assert "TH-VN" not in header  # neither party is Cambodian: outside KH-NCCT's scope


@pytest.mark.parametrize("role", [Role.OFFICER, Role.VIEWER, Role.ADMIN])
def test_only_auditors_open_the_statistics(world, role):
    response = signed_in(world.th_sender, role).get(PAGE)
    assert response.status_code == 403
    assert 'id="stats-sex"' not in response.content.decode()
    assert AuditEvent.objects.filter(outcome="denied", status_code=403).exists()


def test_the_auditors_navigation_links_the_statistics(world):
    html = signed_in(world.kh_oversight, Role.AUDITOR).get("/oversight/").content.decode()
    assert f'href="{PAGE}"' in html


def test_the_page_costs_the_same_for_few_cases_or_many(world):
    auditor = signed_in(world.kh_oversight, Role.AUDITOR)
    counts = []
    for count in (15, 90):
        _seed_cases(world, count=count, seed=count)
        counts.append(page_queries(auditor, PAGE))
    assert counts[0] == counts[1] == STATISTICS_PAGE_QUERIES


# The person (session, user, membership, the two-factor devices), the audit row of the reading,
# the sent referrals and the sent returns in the scope (each one query, whatever their number).
STATISTICS_PAGE_QUERIES = 8
