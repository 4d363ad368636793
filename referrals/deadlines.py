"""Deadline clocks of a case and their reminder thresholds (pure computation, no writes)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from agencies.models import Agreement
from exchange.events import APPROACHING, ESCALATED, OVERDUE

from .models import ReferralNotice, ReferralStatus, ReturnStatus


@dataclass(frozen=True)
class Clock:
    """A running deadline of a case: ``acknowledge``, ``respond`` or ``verification``."""

    name: str
    due_at: datetime


@dataclass(frozen=True)
class Threshold:
    """A moment at which a reminder about a clock is due, named uniquely within the clock."""

    key: str
    at: datetime
    event_type: str


def running_clocks(case) -> list[Clock]:
    """The clocks that run in the case's current state; a clock stops when its step is done."""
    if isinstance(case, ReferralNotice):
        clocks = []
        if case.status == ReferralStatus.SENT and case.acknowledge_due_at:
            clocks.append(Clock("acknowledge", case.acknowledge_due_at))
        if (
            case.status in (ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED)
            and case.respond_due_at
        ):
            clocks.append(Clock("respond", case.respond_due_at))
        return clocks
    if (
        case.status in (ReturnStatus.REQUESTED, ReturnStatus.ACKNOWLEDGED)
        and case.verification_due_at
    ):
        return [Clock("verification", case.verification_due_at)]
    return []


def _every(agreement: Agreement) -> timedelta:
    return timedelta(hours=agreement.overdue_reminder_every_hours)


def reminders_due(clock: Clock, agreement: Agreement, now: datetime) -> list[Threshold]:
    """The reminders to send at ``now``: the latest passed threshold of each kind.

    Before the deadline, the latest "approaching" threshold passed; after it, "due" or the
    latest daily "overdue-N"; and once, the escalation. Thresholds missed while nothing ran
    are not sent late in a burst: only the latest of each kind is.
    """
    due = clock.due_at
    if now < due:
        passed = [h for h in agreement.reminder_hours_before if due - timedelta(hours=h) <= now]
        if not passed:
            return []
        hours = min(passed)
        return [Threshold(f"before-{hours}h", due - timedelta(hours=hours), APPROACHING)]
    periods = (now - due) // _every(agreement)
    key = "due" if periods == 0 else f"overdue-{periods}"
    reminders = [Threshold(key, due + periods * _every(agreement), OVERDUE)]
    escalate_at = due + timedelta(hours=agreement.escalate_after_overdue_hours)
    if now >= escalate_at:
        reminders.append(Threshold("escalated", escalate_at, ESCALATED))
    return reminders


def next_threshold_at(clock: Clock, agreement: Agreement, now: datetime) -> datetime:
    """The first threshold of the clock strictly after ``now``."""
    due = clock.due_at
    candidates = [due - timedelta(hours=h) for h in agreement.reminder_hours_before]
    candidates.append(due)
    if now >= due:
        candidates.append(due + ((now - due) // _every(agreement) + 1) * _every(agreement))
    candidates.append(due + timedelta(hours=agreement.escalate_after_overdue_hours))
    return min(moment for moment in candidates if moment > now)


def next_reminder_at(case, agreement: Agreement, now: datetime) -> datetime | None:
    """When the sweep should next look at the case; None when no clock runs."""
    moments = [next_threshold_at(clock, agreement, now) for clock in running_clocks(case)]
    return min(moments) if moments else None
