"""Referral notices and return requests, in full and redacted for auditors."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Urgency
from agencies.serializers import AgencyCodeField, StrictJsonMixin
from protocol.representation import PlannedRepresentation

from ..access import allowed_actions
from ..models import (
    ExploitationType,
    ReferralCategory,
    ReferralNotice,
    RequestedAction,
    ReturnBasis,
    ReturnRequest,
)
from .fields import CheckpointCodeField, not_in_future, not_in_past
from .subjects import SubjectSerializer


class AllowedActionsMixin(serializers.Serializer):
    allowed_actions = serializers.SerializerMethodField(
        help_text="The actions the caller may take now (POST .../{action}/)."
    )

    def get_allowed_actions(self, obj) -> list[str]:
        return allowed_actions(self.context["caller"], obj)


class ReferralSerializer(PlannedRepresentation, AllowedActionsMixin, serializers.ModelSerializer):
    sender_agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    recipient_agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subject = SubjectSerializer(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ReferralNotice
        fields = [
            "id",
            "reference",
            "sender_agency",
            "recipient_agency",
            "category",
            "exploitation_types",
            "urgency",
            "subject",
            "summary",
            "requested_actions",
            "identified_on",
            "identified_place",
            "status",
            "allowed_actions",
            "sent_at",
            "acknowledged_at",
            "accepted_at",
            "rejected_at",
            "withdrawn_at",
            "closed_at",
            "acknowledge_due_at",
            "respond_due_at",
            "is_overdue",
            "focal_point",
            "rejection_reason",
            "withdrawal_reason",
            "outcome",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ReferralWriteSerializer(StrictJsonMixin, serializers.Serializer):
    recipient_agency = AgencyCodeField()
    category = serializers.ChoiceField(choices=ReferralCategory.choices)
    exploitation_types = serializers.ListField(
        child=serializers.ChoiceField(choices=ExploitationType.choices), required=False
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    subject = SubjectSerializer()
    summary = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    requested_actions = serializers.ListField(
        child=serializers.ChoiceField(choices=RequestedAction.choices), required=False
    )
    identified_on = serializers.DateField(validators=[not_in_future])
    identified_place = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs):
        subject = attrs.get("subject") or {}
        born, identified = subject.get("birth_date"), attrs.get("identified_on")
        if born and identified and born > identified:
            raise serializers.ValidationError(
                {"subject": {"birth_date": ["The person cannot be born after being identified."]}}
            )
        return attrs


@extend_schema_field(OpenApiTypes.UUID)
class VisibleReferralField(serializers.PrimaryKeyRelatedField):
    """A referral the caller's agency can see; anything else is an unknown referral."""

    default_error_messages = {
        "does_not_exist": "Unknown referral.",
        "incorrect_type": "A referral id (UUID).",
    }

    def get_queryset(self):
        from ..access import referrals_visible_to

        return referrals_visible_to(self.context["caller"])


class ReturnSerializer(PlannedRepresentation, AllowedActionsMixin, serializers.ModelSerializer):
    sender_agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    recipient_agency = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subject = SubjectSerializer(read_only=True)
    proposed_checkpoint = serializers.SlugRelatedField(slug_field="code", read_only=True)
    checkpoint = serializers.SlugRelatedField(slug_field="code", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    verification = serializers.SerializerMethodField()
    handover = serializers.SerializerMethodField()

    class Meta:
        model = ReturnRequest
        fields = [
            "id",
            "reference",
            "sender_agency",
            "recipient_agency",
            "referral",
            "subject",
            "basis",
            "urgency",
            "proposed_checkpoint",
            "proposed_date",
            "status",
            "allowed_actions",
            "requested_at",
            "acknowledged_at",
            "verified_at",
            "rejected_at",
            "scheduled_at",
            "handed_over_at",
            "cancelled_at",
            "verification_due_at",
            "is_overdue",
            "verification",
            "scheduled_date",
            "checkpoint",
            "handover",
            "rejection_reason",
            "cancellation_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_verification(self, obj) -> dict | None:
        return obj.verification or None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_handover(self, obj) -> dict | None:
        return obj.handover or None


class ReturnWriteSerializer(StrictJsonMixin, serializers.Serializer):
    recipient_agency = AgencyCodeField()
    referral = VisibleReferralField(required=False, allow_null=True)
    subject = SubjectSerializer(required=False)
    basis = serializers.ChoiceField(choices=ReturnBasis.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    proposed_checkpoint = CheckpointCodeField(required=False, allow_null=True)
    proposed_date = serializers.DateField(required=False, allow_null=True, validators=[not_in_past])


def redacted(serializer_class, *, withheld: frozenset[str], doc: str):
    """The representation ``serializer_class`` gives, less the ``withheld`` fields."""
    fields = [name for name in serializer_class.Meta.fields if name not in withheld]
    meta = type("Meta", (serializer_class.Meta,), {"fields": fields, "read_only_fields": fields})
    # Declared fields are removed by naming them None in the subclass (DRF's rule).
    removed = {name: None for name in withheld if name in serializer_class._declared_fields}
    name = "Redacted" + serializer_class.__name__
    return type(name, (serializer_class,), {"Meta": meta, "__doc__": doc, **removed})


# What auditors never see: the person, free texts, and what only the parties act on.
REFERRAL_WITHHELD = frozenset(
    {
        "subject",
        "summary",
        "exploitation_types",
        "requested_actions",
        "identified_on",
        "identified_place",
        "focal_point",
        "rejection_reason",
        "withdrawal_reason",
        "outcome",
        "allowed_actions",
    }
)
RETURN_WITHHELD = frozenset(
    {
        "subject",
        "referral",
        "proposed_checkpoint",
        "proposed_date",
        "verification",
        "handover",
        "rejection_reason",
        "cancellation_reason",
        "allowed_actions",
    }
)

RedactedReferralSerializer = redacted(
    ReferralSerializer,
    withheld=REFERRAL_WITHHELD,
    doc="What auditors see: exchange metadata, no subject, no free text.",
)
RedactedReturnSerializer = redacted(
    ReturnSerializer,
    withheld=RETURN_WITHHELD,
    doc="What auditors see of a return: metadata, no subject, no free text.",
)


class RedactedMessageSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    author_agency = serializers.CharField(source="author_agency.code", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
