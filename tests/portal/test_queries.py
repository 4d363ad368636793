"""Query counts of the portal's pages, pinned and constant in the number of rows."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ..referrals.conftest import new_referral, new_return

pytestmark = pytest.mark.django_db

# Session, user, membership, the two-factor devices; per kind the counts by status and a page
# of cases; the page's parties; the audit row of the list (one insert with its agencies); the
# counterparts.
INBOX_QUERIES = 12
# The same first queries; the case, its events, messages, shares, the directory for sharing,
# its documents and the audit row of their listing.
CASE_PAGE_QUERIES = 12
# Noting activity for the idle timeout: the session's save, at most once a minute.
ACTIVITY_QUERIES = 3


def page_queries(browser, path: str) -> int:
    """Queries of a page seen again within the minute (the session is not written again)."""
    browser.get(path)
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(path).status_code == 200
    return len(queries)


def test_the_inbox_costs_the_same_for_one_case_or_many(world, kh_officer):
    new_referral(world, "sent")
    new_return(world, "requested")
    few = page_queries(kh_officer, "/cases/")
    for _ in range(6):
        new_referral(world, "acknowledged")
        new_return(world, "requested")
    assert page_queries(kh_officer, "/cases/") == few == INBOX_QUERIES


def test_the_case_page_costs_the_same_whatever_its_history(world, kh_officer):
    short = new_referral(world, "sent")
    long = new_referral(world, "accepted")
    assert page_queries(kh_officer, f"/cases/referral/{short.pk}/") == CASE_PAGE_QUERIES
    assert page_queries(kh_officer, f"/cases/referral/{long.pk}/") == CASE_PAGE_QUERIES


def test_activity_is_written_to_the_session_at_most_once_a_minute(world, kh_officer):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        kh_officer.get("/cases/")
        with CaptureQueriesContext(connection) as again:
            kh_officer.get("/cases/")
    with (
        time_machine.travel(start + timedelta(seconds=61), tick=False),
        CaptureQueriesContext(connection) as later,
    ):
        kh_officer.get("/cases/")
    assert len(later) == len(again) + ACTIVITY_QUERIES
    assert any('UPDATE "django_session"' in query["sql"] for query in later)
    assert not any('UPDATE "django_session"' in query["sql"] for query in again)


def test_pages_are_planned_without_parallel_workers():
    """A parallel worker's start costs more than a page's work: the inbox's incoming referrals
    were planned with one (8 ms, 1.5 ms without) at 1,000,000 cases."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone() == ("0",)
