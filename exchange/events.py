"""The event types of the exchange protocol and what an event's data may hold: no personal data."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# What happened, as people read it in a notification.
EVENT_TYPES = {
    "referral.created": _("Referral notice drafted"),
    "referral.updated": _("Referral notice draft edited"),
    "referral.sent": _("Referral notice sent"),
    "referral.acknowledged": _("Referral notice acknowledged"),
    "referral.accepted": _("Referral notice accepted"),
    "referral.rejected": _("Referral notice rejected"),
    "referral.withdrawn": _("Referral notice withdrawn"),
    "referral.closed": _("Referral notice closed"),
    "return.created": _("Return request drafted"),
    "return.updated": _("Return request draft edited"),
    "return.requested": _("Return requested"),
    "return.acknowledged": _("Return request acknowledged"),
    "return.verified": _("Return request verified"),
    "return.rejected": _("Return request rejected"),
    "return.scheduled": _("Return scheduled"),
    "return.handed_over": _("Handover confirmed"),
    "return.cancelled": _("Return request cancelled"),
    "message.posted": _("New message on a case"),
    "case.shared": _("Case shared"),
    "case.share_revoked": _("Case no longer shared"),
    "case.redacted": _("Personal data of an ended case pseudonymised"),
    "consent.changed": _("The subject's consent changed"),
    "document.added": _("Document added to a case"),
    "document.deleted": _("Document removed from a draft"),
    "deadline.approaching": _("Deadline approaching"),
    "deadline.overdue": _("Deadline passed"),
    "deadline.escalated": _("Deadline passed two days ago: escalated"),
    "audit.checkpoint": _("Audit checkpoint"),
    "audit.tree_head": _("Audit tree head"),
}
APPROACHING = "deadline.approaching"
OVERDUE = "deadline.overdue"
ESCALATED = "deadline.escalated"
EVENT_TYPE_PREFIXES = sorted({name.split(".", 1)[0] for name in EVENT_TYPES})
SUBSCRIBABLE = [*EVENT_TYPES, *(f"{prefix}.*" for prefix in EVENT_TYPE_PREFIXES)]
# The same, as choices: the contract names them EventTypeEnum and EventSubscriptionEnum.
EVENT_TYPE_CHOICES = [(name, name) for name in EVENT_TYPES]
SUBSCRIBABLE_CHOICES = [(name, name) for name in SUBSCRIBABLE]

# Drafts concern only their author and checkpoints only auditors: partner systems still get them.
NOT_EMAILED = frozenset(
    {
        "referral.created",
        "referral.updated",
        "return.created",
        "return.updated",
        "case.redacted",
        "document.deleted",
        "audit.checkpoint",
        "audit.tree_head",
    }
)

TEST_EVENT_TYPE = "webhook.test"

# The only keys an event's data may carry: it names the case, never the person.
EVENT_DATA_KEYS = frozenset(
    {
        "path",
        "status",
        "urgency",
        "sender",
        "recipient",
        "acknowledge_due_at",
        "respond_due_at",
        "verification_due_at",
        "deadline",
        "due_at",
        "threshold",
        # A document: which one and its kind, never its name or content.
        "document",
        "kind",
        # An audit checkpoint: the chain head partners kept before the Merkle tree.
        "sequence",
        "hash",
        # A signed head of the audit trail's Merkle tree, which every partner keeps.
        "tree_size",
        "root_hash",
        "timestamp",
        "key_id",
        "signature",
    }
)
DEADLINE_KEYS = {
    "acknowledge_due_at": _("Acknowledge by"),
    "respond_due_at": _("Respond by"),
    "verification_due_at": _("Verify by"),
    "due_at": _("Due"),
}

# A bound on the request, duplicates included.
MAX_SUBSCRIPTIONS = 50


EVENT_DATA_VALUES = (str, int, bool, type(None))


def event_data_check(data: dict) -> dict:
    """The data of an event, refused when a key is not one the protocol allows."""
    unknown = data.keys() - EVENT_DATA_KEYS
    if unknown:
        raise ValueError(
            f"Event data may not carry {', '.join(sorted(unknown))}: only {EVENT_DATA_KEYS}."
        )
    for key, value in data.items():
        if not isinstance(value, EVENT_DATA_VALUES):
            raise ValueError(f"Event data {key} must be a string, number or boolean.")
    return data


def _printable(name: str) -> str:
    return re.sub(r"[^\w.*:-]", "?", name[:64])


def event_types_clean(event_types) -> list[str]:
    """Subscriptions of a webhook endpoint: known types or ``prefix.*``; empty means every type."""
    cleaned = []
    for name in event_types:
        if name not in SUBSCRIBABLE:
            raise ValidationError(
                {"event_types": _("Unknown event type: %(name)s.") % {"name": _printable(name)}}
            )
        if name not in cleaned:
            cleaned.append(name)
    return sorted(cleaned)
