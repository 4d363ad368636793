"""The subject (the person) inside a case: identity, address, family contact, consent."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from agencies.models import AgencyKind, Country
from protocol.representation import PlannedRepresentation

from ..models import (
    ConsentStatus,
    Subject,
)

ISO_COUNTRY = r"^[A-Z]{2}$"


class IdentityDocumentSerializer(PlannedRepresentation, serializers.Serializer):
    type = serializers.ChoiceField(
        choices=[
            "passport",
            "national_id",
            "birth_certificate",
            "family_book",
            "travel_document",
            "other",
        ]
    )
    number = serializers.CharField(max_length=64)
    issuing_country = serializers.RegexField(ISO_COUNTRY)


class HomeAddressSerializer(PlannedRepresentation, serializers.Serializer):
    province = serializers.CharField(max_length=120, required=False, allow_blank=True)
    district = serializers.CharField(max_length=120, required=False, allow_blank=True)
    commune = serializers.CharField(max_length=120, required=False, allow_blank=True)
    village = serializers.CharField(max_length=120, required=False, allow_blank=True)


class FamilyContactSerializer(PlannedRepresentation, serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    relationship = serializers.CharField(max_length=60, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ConsentSerializer(PlannedRepresentation, serializers.Serializer):
    status = serializers.ChoiceField(
        source="consent_status", choices=ConsentStatus.choices, default=ConsentStatus.NOT_ASKED
    )
    recorded_at = serializers.DateTimeField(
        source="consent_recorded_at", required=False, allow_null=True
    )
    scope = serializers.ListField(
        source="consent_scope",
        child=serializers.ChoiceField(choices=AgencyKind.choices),
        required=False,
        help_text="Agency kinds that may receive the data.",
    )

    def validate(self, attrs):
        recorded = attrs.get("consent_recorded_at")
        if recorded and recorded > timezone.now():
            raise serializers.ValidationError(
                {"recorded_at": _("Consent cannot be recorded in the future.")}
            )
        return attrs


class NullableChoiceField(serializers.ChoiceField):
    """A choice or null; stored as an empty string, shown as null (one type, not a union)."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, **kwargs)

    def run_validation(self, data=serializers.empty):
        value = super().run_validation(data)
        return "" if value is None else value

    def to_representation(self, value):
        return super().to_representation(value) if value else None


class SubjectSerializer(PlannedRepresentation, serializers.ModelSerializer):
    """The person: nested in a case, never listed on its own."""

    aliases = serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=20, required=False
    )
    identity_documents = IdentityDocumentSerializer(many=True, required=False)
    languages = serializers.ListField(
        child=serializers.CharField(max_length=16), max_length=10, required=False
    )
    home_address = HomeAddressSerializer(required=False)
    family_contact = FamilyContactSerializer(required=False)
    vulnerabilities = serializers.ListField(
        child=serializers.CharField(max_length=120), max_length=20, required=False
    )
    nationality_claimed = NullableChoiceField(
        choices=Country.choices,
        required=False,
        help_text="The nationality the person claims; null when unknown.",
    )
    consent = ConsentSerializer(source="*", required=False)
    age_estimate = serializers.IntegerField(
        min_value=0, max_value=120, required=False, allow_null=True
    )

    class Meta:
        model = Subject
        fields = [
            "given_name",
            "family_name",
            "name_native",
            "aliases",
            "sex",
            "birth_date",
            "age_estimate",
            "is_minor",
            "nationality_claimed",
            "identity_documents",
            "languages",
            "home_address",
            "family_contact",
            "vulnerabilities",
            "consent",
        ]
        read_only_fields = ["is_minor"]

    def validate_birth_date(self, value):
        if value and value > timezone.localdate():
            raise serializers.ValidationError(_("The birth date cannot be in the future."))
        return value
