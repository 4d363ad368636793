"""What the workflow actions, messages and shares take as input."""

from rest_framework import serializers

from agencies.serializers import AgencyCodeField, StrictJsonMixin

from .fields import CheckpointCodeField, not_in_past


class FocalPointSerializer(StrictJsonMixin, serializers.Serializer):
    focal_point = serializers.CharField(max_length=200)


class ReasonSerializer(StrictJsonMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class OutcomeSerializer(StrictJsonMixin, serializers.Serializer):
    outcome = serializers.CharField(max_length=5000)


class VerificationSerializer(serializers.Serializer):
    identity_confirmed = serializers.BooleanField()
    nationality_confirmed = serializers.BooleanField()
    family_traced = serializers.BooleanField()
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class VerifySerializer(StrictJsonMixin, serializers.Serializer):
    verification = VerificationSerializer()


class ScheduleSerializer(StrictJsonMixin, serializers.Serializer):
    date = serializers.DateField(validators=[not_in_past])
    checkpoint = CheckpointCodeField()


class HandoverSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    received_by = serializers.CharField(max_length=200)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ConfirmHandoverSerializer(StrictJsonMixin, serializers.Serializer):
    handover = HandoverSerializer()


class MessageSerializer(StrictJsonMixin, serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    author_agency = serializers.CharField(source="author_agency.code", read_only=True)
    author_on_behalf_of = serializers.CharField(read_only=True)
    body = serializers.CharField(max_length=20000)
    created_at = serializers.DateTimeField(read_only=True)


class ShareSerializer(StrictJsonMixin, serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    agency = AgencyCodeField()
    created_at = serializers.DateTimeField(read_only=True)
    revoked_at = serializers.DateTimeField(read_only=True)
