"""List filters of cases: status, direction, counterpart, country, urgency, overdue, dates."""

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field

from agencies.authentication import caller_of
from agencies.models import Country, Urgency
from agencies.selectors import agencies_directory
from protocol.filters import (
    NON_EMPTY_STRING,
    NonEmptyCharFilter,
    StrictBooleanFilter,
    StrictFilterSet,
    UtcDateTimeFilter,
)

from .deadlines import overdue_filter
from .models import ReferralNotice, ReferralStatus, ReturnRequest, ReturnStatus


class ReferenceFilter(NonEmptyCharFilter):
    """A case's reference in any letter case, found through its unique index.

    References are written in capitals (``REF-TH-KH-2026-000042``): the value is compared in
    capitals, where a case-insensitive comparison would read every case the caller may see.
    """

    def filter(self, qs, value):
        return super().filter(qs, value.upper() if value else value)


@extend_schema_field(NON_EMPTY_STRING)
class AgencyCodeFilter(django_filters.ModelChoiceFilter):
    """An agency named by its code; an unknown code is a 400."""


class CaseFilter(StrictFilterSet):
    direction = django_filters.ChoiceFilter(
        choices=[("incoming", "incoming"), ("outgoing", "outgoing")],
        method="filter_direction",
        help_text="incoming: sent to your agency; outgoing: sent by it.",
    )
    counterpart = AgencyCodeFilter(
        queryset=agencies_directory(),  # as the directory: an inactive agency's code is unknown
        to_field_name="code",
        method="filter_counterpart",
        help_text="The other agency's code.",
    )
    country = django_filters.ChoiceFilter(
        choices=Country.choices, method="filter_country", help_text="Sender or recipient country."
    )
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    overdue = StrictBooleanFilter(method="filter_overdue")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gt")
    reference = ReferenceFilter(field_name="reference")

    def _agency(self):
        """The caller's agency when it is a party; auditors and superusers look from outside."""
        caller = caller_of(self.request)
        if caller is None or caller.user.is_superuser or caller.is_auditor:
            return None
        return caller.agency

    def filter_direction(self, queryset, name, value):
        field = "recipient_agency" if value == "incoming" else "sender_agency"
        own = self._agency()
        return queryset.filter(**{field: own}) if own is not None else queryset.none()

    def filter_counterpart(self, queryset, name, value):
        own = self._agency()
        return queryset.filter(
            Q(sender_agency=own, recipient_agency=value)
            | Q(recipient_agency=own, sender_agency=value)
            if own is not None and own != value
            else Q(sender_agency=value) | Q(recipient_agency=value)
        )

    def filter_country(self, queryset, name, value):
        return queryset.filter(Q(sender_agency__country=value) | Q(recipient_agency__country=value))

    def filter_overdue(self, queryset, name, value):
        condition = overdue_filter(queryset.model)
        return queryset.filter(condition) if value else queryset.exclude(condition)


class ReferralFilter(CaseFilter):
    status = django_filters.MultipleChoiceFilter(choices=ReferralStatus.choices)

    class Meta:
        model = ReferralNotice
        fields = []


class ReturnFilter(CaseFilter):
    status = django_filters.MultipleChoiceFilter(choices=ReturnStatus.choices)

    class Meta:
        model = ReturnRequest
        fields = []
