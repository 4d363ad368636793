"""Reminders with a real Celery worker: a deadline crossed, two sweeps, a worker restarted."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from exchange.models import Delivery, Event
from referrals.services import deadlines_sweep
from referrals.tasks import sweep_deadlines

from ..processes import wait_until
from .conftest import new_referral, reminders_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_each_reminder_once_across_sweeps_and_a_worker_restart(world, start_worker):
    now = timezone.now()
    with time_machine.travel(now - timedelta(hours=60), tick=False):
        case = new_referral(world, "sent")  # routine: acknowledge within 48 h, due 12 h ago
    with time_machine.travel(now - timedelta(hours=30), tick=False):
        assert deadlines_sweep() == 1  # 24 h before the deadline: approaching

    first = start_worker("reminders-a", beat=False)
    sweep_deadlines.delay()
    assert wait_until(lambda: len(reminders_of(case)) == 2, timeout=60), first.log()
    first.stop()

    second = start_worker("reminders-b", beat=True)  # beat sweeps what the first left queued
    sweep_deadlines.delay()
    sweep_deadlines.delay()
    assert deadlines_sweep() == 0
    assert wait_until(
        lambda: not Delivery.objects.filter(state__in=Delivery.OPEN_STATES).exists(), timeout=90
    ), second.log()

    assert reminders_of(case) == [("acknowledge", "before-24h"), ("acknowledge", "due")]
    types = list(
        Event.objects.filter(object_id=case.id, type__startswith="deadline.")
        .order_by("sequence")
        .values_list("type", flat=True)
    )
    assert types == ["deadline.approaching", "deadline.overdue"]
