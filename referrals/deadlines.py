"""Deadline clocks: which clock runs in which status, when each is due, and its reminders.

The one home of these rules: the models' ``is_overdue`` and partial indexes, the ``overdue``
filter, the send actions and the reminder sweep all derive from ``CLOCK_RULES``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from agencies.models import Agreement
from agencies.workdays import add_working_days
from exchange.events import APPROACHING, ESCALATED, OVERDUE

from .workflows import ReferralStatus, ReturnStatus

HOURS = "hours"
WORKING_DAYS = "working_days"


@dataclass(frozen=True)
class ClockRule:
    """A deadline of a kind of case: the field it is kept in and the states in which it runs.

    It is counted from sending, in clock hours or in working days of the recipient's country,
    with the allowance the agreement gives for the case's urgency.
    """

    name: str
    due_field: str
    statuses: tuple[str, ...]
    allowance: str  # the Agreement method that gives the allowance for an urgency
    unit: str
    index_name: str

    def index(self) -> models.Index:
        """The partial index that finds this clock's running deadlines."""
        statuses = list(self.statuses)
        condition = (
            models.Q(status=statuses[0]) if len(statuses) == 1 else models.Q(status__in=statuses)
        )
        return models.Index(fields=[self.due_field], name=self.index_name, condition=condition)


CLOCK_RULES: dict[str, tuple[ClockRule, ...]] = {
    "referral": (
        ClockRule(
            "acknowledge",
            "acknowledge_due_at",
            (ReferralStatus.SENT,),
            "acknowledge_hours",
            HOURS,
            "referral_ack_due_idx",
        ),
        ClockRule(
            "respond",
            "respond_due_at",
            (ReferralStatus.SENT, ReferralStatus.ACKNOWLEDGED),
            "respond_working_days",
            WORKING_DAYS,
            "referral_respond_due_idx",
        ),
    ),
    "return": (
        ClockRule(
            "verification",
            "verification_due_at",
            (ReturnStatus.REQUESTED, ReturnStatus.ACKNOWLEDGED),
            "verify_return_working_days",
            WORKING_DAYS,
            "return_verify_due_idx",
        ),
    ),
}


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


def due_fields(kind: str) -> tuple[str, ...]:
    return tuple(rule.due_field for rule in CLOCK_RULES[kind])


def due_dates(
    kind: str, *, urgency: str, agreement: Agreement, sent_at: datetime, recipient_country: str
) -> dict[str, datetime]:
    """The due date of each of a kind's clocks for a case sent at ``sent_at``."""
    dates = {}
    for rule in CLOCK_RULES[kind]:
        allowance = getattr(agreement, rule.allowance)(urgency)
        dates[rule.due_field] = (
            sent_at + timedelta(hours=allowance)
            if rule.unit == HOURS
            else add_working_days(sent_at, allowance, recipient_country)
        )
    return dates


def clocks_start(case, agreement: Agreement, now: datetime) -> None:
    """Set the due dates of a case being sent now."""
    dates = due_dates(
        case.kind,
        urgency=case.urgency,
        agreement=agreement,
        sent_at=now,
        recipient_country=case.recipient_agency.country,
    )
    for field, due_at in dates.items():
        setattr(case, field, due_at)


def running_clocks(case) -> list[Clock]:
    """The clocks that run in the case's current state; a clock stops when its step is done."""
    return [
        Clock(rule.name, due_at)
        for rule in CLOCK_RULES[case.kind]
        if case.status in rule.statuses and (due_at := getattr(case, rule.due_field))
    ]


def is_overdue(case, now: datetime | None = None) -> bool:
    """A clock that runs has passed its deadline."""
    now = now or timezone.now()
    return any(now > clock.due_at for clock in running_clocks(case))


def overdue_filter(model, *, now: datetime | None = None) -> models.Q:
    """Cases whose running clock has passed its deadline (served by the clocks' indexes)."""
    now = now or timezone.now()
    condition = models.Q()
    for rule in CLOCK_RULES[model.kind]:
        condition |= models.Q(status__in=rule.statuses, **{f"{rule.due_field}__lt": now})
    return condition


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
