"""Reads of the exchange layer, always through the caller's agency."""

from django.db.models import QuerySet

from agencies.models import Agency

from .models import Delivery, Event, EventAudience, WebhookEndpoint


def events_for_agency(agency: Agency, *, after: int, limit: int) -> list[Event]:
    """The agency's events after a sequence, in order, read through the (agency, sequence) index.

    Sequences are handed out in commit order, so a reader never skips a later-committed event.
    """
    audience = (
        EventAudience.objects.filter(agency=agency, sequence__gt=after)
        .select_related("event__actor_agency")
        .order_by("sequence")[:limit]
    )
    return [row.event for row in audience]


def webhook_endpoints_of(agency: Agency) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(agency=agency).select_related("agency")


def deliveries_of(agency: Agency) -> QuerySet[Delivery]:
    """The agency's deliveries, webhook and email alike, newest first."""
    return Delivery.objects.filter(agency=agency).select_related("event", "endpoint")
