"""Query counts of the portal's pages, pinned and constant in the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ..referrals.conftest import new_referral, new_return

pytestmark = pytest.mark.django_db

# Session, user, membership, the session's save; per kind the counts by status and a page of
# cases; the counterparts; the audit row of the list (one insert with its agencies).
INBOX_QUERIES = 14
# The same first queries; the case, its events, messages, shares, the directory for sharing,
# its documents and the audit row of their listing.
CASE_PAGE_QUERIES = 15


def _count(browser, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(path).status_code == 200
    return len(queries)


def test_the_inbox_costs_the_same_for_one_case_or_many(world, kh_officer):
    new_referral(world, "sent")
    new_return(world, "requested")
    few = _count(kh_officer, "/cases/")
    for _ in range(6):
        new_referral(world, "acknowledged")
        new_return(world, "requested")
    assert _count(kh_officer, "/cases/") == few == INBOX_QUERIES


def test_the_case_page_costs_the_same_whatever_its_history(world, kh_officer):
    short = new_referral(world, "sent")
    long = new_referral(world, "accepted")
    assert _count(kh_officer, f"/cases/referral/{short.pk}/") == CASE_PAGE_QUERIES
    assert _count(kh_officer, f"/cases/referral/{long.pk}/") == CASE_PAGE_QUERIES
