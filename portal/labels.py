"""Names of the workflow actions as people read them on buttons."""

from django.utils.translation import gettext as _


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
