"""Strict query filters: an unknown parameter or an empty value is a 400, never ignored."""

import re
from datetime import UTC

import django_filters
from django import forms
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

PAGING_PARAMETERS = {"cursor", "limit", "format"}


def _error(message: str, name: str) -> forms.ValidationError:
    # Messages are %-formatted again downstream: echo only the safe characters of the name.
    return forms.ValidationError(message % {"name": re.sub(r"[^\w.:-]", "?", name[:64])})


class StrictFilterSet(django_filters.FilterSet):
    """A typo such as ``?staus=sent`` must not quietly return everything."""

    def is_valid(self):
        valid = super().is_valid()
        known = set(self.filters) | PAGING_PARAMETERS
        for name in self.data:
            if name not in known:
                self.form.add_error(None, _error("Unknown query parameter: %(name)s.", name))
                valid = False
            elif name in self.filters and self.data.get(name) == "":
                self.form.add_error(None, _error("Empty value for %(name)s.", name))
                valid = False
        return valid


NON_EMPTY_STRING = {"type": "string", "minLength": 1}


@extend_schema_field(NON_EMPTY_STRING)
class NonEmptyCharFilter(django_filters.CharFilter):
    """A text filter whose empty value is refused (documented as ``minLength: 1``)."""


class StrictBooleanFilter(django_filters.ChoiceFilter):
    """``true`` or ``false``, nothing else (``null``, ``1`` or ``yes`` are a 400)."""

    field_class = forms.TypedChoiceField

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        kwargs.setdefault("empty_value", None)
        super().__init__(**kwargs)


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time in UTC: PostgreSQL refuses the offsets beyond 15:59 that ISO allows."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None or timezone.is_naive(value):
            return value
        try:
            return value.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError("This time is out of range.", code="invalid") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
