"""What the workflow actions, messages and shares take as input."""

from rest_framework import serializers

from agencies.serializers import AgencyCodeField
from protocol.serializers import StrictSerializer

from .fields import CheckpointCodeField, not_in_past


class FocalPointSerializer(StrictSerializer):
    focal_point = serializers.CharField(max_length=200)


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=5000)


class OutcomeSerializer(StrictSerializer):
    outcome = serializers.CharField(max_length=5000)


class VerificationSerializer(StrictSerializer):
    identity_confirmed = serializers.BooleanField()
    nationality_confirmed = serializers.BooleanField()
    family_traced = serializers.BooleanField()
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class VerifySerializer(StrictSerializer):
    verification = VerificationSerializer()


class ScheduleSerializer(StrictSerializer):
    date = serializers.DateField(validators=[not_in_past])
    checkpoint = CheckpointCodeField()


class HandoverSerializer(StrictSerializer):
    at = serializers.DateTimeField()
    received_by = serializers.CharField(max_length=200)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class ConfirmHandoverSerializer(StrictSerializer):
    handover = HandoverSerializer()


class MessageSerializer(StrictSerializer):
    id = serializers.UUIDField(read_only=True)
    author_agency = serializers.CharField(source="author_agency.code", read_only=True)
    author_on_behalf_of = serializers.CharField(read_only=True)
    body = serializers.CharField(max_length=20000)
    created_at = serializers.DateTimeField(read_only=True)


class ShareSerializer(StrictSerializer):
    id = serializers.UUIDField(read_only=True)
    agency = AgencyCodeField()
    created_at = serializers.DateTimeField(read_only=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)
