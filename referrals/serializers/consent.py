"""The shape of a change of the subject's consent, and of the history of changes."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from agencies.models import AgencyKind
from protocol.serializers import StrictSerializer

from ..models import ConsentStatus


class ConsentChangeSerializer(StrictSerializer):
    """A change of the subject's consent; the history lists them in order."""

    id = serializers.UUIDField(read_only=True)
    status = serializers.ChoiceField(choices=ConsentStatus.choices)
    scope = serializers.ListField(
        child=serializers.ChoiceField(choices=AgencyKind.choices),
        max_length=len(AgencyKind.choices),
        default=list,
        help_text="Agency kinds that may receive the data (only with consent given).",
    )
    recorded_at = serializers.DateTimeField(
        required=False, help_text="When the person (or guardian) said so; default now."
    )
    previous_status = serializers.CharField(read_only=True)
    previous_scope = serializers.ListField(child=serializers.CharField(), read_only=True)
    agency = serializers.CharField(source="agency.code", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def validate_recorded_at(self, value):
        if value > timezone.now():
            raise serializers.ValidationError(_("Consent cannot be recorded in the future."))
        return value
