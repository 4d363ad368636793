"""The shape of events, webhooks, deliveries and audit events in the API and webhook bodies."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.serializers import secret_note
from protocol.serializers import StrictSerializer

from .events import EVENT_TYPES, MAX_SUBSCRIPTIONS, SUBSCRIBABLE
from .models import AuditEvent, Delivery, Event, WebhookEndpoint


class EventDataSerializer(serializers.Serializer):
    """What an event says about its case (or the audit chain); which keys depend on the type."""

    path = serializers.CharField(required=False, help_text="Where to fetch the case.")
    status = serializers.CharField(required=False, help_text="The case's status after it.")
    urgency = serializers.CharField(required=False)
    sender = serializers.CharField(required=False, help_text="Sending agency's code.")
    recipient = serializers.CharField(required=False, help_text="Receiving agency's code.")
    acknowledge_due_at = serializers.DateTimeField(required=False, allow_null=True)
    respond_due_at = serializers.DateTimeField(required=False, allow_null=True)
    verification_due_at = serializers.DateTimeField(required=False, allow_null=True)
    deadline = serializers.CharField(required=False, help_text="The clock of a reminder.")
    due_at = serializers.DateTimeField(required=False, help_text="When that clock runs out.")
    threshold = serializers.CharField(required=False, help_text="approaching, overdue, escalated.")
    sequence = serializers.IntegerField(required=False, help_text="Audit chain head: sequence.")
    hash = serializers.CharField(required=False, help_text="Audit chain head: hash.")


@extend_schema_field(EventDataSerializer)
class EventDataField(serializers.DictField):
    """The event's data as stored: only the keys its type carries."""


class EventSerializer(serializers.ModelSerializer):
    """An event names the case by id, path and reference; it never carries personal data."""

    type = serializers.ChoiceField(choices=list(EVENT_TYPES))
    actor_agency = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="null for the system."
    )
    data = EventDataField(
        help_text="The keys depend on the type: the webhooks section lists those of each type."
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "sequence",
            "type",
            "object_type",
            "object_id",
            "reference",
            "actor_agency",
            "data",
            "created_at",
        ]
        read_only_fields = fields


class EventPageSerializer(serializers.Serializer):
    next = serializers.URLField(
        allow_null=True, help_text="The next page; null when you have caught up."
    )
    results = EventSerializer(many=True)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "disabled_reason",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """An endpoint as created or rotated: the only time its secret is shown (null on a replay)."""

    secret = serializers.SerializerMethodField()
    secret_note = serializers.SerializerMethodField()

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret", "secret_note"]
        read_only_fields = fields

    def get_secret(self, obj) -> str | None:
        return self.context.get("secret")

    def get_secret_note(self, obj) -> str | None:
        return secret_note(self.context.get("secret"))


def _event_types_field(**kwargs):
    return serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE),
        max_length=MAX_SUBSCRIPTIONS,
        help_text="Event types or 'prefix.*' (e.g. 'referral.*'); empty: every type.",
        **kwargs,
    )


class WebhookEndpointCreateSerializer(StrictSerializer):
    url = serializers.URLField(max_length=2000)
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    event_types = _event_types_field(required=False, default=list)


class WebhookEndpointUpdateSerializer(StrictSerializer):
    url = serializers.URLField(max_length=2000, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = _event_types_field(required=False)
    is_active = serializers.BooleanField(required=False)


class DeliveryEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["id", "sequence", "type", "reference"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    """One event on its way to one endpoint or address; ``id`` is the ``webhook-id``."""

    event = DeliveryEventSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "channel",
            "endpoint",
            "event",
            "state",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class EventFeedQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, default=0, help_text="The last sequence you have; 0 to start."
    )
    limit = serializers.IntegerField(min_value=1, max_value=200, default=50)


class AuditEventSerializer(serializers.ModelSerializer):
    """One audit row: who did what to which object, and its hash. No personal data."""

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
