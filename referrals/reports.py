"""The SLA report: per pair of agencies, how fast and how often on time referrals were answered."""

from dataclasses import asdict, dataclass, fields
from datetime import datetime

from django.db.models import BooleanField, ExpressionWrapper
from django.utils import timezone

from agencies.selectors import parties_in_reach

from .deadlines import overdue_filter
from .models import ReferralNotice, ReferralStatus


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (the common "type 7" definition)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass
class PairFigures:
    """One row of the report: a sender agency, a recipient agency and their figures."""

    sender: str
    recipient: str
    cases: int
    acknowledge_median_hours: float | None
    acknowledge_p90_hours: float | None
    answer_median_hours: float | None
    answer_p90_hours: float | None
    answered_on_time_share: float | None
    overdue_now: int


def _hours(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds() / 3600


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def sla_by_pair(
    *, sent_from: datetime, sent_to: datetime, reach: dict | None, country: str | None = None
) -> list[PairFigures]:
    """Referral notices sent in [sent_from, sent_to), grouped by (sender, recipient).

    Time to answer runs from sending to acceptance or rejection. The on-time share counts
    answers given by the deadline among the cases whose answer is due: answered ones and
    unanswered ones past their deadline (withdrawn cases are left out).
    """
    now = timezone.now()
    parties = ("sender_agency", "recipient_agency")
    referrals = ReferralNotice.objects.filter(
        parties_in_reach(reach, *parties), sent_at__gte=sent_from, sent_at__lt=sent_to
    )
    if country:
        referrals = referrals.filter(parties_in_reach({"country": country}, *parties))
    overdue = ExpressionWrapper(overdue_filter(ReferralNotice, now=now), BooleanField())
    rows = referrals.annotate(overdue=overdue).values_list(
        "overdue",
        "sender_agency__code",
        "recipient_agency__code",
        "status",
        "sent_at",
        "acknowledged_at",
        "accepted_at",
        "rejected_at",
        "respond_due_at",
    )
    pairs: dict[tuple[str, str], list] = {}
    for row in rows:
        pairs.setdefault((row[1], row[2]), []).append(row)
    report = []
    for (sender, recipient), cases in sorted(pairs.items()):
        acknowledge, answer, on_time, answer_due = [], [], 0, 0
        for _overdue, _s, _r, status, sent, acknowledged, accepted, rejected, due in cases:
            if acknowledged:
                acknowledge.append(_hours(sent, acknowledged))
            answered_at = accepted or rejected
            if answered_at:
                answer.append(_hours(sent, answered_at))
                answer_due += 1
                on_time += answered_at <= due
            elif status != ReferralStatus.WITHDRAWN and due and due < now:
                answer_due += 1
        report.append(
            PairFigures(
                sender=sender,
                recipient=recipient,
                cases=len(cases),
                acknowledge_median_hours=_rounded(percentile(acknowledge, 0.5)),
                acknowledge_p90_hours=_rounded(percentile(acknowledge, 0.9)),
                answer_median_hours=_rounded(percentile(answer, 0.5)),
                answer_p90_hours=_rounded(percentile(answer, 0.9)),
                answered_on_time_share=round(on_time / answer_due, 4) if answer_due else None,
                overdue_now=sum(1 for case in cases if case[0]),
            )
        )
    return report


SLA_COLUMNS = [column.name for column in fields(PairFigures)]


def sla_rows(report: list[PairFigures]) -> list[dict]:
    return [asdict(row) for row in report]
