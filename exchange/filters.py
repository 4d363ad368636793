"""Query filters: strict (an unknown parameter or an empty value is a 400, never ignored),
and the audit trail's."""

import re
from datetime import UTC

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions

from .audit import audit_sequences_concerning
from .models import AuditEvent, Delivery

PAGING_PARAMETERS = {"cursor", "limit", "format"}


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


class StrictFilterSet(django_filters.FilterSet):
    """A typo such as ``?staus=sent`` must not quietly return everything."""

    def is_valid(self):
        valid = super().is_valid()
        known = set(self.filters) | PAGING_PARAMETERS
        for name in self.data:
            if name not in known:
                self.form.add_error(None, _error("Unknown query parameter: %(name)s.", name))
                valid = False
            elif (name in self.filters or name == "format") and self.data.get(name) == "":
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


class DeliveryFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=Delivery.State.choices)
    channel = django_filters.ChoiceFilter(choices=Delivery.Channel.choices)

    class Meta:
        model = Delivery
        fields = ["state", "channel"]


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


class AuditEventFilter(StrictFilterSet):
    agency = NonEmptyCharFilter(
        method="filter_agency", help_text="Agency code: events of exchanges it takes part in."
    )
    actor = NonEmptyCharFilter(field_name="actor__username", help_text="Username.")
    action = NonEmptyCharFilter(help_text="e.g. referral.read, request.denied.")
    reference = NonEmptyCharFilter(help_text="Case reference.")
    outcome = django_filters.ChoiceFilter(choices=AuditEvent.Outcome.choices)
    to = UtcDateTimeFilter(
        field_name="occurred_at", lookup_expr="lt", help_text="ISO 8601; events before it."
    )

    class Meta:
        model = AuditEvent
        fields = ["agency", "actor", "action", "reference", "outcome", "to"]

    def filter_agency(self, queryset, name, value):
        return queryset.filter(sequence__in=audit_sequences_concerning(agency__code=value))

    def is_valid(self):
        valid = super().is_valid()
        start, end = self.form.cleaned_data.get("from"), self.form.cleaned_data.get("to")
        if start and end and start > end:
            self.form.add_error("from", _("from is after to."))
            valid = False
        return valid


# "from" is a Python keyword, so it cannot be declared in the class body.
AuditEventFilter.base_filters["from"] = UtcDateTimeFilter(
    field_name="occurred_at", lookup_expr="gte", help_text="ISO 8601; events at or after it."
)
