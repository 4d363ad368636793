"""Strict query filters: an unknown parameter or an empty value is a 400, never ignored."""

import re
from datetime import UTC

import django_filters
from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions

PAGING_PARAMETERS = {"cursor", "limit", "format"}

_form_classes: dict[tuple[type, type, str | None], type] = {}


def _error(message: str, name: str) -> forms.ValidationError:
    # Messages are %-formatted again downstream: echo only the safe characters of the name.
    return forms.ValidationError(message % {"name": re.sub(r"[^\w.:-]", "?", name[:64])})


def refuse_unknown_and_empty(params, *, known: set[str]) -> None:
    """For views without a filter set: a 400 naming each unknown parameter and each empty one.

    ``StrictFilterSet`` holds filter sets to the same rule.
    """
    errors = {name: [_("Unknown query parameter.")] for name in params if name not in known}
    errors |= {name: [_("Empty value.")] for name in known if params.get(name) == ""}
    if errors:
        raise exceptions.ValidationError(errors)


class StrictFilterBackend(DjangoFilterBackend):
    """Every list and detail refuses unknown and empty query parameters: through its filter set
    when it has one, against the paging parameters when it has none."""

    def filter_queryset(self, request, queryset, view):
        if self.get_filterset_class(view, queryset) is None:
            refuse_unknown_and_empty(request.query_params, known=PAGING_PARAMETERS)
            return queryset
        return super().filter_queryset(request, queryset, view)


class StrictFilterSet(django_filters.FilterSet):
    """A typo such as ``?staus=sent`` must not quietly return everything."""

    def get_form_class(self):
        """One form class per filter set, model and language (django-filter writes the labels out),
        not a new class for every request: each form copies its fields, which are the same every
        time unless a queryset depends on the request."""
        if any(callable(getattr(f, "queryset", None)) for f in self.filters.values()):
            return super().get_form_class()
        key = (type(self), self.queryset.model, get_language())
        form_class = _form_classes.get(key)
        if form_class is None:
            form_class = _form_classes.setdefault(key, super().get_form_class())
        return form_class

    def is_valid(self):
        valid = super().is_valid()
        known = set(self.filters) | PAGING_PARAMETERS
        for name in self.data:
            if name not in known:
                self.form.add_error(None, _error(_("Unknown query parameter: %(name)s."), name))
                valid = False
            elif self.data.get(name) == "":
                self.form.add_error(None, _error(_("Empty value for %(name)s."), name))
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


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time turned to UTC: the database refuses offsets beyond ±16 hours."""

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return value.astimezone(UTC) if value else value
        except OverflowError as exc:
            raise forms.ValidationError(_("This time is out of range.")) from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time, compared in UTC; one out of range is an error of its parameter."""

    field_class = UtcDateTimeField
