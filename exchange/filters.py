"""Strict query filters: an unknown parameter or an empty value is a 400, never ignored."""

import re

import django_filters
from django import forms

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


class DeliveryFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=Delivery.State.choices)
    channel = django_filters.ChoiceFilter(choices=Delivery.Channel.choices)

    class Meta:
        model = Delivery
        fields = ["state", "channel"]
