"""The return request's workflow actions, send to handover or cancellation."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from agencies.authentication import Caller
from agencies.models import Checkpoint

from ..consent import ensure_may_disclose
from ..models import (
    ReturnRequest,
)
from .common import answer, check_checkpoint, iso, required_text, sending, stamp, transition


def return_requesting():
    """The change of a return request's send: a cited referral's consent is checked too."""
    send = sending("requested_at")

    def apply(case, now, agreement):
        if case.referral is not None:
            # The subject came from the referral: its recipient is a new agency for it.
            ensure_may_disclose(case=case.referral, agency=case.recipient_agency)
        send(case, now, agreement)

    return apply


@transaction.atomic
def return_send(*, return_request: ReturnRequest, actor: Caller, if_match: str | None = None):
    """Request the return: the reference is allocated and the verification clock starts."""
    return transition(
        return_request, "send", actor=actor, if_match=if_match, apply=return_requesting()
    )


@transaction.atomic
def return_acknowledge(
    *, return_request: ReturnRequest, actor: Caller, if_match: str | None = None
):
    """The country of origin confirms receipt of the request."""
    change = stamp("acknowledged_at")
    return transition(return_request, "acknowledge", actor=actor, if_match=if_match, apply=change)


@transaction.atomic
def return_verify(
    *, return_request: ReturnRequest, actor: Caller, verification: dict, if_match: str | None = None
):
    """The country of origin confirms identity and nationality; a minor also needs family traced."""

    def apply(case, now, agreement):
        errors = {}
        for field in ("identity_confirmed", "nationality_confirmed"):
            if not verification.get(field):
                errors[field] = [_("Must be true to verify; reject the request otherwise.")]
        if case.subject.is_minor and not verification.get("family_traced"):
            errors["family_traced"] = [
                _("A child's return is verified only once the family is traced (best interests).")
            ]
        if errors:
            raise serializers.ValidationError({"verification": errors})
        answer("verified_at", verification=verification)(case, now, agreement)

    return transition(return_request, "verify", actor=actor, if_match=if_match, apply=apply)


@transaction.atomic
def return_reject(
    *, return_request: ReturnRequest, actor: Caller, reason: str, if_match: str | None = None
):
    """The country of origin declines the return, with a reason."""
    change = answer("rejected_at", rejection_reason=required_text(reason, "reason"))
    return transition(return_request, "reject", actor=actor, if_match=if_match, apply=change)


@transaction.atomic
def return_schedule(
    *,
    return_request: ReturnRequest,
    actor: Caller,
    date,
    checkpoint: Checkpoint,
    if_match: str | None = None,
):
    """Set (or move) the handover date and checkpoint."""

    def apply(case, now, agreement):
        if date < timezone.localdate():
            raise ValidationError({"date": _("The handover date cannot be in the past.")})
        check_checkpoint(checkpoint, case.sender_agency, case.recipient_agency, "checkpoint")
        case.scheduled_date = date
        case.checkpoint = checkpoint
        case.scheduled_at = now

    return transition(return_request, "schedule", actor=actor, if_match=if_match, apply=apply)


@transaction.atomic
def return_confirm_handover(
    *, return_request: ReturnRequest, actor: Caller, handover: dict, if_match: str | None = None
):
    """The country of origin confirms it received the person at the checkpoint."""

    def apply(case, now, agreement):
        handed_over = handover["at"]
        if handed_over > now + timedelta(minutes=5):
            raise serializers.ValidationError(
                {"handover": {"at": [_("The handover cannot be in the future.")]}}
            )
        if case.requested_at and handed_over < case.requested_at:
            raise serializers.ValidationError(
                {"handover": {"at": [_("The handover cannot precede the request.")]}}
            )
        case.handed_over_at = now
        case.handover = {**handover, "at": iso(handed_over)}

    return transition(
        return_request, "confirm_handover", actor=actor, if_match=if_match, apply=apply
    )


@transaction.atomic
def return_cancel(
    *, return_request: ReturnRequest, actor: Caller, reason: str, if_match: str | None = None
):
    """The sender cancels a return that has not ended, with a reason."""
    change = stamp("cancelled_at", cancellation_reason=required_text(reason, "reason"))
    return transition(return_request, "cancel", actor=actor, if_match=if_match, apply=change)
