"""Email notifications of events: in the agency's language, naming the case, never a person."""

import smtplib
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Urgency
from agencies.selectors import admin_emails_of

from .events import DEADLINE_KEYS, ESCALATED, EVENT_TYPES
from .models import Delivery, Event
from .outcomes import AttemptOutcome

BRAND = "Mekong Exchange"

STATUS_LABELS = {
    "draft": _("Draft"),
    "sent": _("Sent"),
    "acknowledged": _("Acknowledged"),
    "accepted": _("Accepted"),
    "rejected": _("Rejected"),
    "withdrawn": _("Withdrawn"),
    "closed": _("Closed"),
    "requested": _("Requested"),
    "verified": _("Verified"),
    "scheduled": _("Scheduled"),
    "handed_over": _("Handed over"),
    "cancelled": _("Cancelled"),
}


def _utc_offset(moment: datetime) -> str:
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _deadlines(data: dict, agency: Agency) -> list[dict]:
    """The due dates the event names, in the agency's local time and in UTC."""
    found = []
    for key, label in DEADLINE_KEYS.items():
        due = parse_datetime(data.get(key) or "")
        if due is None or due.tzinfo is None:
            continue
        local = due.astimezone(agency.timezone)
        found.append(
            {
                "label": label,
                "local": formats.date_format(local, "DATETIME_FORMAT"),
                "offset": _utc_offset(local),
                "utc": due.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            }
        )
    return found


def _case_link(data: dict) -> str:
    path = data.get("path") or ""
    if not path.startswith("/") or path.startswith("//"):
        return ""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def _context(event: Event, agency: Agency) -> dict:
    # Only these fields of the event reach the message: nothing else can leak into it.
    data = event.data
    status = data.get("status") or ""
    urgency = data.get("urgency") or ""
    return {
        "agency_name": (
            agency.name_local if agency.language != "en" and agency.name_local else agency.name
        ),
        "agency_code": agency.code,
        "what": EVENT_TYPES.get(event.type, _("Case updated")),
        "reference": event.reference,
        "status": STATUS_LABELS.get(status, status),
        "urgency": Urgency(urgency).label if urgency in Urgency.values else "",
        "sender": data.get("sender") or "",
        "recipient": data.get("recipient") or "",
        "deadlines": _deadlines(data, agency),
        "link": _case_link(data),
        "is_message": event.type == "message.posted",
        "brand": BRAND,
    }


def email_addresses(event: Event, agency: Agency) -> tuple[list[str], list[str]]:
    """To and Cc of an event's email to an agency.

    An escalated deadline also goes to the admins of the agency that must act.
    """
    to = [agency.notification_email] if agency.notification_email else []
    cc = []
    if event.type == ESCALATED and agency.code == event.data.get("recipient"):
        cc = [address for address in admin_emails_of(agency) if address not in to]
    return (to, cc) if to else (cc, [])


def event_email(*, delivery: Delivery, to: list[str], cc: list[str]) -> EmailMultiAlternatives:
    """The notification of a delivery's event to its agency, in the agency's language."""
    event, agency = delivery.event, delivery.agency
    with translation.override(agency.language):
        context = _context(event, agency)
        subject = f"[{BRAND}] {event.reference}: {context['what']}"
        text = render_to_string("exchange/email/event.txt", context)
        html = render_to_string("exchange/email/event.html", context)
    domain = urlsplit(settings.PUBLIC_BASE_URL).hostname or "mekong-exchange.local"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        cc=cc,
        headers={
            # The same id on every attempt: mail systems drop the duplicate of a retry.
            "Message-ID": f"<{delivery.id}@{domain}>",
            "Auto-Submitted": "auto-generated",
            "Content-Language": agency.language,
            "X-Mekong-Event": event.type,
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def email_send(delivery: Delivery) -> AttemptOutcome:
    """Send one notification; the outcome, never an exception."""
    agency = delivery.agency
    to, cc = email_addresses(delivery.event, agency)
    if not to:
        return AttemptOutcome(permanent=True, error="The agency has no notification address.")
    message = event_email(delivery=delivery, to=to, cc=cc)
    try:
        message.send(using="default")
    except (smtplib.SMTPException, OSError) as exc:
        return AttemptOutcome(error=f"{type(exc).__name__}: {exc}"[:300])
    return AttemptOutcome(delivered=True)
