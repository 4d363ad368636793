"""The running clock of a case in words and a colour: "due in 3 working days", "2 days overdue"."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agencies.models import COUNTRY_TIMEZONES, Country
from agencies.workdays import working_days_between
from referrals.deadlines import CLOCK_RULES, HOURS, running_clocks

STEP_NAMES = {
    "acknowledge": lambda: _("Acknowledge"),
    "respond": lambda: _("Answer"),
    "verification": lambda: _("Verify"),
}


UNITS = {rule.name: rule.unit for rules in CLOCK_RULES.values() for rule in rules}


@dataclass(frozen=True)
class ClockView:
    step: str
    words: str
    tone: str  # "overdue", "soon" or "ok": a colour and an icon, never colour alone
    due_at: datetime


def _overdue_words(late: timedelta) -> str:
    if late < timedelta(days=1):
        hours = max(1, int(late.total_seconds() // 3600))
        return ngettext("%(n)d hour overdue", "%(n)d hours overdue", hours) % {"n": hours}
    days = late.days
    return ngettext("%(n)d day overdue", "%(n)d days overdue", days) % {"n": days}


def _due_words(clock, country: str, now: datetime) -> tuple[str, str]:
    if UNITS[clock.name] == HOURS:
        hours = ceil((clock.due_at - now).total_seconds() / 3600)
        words = ngettext("due in %(n)d hour", "due in %(n)d hours", hours) % {"n": hours}
        return words, "soon" if hours <= 8 else "ok"
    zone = COUNTRY_TIMEZONES[Country(country)]
    today = now.astimezone(zone).date()
    # The deadline is the local midnight that ends the last working day.
    last_day = (clock.due_at.astimezone(zone) - timedelta(microseconds=1)).date()
    days = working_days_between(today, last_day, country)
    if days == 0:
        return _("due today"), "soon"
    words = ngettext("due in %(n)d working day", "due in %(n)d working days", days) % {"n": days}
    return words, "soon" if days <= 1 else "ok"


def clock_of(case, now: datetime | None = None) -> ClockView | None:
    """The first running clock of the case, in the recipient's working days, or None."""
    clocks = sorted(running_clocks(case), key=lambda clock: clock.due_at)
    if not clocks:
        return None
    now = now or timezone.now()
    clock = clocks[0]
    step = STEP_NAMES[clock.name]()
    if now > clock.due_at:
        return ClockView(step, _overdue_words(now - clock.due_at), "overdue", clock.due_at)
    words, tone = _due_words(clock, case.recipient_agency.country, now)
    return ClockView(step, words, tone, clock.due_at)
