"""Template filters of the portal: times in the person's country time, with the zone named."""

from django import template
from django.utils import formats, timezone

from agencies.models import AgencyKind
from portal import labels

register = template.Library()


@register.filter
def local(value):
    """A moment in the active (country) time zone, as the locale writes date and time."""
    if not value:
        return "—"
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


@register.simple_tag
def action_label(action: str, kind: str) -> str:
    return labels.action_label(action, kind)


@register.filter
def event_label(event_type: str) -> str:
    return labels.event_label(event_type)


@register.filter
def agency_kinds(codes) -> str:
    """Kinds of agencies (a consent's scope) by their names, not their codes."""
    return ", ".join(str(AgencyKind(code).label) for code in codes if code in AgencyKind.values)
