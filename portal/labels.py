"""Names people read for the workflow actions, the event types and the fields of a refusal."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.events import EVENT_TYPES

# The fields the services and serializers name in a refusal, by the label their input carries.
FIELD_LABELS = {
    "focal_point": gettext_lazy("Focal point (who handles it)"),
    "reason": gettext_lazy("Reason"),
    "outcome": gettext_lazy("Outcome"),
    "identity_confirmed": gettext_lazy("Identity confirmed"),
    "nationality_confirmed": gettext_lazy("Nationality confirmed"),
    "family_traced": gettext_lazy("Family traced"),
    "notes": gettext_lazy("Notes"),
    "date": gettext_lazy("Handover date"),
    "checkpoint": gettext_lazy("Checkpoint"),
    "at": gettext_lazy("Handed over at"),
    "received_by": gettext_lazy("Received by"),
    "body": gettext_lazy("New message"),
    "agency": gettext_lazy("Share with"),
    "recipient_agency": gettext_lazy("Send to"),
    "referral": gettext_lazy("Referral notice"),
    "subject": gettext_lazy("The person"),
    "file": gettext_lazy("Document"),
    "username": gettext_lazy("Username"),
    "email": gettext_lazy("Email"),
    "first_name": gettext_lazy("Given name"),
    "last_name": gettext_lazy("Family name"),
    "role": gettext_lazy("Role"),
    "password": gettext_lazy("First password"),
    "name": gettext_lazy("Name"),
    "scopes": gettext_lazy("Scopes"),
    "url": gettext_lazy("URL"),
    "event_types": gettext_lazy("Event types"),
    "description": gettext_lazy("Description"),
    "notification_email": gettext_lazy("Notification address"),
    "language": gettext_lazy("Language"),
}


def action_label(action: str, kind: str) -> str:
    labels = {
        "send": _("Send") if kind == "referral" else _("Request the return"),
        "acknowledge": _("Acknowledge receipt"),
        "accept": _("Accept the case"),
        "reject": _("Reject"),
        "withdraw": _("Withdraw"),
        "close": _("Close with the outcome"),
        "verify": _("Verify"),
        "schedule": _("Schedule the handover"),
        "confirm_handover": _("Confirm the handover"),
        "cancel": _("Cancel the return"),
    }
    return labels.get(action, action)


def event_label(event_type: str) -> str:
    """What an event of the timeline says happened, in the person's language."""
    return str(EVENT_TYPES.get(event_type, _("Case updated")))


def refusal_sentences(errors: dict[str, list[str]]) -> list[str]:
    """Each refused field's problems, led by the field's label; never its code name."""
    sentences = []
    for field, problems in errors.items():
        label = FIELD_LABELS.get(field)
        sentences.extend(f"{label}: {problem}" if label else problem for problem in problems)
    return sentences
