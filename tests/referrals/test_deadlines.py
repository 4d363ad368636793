"""Deadlines: from the agreement and the urgency, in the recipient country's working days."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from agencies.roles import Role
from referrals import services
from referrals.deadlines import overdue_filter
from referrals.models import ReferralNotice

from .conftest import caller, new_referral, partner, subject_data

pytestmark = pytest.mark.django_db

# Friday 10 April 2026, 10:00 in Bangkok and Phnom Penh (UTC+7).
BEFORE_NEW_YEAR = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)


def _send(world, sender, recipient_agency, urgency):
    referral = services.referral_create(
        actor=sender,
        recipient_agency=recipient_agency,
        subject=subject_data(),
        category="trafficking_victim",
        urgency=urgency,
        identified_on=BEFORE_NEW_YEAR.date() - timedelta(days=2),
    )
    return services.referral_send(referral=referral, actor=sender)


@time_machine.travel(BEFORE_NEW_YEAR, tick=False)
def test_cambodian_recipient_skips_khmer_new_year(world):
    referral = _send(world, caller(world.th_sender), world.kh_recipient, "urgent")
    # Mon 13 counts; Tue 14 - Thu 16 are Khmer New Year; Fri 17, Mon 20, 21, 22: end of Wed 22.
    assert referral.respond_due_at == datetime(2026, 4, 22, 17, 0, tzinfo=UTC)
    assert referral.acknowledge_due_at == BEFORE_NEW_YEAR + timedelta(hours=24)


@time_machine.travel(BEFORE_NEW_YEAR, tick=False)
def test_thai_recipient_skips_songkran(world):
    referral = _send(world, caller(world.kh_recipient), world.th_sender, "urgent")
    # Mon 13 - Wed 15 are Songkran: Thu 16, Fri 17, Mon 20, 21, 22: end of Wed 22 in Bangkok.
    assert referral.reference.startswith("REF-KH-TH-2026-")
    assert referral.respond_due_at == datetime(2026, 4, 22, 17, 0, tzinfo=UTC)


@time_machine.travel(datetime(2026, 2, 13, 2, 0, tzinfo=UTC), tick=False)
def test_vietnamese_recipient_skips_tet(world):
    referral = _send(world, caller(world.th_sender), world.vn_agency, "urgent")
    # Tet closes Mon 16 - Fri 20 February 2026: Mon 23 to Fri 27 are the five working days.
    assert referral.respond_due_at == datetime(2026, 2, 27, 17, 0, tzinfo=UTC)


@time_machine.travel(BEFORE_NEW_YEAR, tick=False)
def test_routine_and_emergency_profiles(world):
    sender = caller(world.th_sender)
    routine = _send(world, sender, world.kh_recipient, "routine")
    emergency = _send(world, sender, world.kh_recipient, "emergency")
    assert routine.acknowledge_due_at == BEFORE_NEW_YEAR + timedelta(hours=48)
    assert emergency.acknowledge_due_at == BEFORE_NEW_YEAR + timedelta(hours=4)
    # 14 working days in Cambodia from Fri 10 April: 13, 17, 20-24, 27-30 (11); 1 May is Labour
    # Day and Visak Bochea, 4 May counts, 5 May is the Royal Ploughing Ceremony, then 6 and 7:
    # due at the end of Thursday 7 May.
    assert routine.respond_due_at == datetime(2026, 5, 7, 17, 0, tzinfo=UTC)
    # 2 working days: Mon 13 and Fri 17.
    assert emergency.respond_due_at == datetime(2026, 4, 17, 17, 0, tzinfo=UTC)


def test_return_verification_clock(world):
    with time_machine.travel(BEFORE_NEW_YEAR, tick=False):
        sender = caller(world.th_sender)
        from .conftest import draft_return

        draft = draft_return(world, sender=sender, urgency="emergency")
        requested = services.return_send(return_request=draft, actor=sender)
    # 5 working days in Cambodia: 13, 17, 20, 21, 22.
    assert requested.verification_due_at == datetime(2026, 4, 22, 17, 0, tzinfo=UTC)


def test_overdue_and_the_clocks_that_stop(world):
    with time_machine.travel(BEFORE_NEW_YEAR, tick=False):
        referral = new_referral(world, "sent", urgency="urgent")
    kh = partner(world.kh_recipient)
    url = f"/api/v1/referrals/{referral.id}/"

    with time_machine.travel(BEFORE_NEW_YEAR + timedelta(hours=23), tick=False):
        assert kh.get(url).json()["is_overdue"] is False
        assert not ReferralNotice.objects.filter(overdue_filter(ReferralNotice)).exists()
    with time_machine.travel(BEFORE_NEW_YEAR + timedelta(hours=25), tick=False):
        assert kh.get(url).json()["is_overdue"] is True
        assert [r["id"] for r in kh.get("/api/v1/referrals/?overdue=true").json()["results"]] == [
            str(referral.id)
        ]
        assert kh.get("/api/v1/referrals/?overdue=false").json()["results"] == []
        kh.post(f"{url}acknowledge/", {"focal_point": "Dara"}, format="json")
        assert kh.get(url).json()["is_overdue"] is False  # the acknowledgement clock stopped
    with time_machine.travel(datetime(2026, 4, 22, 17, 1, tzinfo=UTC), tick=False):
        assert kh.get(url).json()["is_overdue"] is True  # the answer is late now
        kh.post(f"{url}accept/")
        assert kh.get(url).json()["is_overdue"] is False  # answered: no clock runs


def test_the_auditor_sees_deadlines(world):
    referral = new_referral(world, "sent")
    body = partner(world.kh_oversight, Role.AUDITOR).get(f"/api/v1/referrals/{referral.id}/").json()
    assert body["acknowledge_due_at"] and body["respond_due_at"]
