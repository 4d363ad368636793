"""The referral notice's workflow actions, send to close."""

from django.db import transaction

from agencies.authentication import Caller

from ..models import ReferralNotice
from .common import answer, required_text, sending, stamp, transition


def referral_sending():
    """The change of a referral's send."""
    return sending("sent_at")


@transaction.atomic
def referral_send(*, referral: ReferralNotice, actor: Caller, if_match: str | None = None):
    """Send a draft: the reference is allocated, the clocks start, the recipient can see it."""
    return transition(referral, "send", actor=actor, if_match=if_match, apply=referral_sending())


@transaction.atomic
def referral_acknowledge(
    *, referral: ReferralNotice, actor: Caller, focal_point: str, if_match: str | None = None
):
    """The recipient confirms receipt and names its focal point; the acknowledgement clock stops."""
    change = stamp("acknowledged_at", focal_point=required_text(focal_point, "focal_point"))
    return transition(referral, "acknowledge", actor=actor, if_match=if_match, apply=change)


@transaction.atomic
def referral_accept(*, referral: ReferralNotice, actor: Caller, if_match: str | None = None):
    """The recipient takes the case on; both clocks stop."""
    return transition(
        referral, "accept", actor=actor, if_match=if_match, apply=answer("accepted_at")
    )


@transaction.atomic
def referral_reject(
    *, referral: ReferralNotice, actor: Caller, reason: str, if_match: str | None = None
):
    """The recipient declines, with a reason; both clocks stop."""
    change = answer("rejected_at", rejection_reason=required_text(reason, "reason"))
    return transition(referral, "reject", actor=actor, if_match=if_match, apply=change)


@transaction.atomic
def referral_withdraw(
    *, referral: ReferralNotice, actor: Caller, reason: str, if_match: str | None = None
):
    """The sender withdraws the notice, with a reason."""
    change = stamp("withdrawn_at", withdrawal_reason=required_text(reason, "reason"))
    return transition(referral, "withdraw", actor=actor, if_match=if_match, apply=change)


@transaction.atomic
def referral_close(
    *, referral: ReferralNotice, actor: Caller, outcome: str, if_match: str | None = None
):
    """Either side closes an accepted case, recording the outcome."""
    change = stamp("closed_at", outcome=required_text(outcome, "outcome"))
    return transition(referral, "close", actor=actor, if_match=if_match, apply=change)
