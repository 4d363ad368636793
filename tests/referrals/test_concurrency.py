"""Two sides acting at once: one winner, the other refused, nothing lost; no reference twice."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from exchange.models import Event
from referrals import services
from referrals.models import ReferralNotice, Reminder

from .conftest import caller, draft_referral, new_referral, partner

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*calls):
    """Run the calls at the same moment, each on its own connection; return their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _clone(client) -> APIClient:
    copy = APIClient()
    copy.credentials(**client._credentials)
    return copy


@pytest.mark.parametrize("attempt", range(3))
def test_accept_racing_withdraw_leaves_one_winner(world, attempt):
    case = new_referral(world, "acknowledged")
    kh, th = partner(world.kh_recipient), partner(world.th_sender)
    url = f"/api/v1/referrals/{case.id}/"

    accept, withdraw = _race(
        lambda: _clone(kh).post(f"{url}accept/").status_code,
        lambda: (
            _clone(th).post(f"{url}withdraw/", {"reason": "Duplicate"}, format="json").status_code
        ),
    )

    assert sorted([accept, withdraw]) == [200, 409]
    case.refresh_from_db()
    assert case.status == ("accepted" if accept == 200 else "withdrawn")
    transitions = Event.objects.filter(
        object_id=case.id, type__in=["referral.accepted", "referral.withdrawn"]
    )
    assert [e.type for e in transitions] == [f"referral.{case.status}"]


def test_concurrent_sends_get_distinct_consecutive_references(world):
    sender = caller(world.th_sender)
    drafts = [draft_referral(world, sender=sender) for _ in range(6)]
    _race(*[lambda d=d: services.referral_send(referral=d, actor=sender) for d in drafts])
    references = sorted(ReferralNotice.objects.values_list("reference", flat=True))
    assert references == [f"REF-TH-KH-2026-{n:06d}" for n in range(1, 7)]
    sequences = list(Event.objects.order_by("sequence").values_list("sequence", flat=True))
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))


def test_concurrent_sweeps_send_each_reminder_once(world):
    cases = [new_referral(world, "sent") for _ in range(3)]
    a_day_before_acknowledgement = timezone.now() + timedelta(hours=25)
    sent = _race(*[lambda: services.deadlines_sweep(now=a_day_before_acknowledgement)] * 4)
    assert sum(sent) == 3
    assert Reminder.objects.filter(case_id__in=[case.id for case in cases]).count() == 3
    assert Event.objects.filter(type="deadline.approaching").count() == 3
