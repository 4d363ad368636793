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


@register.simple_tag(takes_context=True)
def entered(context, name: str) -> str:
    """What the person typed in ``name`` of the action form just refused; empty otherwise."""
    if context.get("failed_action") != context.get("action"):
        return ""
    return context.get("entered", {}).get(name, "")


@register.simple_tag(takes_context=True)
def ticked(context, name: str) -> str:
    """``checked`` for a box of the refused action form that the person had ticked."""
    return " checked" if entered(context, name) else ""


@register.filter
def event_label(event_type: str) -> str:
    return labels.event_label(event_type)


@register.filter
def agency_kinds(codes) -> str:
    """Kinds of agencies (a consent's scope) by their names, not their codes."""
    return ", ".join(str(AgencyKind(code).label) for code in codes if code in AgencyKind.values)
