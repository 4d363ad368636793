"""Deadline reminders: each threshold once, only due rows read, clocks that stop stay silent."""

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exchange.models import Event
from referrals.deadlines import next_reminder_at
from referrals.models import Reminder, ReminderSchedule
from referrals.services import case_share, deadlines_sweep, referral_acknowledge
from referrals.services.common import agreement_of

from .conftest import caller, new_referral, new_return, reminders_of

pytestmark = pytest.mark.django_db

SENT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 2 March 2026, 09:00 in Phnom Penh


def _sweep_at(moment, times=2):
    with time_machine.travel(moment, tick=False):
        return [deadlines_sweep() for _ in range(times)]


def test_each_threshold_is_reminded_exactly_once(world):
    with time_machine.travel(SENT, tick=False):
        case = new_referral(world, "sent")  # routine: acknowledge within 48 hours
    assert _sweep_at(SENT) == [0, 0]
    assert _sweep_at(SENT + timedelta(hours=25)) == [1, 0]  # 24 hours before: approaching
    assert _sweep_at(SENT + timedelta(hours=48, minutes=1)) == [1, 0]  # due
    assert _sweep_at(SENT + timedelta(hours=72, minutes=1)) == [1, 0]  # a day overdue
    assert _sweep_at(SENT + timedelta(hours=96, minutes=1)) == [2, 0]  # two days: escalated
    assert reminders_of(case) == [
        ("acknowledge", "before-24h"),
        ("acknowledge", "due"),
        ("acknowledge", "escalated"),
        ("acknowledge", "overdue-1"),
        ("acknowledge", "overdue-2"),
    ]
    types = Counter(
        Event.objects.filter(object_id=case.id, type__startswith="deadline.").values_list(
            "type", flat=True
        )
    )
    assert types == {"deadline.approaching": 1, "deadline.overdue": 3, "deadline.escalated": 1}
    event = Event.objects.filter(object_id=case.id, type="deadline.overdue").first()
    assert set(event.audience.values_list("agency__code", flat=True)) == {"TH-MSDHS", "KH-MOSVY"}
    assert "Sokha" not in str(event.data)


def test_a_stopped_clock_is_not_reminded(world):
    with time_machine.travel(SENT, tick=False):
        case = new_referral(world, "sent")
    with time_machine.travel(SENT + timedelta(hours=30), tick=False):
        deadlines_sweep()
        referral_acknowledge(referral=case, actor=caller(world.kh_recipient), focal_point="Dara")
    _sweep_at(SENT + timedelta(hours=100))
    assert [t for d, t in reminders_of(case) if d == "acknowledge"] == ["before-24h"]


def test_a_sweep_after_downtime_sends_the_latest_reminder_not_a_burst(world):
    with time_machine.travel(SENT, tick=False):
        case = new_referral(world, "sent")
    _sweep_at(SENT + timedelta(hours=48 + 24 * 5 + 1), times=1)
    assert reminders_of(case) == [("acknowledge", "escalated"), ("acknowledge", "overdue-5")]


def test_return_verificationreminders_of(world):
    with time_machine.travel(SENT, tick=False):
        case = new_return(world, "requested")
    case.refresh_from_db()
    _sweep_at(case.verification_due_at + timedelta(minutes=1))
    assert reminders_of(case) == [("verification", "due")]


def test_the_sweep_reads_only_due_rows(world):
    with time_machine.travel(SENT, tick=False):
        late = new_referral(world, "sent")
        for _ in range(5):
            new_referral(world, "sent", urgency="routine")
    ReminderSchedule.objects.exclude(case_id=late.pk).update(next_at=SENT + timedelta(days=30))
    with (
        time_machine.travel(SENT + timedelta(hours=25), tick=False),
        CaptureQueriesContext(connection) as captured,
    ):
        assert deadlines_sweep() == 1
    selects = [q["sql"] for q in captured if "FOR UPDATE" in q["sql"]]
    assert selects and all('"next_at" <=' in sql for sql in selects)
    case_reads = [q["sql"] for q in captured if 'FROM "referrals_referralnotice"' in q["sql"]]
    assert len(case_reads) == 1 and str(late.pk).replace("-", "") in case_reads[0].replace("-", "")


def test_a_share_puts_the_third_agency_in_the_reminder_audience(world):
    with time_machine.travel(SENT, tick=False):
        case = new_referral(world, "sent")
        case_share(case=case, actor=caller(world.th_sender), agency=world.kh_ngo)
    _sweep_at(SENT + timedelta(hours=25), times=1)
    event = Event.objects.get(object_id=case.id, type="deadline.approaching")
    assert set(event.audience.values_list("agency__code", flat=True)) == {
        "TH-MSDHS",
        "KH-MOSVY",
        "KH-NGO",
    }


def test_the_sweep_runs_as_many_queries_for_many_due_cases_as_for_one(world):
    def sweep_queries(due_cases):
        with time_machine.travel(SENT, tick=False):
            for _ in range(due_cases):
                new_referral(world, "sent")
        with (
            time_machine.travel(SENT + timedelta(hours=25), tick=False),
            CaptureQueriesContext(connection) as captured,
        ):
            assert deadlines_sweep() == due_cases
        return len(captured)

    assert sweep_queries(1) == sweep_queries(6)
    assert Reminder.objects.count() == 7


def test_the_answer_clock_is_reminded_once_the_referral_is_acknowledged(world):
    with time_machine.travel(SENT, tick=False):
        case = new_referral(world, "sent")
    with time_machine.travel(SENT + timedelta(hours=2), tick=False):
        referral_acknowledge(referral=case, actor=caller(world.kh_recipient), focal_point="Dara")
    case.refresh_from_db()
    _sweep_at(case.respond_due_at + timedelta(minutes=1))
    assert reminders_of(case) == [("respond", "due")]


def test_a_case_is_scheduled_while_a_clock_runs_and_no_longer_once_none_runs(world):
    with time_machine.travel(SENT, tick=False):
        draft, sent, acknowledged = (
            new_referral(world, status) for status in ("draft", "sent", "acknowledged")
        )
        accepted = new_referral(world, "accepted")
    scheduled = dict(ReminderSchedule.objects.values_list("case_id", "next_at"))
    assert draft.pk not in scheduled and accepted.pk not in scheduled
    for case in (sent, acknowledged):
        case.refresh_from_db()
        assert scheduled[case.pk] == next_reminder_at(case, agreement_of(case), SENT) > SENT


def test_a_reminder_stored_already_is_not_sent_again_when_its_case_comes_due_again(world):
    with time_machine.travel(SENT, tick=False):
        case = new_referral(world, "sent")
    approaching = SENT + timedelta(hours=25)
    assert _sweep_at(approaching, times=1) == [1]
    # The schedule set back (a restored backup, a sweep that saw an older state): the
    # reminder stored is the one sent, and no second event goes out.
    ReminderSchedule.objects.filter(case_id=case.pk).update(next_at=SENT)
    assert _sweep_at(approaching, times=1) == [0]
    assert reminders_of(case) == [("acknowledge", "before-24h")]
    assert Event.objects.filter(object_id=case.id, type="deadline.approaching").count() == 1
    assert ReminderSchedule.objects.get(case_id=case.pk).next_at > approaching


def test_a_schedule_whose_case_is_gone_is_removed_and_does_not_hold_the_sweep(world):
    with time_machine.travel(SENT, tick=False):
        case = new_referral(world, "sent")
    ReminderSchedule.objects.create(case_id=uuid.uuid4(), case_type="referral", next_at=SENT)
    with time_machine.travel(SENT + timedelta(hours=25), tick=False):
        assert deadlines_sweep(batch_size=1) == 1
    assert list(ReminderSchedule.objects.values_list("case_id", flat=True)) == [case.pk]
    assert reminders_of(case) == [("acknowledge", "before-24h")]
