"""Strict query filters: an unknown parameter or an empty value is a 400, never ignored."""

import re
from datetime import UTC

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from .models import Delivery

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


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time, compared in UTC; offsets the database cannot store are turned to UTC."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError as exc:
                raise ValidationError({self.field_name: ["This time is out of range."]}) from exc
        return super().filter(qs, value)


class DeliveryFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=Delivery.State.choices)
    channel = django_filters.ChoiceFilter(choices=Delivery.Channel.choices)

    class Meta:
        model = Delivery
        fields = ["state", "channel"]
