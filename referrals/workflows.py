"""The two workflows as data: the states of each kind of case, and which action moves a case
from which states, by which side."""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

SENDER = "sender"
RECIPIENT = "recipient"
EITHER = "either"


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    CLOSED = "closed", _("Closed")


class ReturnStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REQUESTED = "requested", _("Requested")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    SCHEDULED = "scheduled", _("Scheduled")
    HANDED_OVER = "handed_over", _("Handed over")
    CANCELLED = "cancelled", _("Cancelled")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    side: str


@dataclass(frozen=True)
class Workflow:
    kind: str
    transitions: dict[str, Transition]
    final_states: frozenset[str]

    def transition(self, action: str) -> Transition:
        return self.transitions[action]

    def allowed_actions(self, status: str, sides: set[str]) -> list[str]:
        """The actions a caller acting as ``sides`` may take on a case in ``status``."""
        return [
            t.action
            for t in self.transitions.values()
            if status in t.sources and (t.side in sides or (t.side == EITHER and sides))
        ]


def _workflow(kind, final_states, *rows) -> Workflow:
    return Workflow(
        kind=kind,
        transitions={
            action: Transition(action, frozenset(sources), target, side)
            for action, sources, target, side in rows
        },
        final_states=frozenset(final_states),
    )


R = ReferralStatus
REFERRAL_WORKFLOW = _workflow(
    "referral",
    [R.REJECTED, R.WITHDRAWN, R.CLOSED],
    ("send", [R.DRAFT], R.SENT, SENDER),
    ("acknowledge", [R.SENT], R.ACKNOWLEDGED, RECIPIENT),
    ("accept", [R.SENT, R.ACKNOWLEDGED], R.ACCEPTED, RECIPIENT),
    ("reject", [R.SENT, R.ACKNOWLEDGED], R.REJECTED, RECIPIENT),
    ("withdraw", [R.DRAFT, R.SENT, R.ACKNOWLEDGED], R.WITHDRAWN, SENDER),
    ("close", [R.ACCEPTED], R.CLOSED, EITHER),
)

T = ReturnStatus
RETURN_WORKFLOW = _workflow(
    "return",
    [T.REJECTED, T.HANDED_OVER, T.CANCELLED],
    ("send", [T.DRAFT], T.REQUESTED, SENDER),
    ("acknowledge", [T.REQUESTED], T.ACKNOWLEDGED, RECIPIENT),
    ("verify", [T.REQUESTED, T.ACKNOWLEDGED], T.VERIFIED, RECIPIENT),
    ("reject", [T.REQUESTED, T.ACKNOWLEDGED], T.REJECTED, RECIPIENT),
    ("schedule", [T.VERIFIED, T.SCHEDULED], T.SCHEDULED, EITHER),
    ("confirm_handover", [T.SCHEDULED], T.HANDED_OVER, RECIPIENT),
    (
        "cancel",
        [T.DRAFT, T.REQUESTED, T.ACKNOWLEDGED, T.VERIFIED, T.SCHEDULED],
        T.CANCELLED,
        SENDER,
    ),
)

REFERRAL_ACTIONS = [(name, name) for name in REFERRAL_WORKFLOW.transitions]
RETURN_ACTIONS = [(name, name) for name in RETURN_WORKFLOW.transitions]
