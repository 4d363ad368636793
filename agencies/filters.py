"""Query filters of the directory."""

import django_filters

from protocol.filters import StrictFilterSet

from .models import Agency, AgencyKind, Checkpoint, Country


class AgencyFilter(StrictFilterSet):
    country = django_filters.ChoiceFilter(choices=Country.choices)
    kind = django_filters.ChoiceFilter(choices=AgencyKind.choices)

    class Meta:
        model = Agency
        fields = ["country", "kind"]


class CheckpointFilter(StrictFilterSet):
    country = django_filters.ChoiceFilter(choices=Country.choices, method="filter_country")

    class Meta:
        model = Checkpoint
        fields = ["country"]

    def filter_country(self, queryset, name, value):
        return queryset.filter(country_a=value) | queryset.filter(country_b=value)
