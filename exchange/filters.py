"""Query filters of the audit trail and of deliveries."""

import django_filters
from django.utils.translation import gettext_lazy as _

from protocol.filters import NonEmptyCharFilter, StrictFilterSet, UtcDateTimeFilter

from .audit import audit_sequences_concerning
from .models import AuditEvent, Delivery


class DeliveryFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(choices=Delivery.State.choices)
    channel = django_filters.ChoiceFilter(choices=Delivery.Channel.choices)

    class Meta:
        model = Delivery
        fields = ["state", "channel"]


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
