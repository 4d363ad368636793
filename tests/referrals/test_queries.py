"""Query counts per request are pinned: a page of 10 and a page of 200 cost the same."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from referrals import services
from referrals.models import ReferralNotice

from .conftest import caller, draft_referral, new_referral, new_return, partner

pytestmark = pytest.mark.django_db

# The token, the cases (or the case), and the audit row with its agencies in one statement
# (its sequence from the database, no lock). Role permissions come from the roles' declarations.
LIST_QUERIES = 3
DETAIL_QUERIES = 3


def _queries(client, url) -> int:
    client.get(url)  # the first request reads the process's permission ids
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def many_referrals(world):
    sender = caller(world.th_sender)
    for _ in range(200):
        services.referral_send(referral=draft_referral(world, sender=sender), actor=sender)
    assert ReferralNotice.objects.count() == 200


@pytest.mark.parametrize("side", ["th_sender", "kh_recipient"])
def test_a_page_of_10_and_of_200_cost_the_same(world, many_referrals, side):
    client = partner(getattr(world, side))
    small = _queries(client, "/api/v1/referrals/?limit=10")
    large = _queries(client, "/api/v1/referrals/?limit=200")
    assert small == large == LIST_QUERIES


def test_detail_queries(world):
    case = new_referral(world, "acknowledged")
    ret = new_return(world, "scheduled")
    client = partner(world.kh_recipient)
    assert _queries(client, f"/api/v1/referrals/{case.id}/") == DETAIL_QUERIES
    assert _queries(client, f"/api/v1/returns/{ret.id}/") == DETAIL_QUERIES
