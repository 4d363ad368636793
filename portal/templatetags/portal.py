"""Template filters of the portal: times in the person's country time, with the zone named."""

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def local(value):
    """A moment in the active (country) time zone, as the locale writes date and time."""
    if not value:
        return "—"
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")


@register.filter
def field_errors(errors: dict, name: str) -> list:
    return errors.get(name, []) if errors else []


@register.simple_tag
def action_label(action: str, kind: str) -> str:
    from portal.labels import action_label as label

    return label(action, kind)
