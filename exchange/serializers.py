"""The shape of audit events in the API and its CSV export."""

from rest_framework import serializers

from .models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    """One audit row: who did what to which object, and the chain link. No personal data."""

    actor = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username; null for the system or an unknown caller.",
    )
    agency = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="The actor's agency."
    )
    api_client_name = serializers.CharField(
        source="api_client.name", read_only=True, allow_null=True, default=None
    )
    agencies = serializers.SlugRelatedField(
        slug_field="code",
        many=True,
        read_only=True,
        help_text="The agencies the exchange concerns; auditors are scoped by their countries.",
    )

    detail = serializers.DictField(
        read_only=True, help_text="Ids, codes and paths that complete the action; no personal data."
    )

    class Meta:
        model = AuditEvent
        fields = [
            "sequence",
            "occurred_at",
            "actor",
            "agency",
            "api_client",
            "api_client_name",
            "on_behalf_of",
            "action",
            "object_type",
            "object_id",
            "reference",
            "outcome",
            "status_code",
            "request_id",
            "agencies",
            "detail",
            "prev_hash",
            "hash",
        ]
        read_only_fields = fields
