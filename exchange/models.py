"""How information crosses between agencies: events, deliveries, the audit trail."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from agencies.fields import EncryptedCharField
from protocol.rows import appended_id


class Event(models.Model):
    """A state change, written in the same transaction as the change (the outbox).

    It names the case by id and reference and never carries personal data.
    """

    id = models.UUIDField(primary_key=True, default=appended_id, editable=False)
    sequence = models.BigIntegerField(unique=True)
    type = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.UUIDField(null=True)
    reference = models.CharField(max_length=40, blank=True)
    actor_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, related_name="+"
    )
    agencies = models.ManyToManyField(
        "agencies.Agency", through="EventAudience", related_name="events"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["object_id", "sequence"])]

    def __str__(self):
        return f"#{self.sequence} {self.type} {self.reference}"


class EventAudience(models.Model):
    """An agency an event concerns; the feed reads by (agency, sequence)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="audience")
    # Found through ``event_audience_unique``, which leads with it.
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    sequence = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "sequence"], name="event_audience_unique"),
        ]

    def __str__(self):
        return f"{self.agency_id} #{self.sequence}"


class WebhookEndpoint(models.Model):
    """A partner system's URL that receives an agency's events, signed with its secret."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(
        default=list, blank=True, help_text="Types or 'prefix.*' patterns; empty: every type."
    )
    secret = EncryptedCharField(max_length=100, editable=False)
    previous_secret = EncryptedCharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["agency", "is_active"])]

    def __str__(self):
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        if not self.event_types:
            return True
        prefix = event_type.split(".", 1)[0]
        return event_type in self.event_types or f"{prefix}.*" in self.event_types


class Delivery(models.Model):
    """One event on its way to one webhook endpoint or one agency's notification address.

    The row, not the broker, is the truth: a sweep sends again whatever is still due.
    Its id is the ``webhook-id``, the same on every attempt so receivers can deduplicate.
    """

    class Channel(models.TextChoices):
        WEBHOOK = "webhook", _("Webhook")
        EMAIL = "email", _("Email")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed, will retry")
        DEAD = "dead", _("Dead")

    OPEN_STATES = (State.PENDING, State.FAILED)

    id = models.UUIDField(primary_key=True, default=appended_id, editable=False)
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    # Both found through the indexes of each one's deliveries, which lead with them.
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=8, choices=Channel.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    retry_until = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["pending", "failed"]),
                name="delivery_due_idx",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="delivery_endpoint_idx"),
            models.Index(fields=["agency", "-created_at"], name="delivery_agency_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(channel="webhook", endpoint__isnull=False)
                    | models.Q(channel="email", endpoint__isnull=True)
                ),
                name="delivery_channel_target",
            ),
            models.UniqueConstraint(
                fields=["event", "endpoint"],
                condition=models.Q(channel="webhook"),
                name="delivery_once_per_endpoint",
            ),
            models.UniqueConstraint(
                fields=["event", "agency"],
                condition=models.Q(channel="email"),
                name="delivery_email_once_per_agency",
            ),
        ]

    def __str__(self):
        return f"{self.channel} {self.id} ({self.state})"

    @property
    def is_test(self) -> bool:
        """A test ping of a webhook endpoint, not an event."""
        return self.event_id is None


class AuditEvent(models.Model):
    """One recorded act: a case read, a write, a denied request, an access change, a sign-in.

    Rows are only appended (the database refuses UPDATE and DELETE), each with a sequence from
    the database and ``hash``, SHA-256 over its content; the sealer makes them leaves of a Merkle
    tree with signed heads. The first rows were hash-chained instead (``prev_hash``, the
    previous row's hash) and stay so. Rows name objects by id and reference only and never
    carry personal data.
    """

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", _("Allowed")
        DENIED = "denied", _("Denied")

    sequence = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(db_index=True)
    # No constraint in the database: checking one would lock the user's and agency's rows
    # (FOR KEY SHARE) in every request. Django still refuses to delete what a row names.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_constraint=False,
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_constraint=False,
    )
    api_client = models.ForeignKey(
        "agencies.ApiClient",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_constraint=False,
    )
    on_behalf_of = models.CharField(max_length=128, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    reference = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True)
    request_id = models.CharField(max_length=128, blank=True)
    agencies = models.ManyToManyField(
        "agencies.Agency", through="AuditEventAgency", related_name="audit_events"
    )
    detail = models.JSONField(default=dict)
    # Set on the rows of the first hash chain only.
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["reference"], name="audit_event_reference")]

    def __str__(self):
        return f"#{self.sequence} {self.action} {self.outcome}"


class AuditEventAgency(models.Model):
    """An agency the audited exchange concerns; its country is kept for auditor scoping."""

    # Indexed by the unique constraint, which starts with it.
    audit_event = models.ForeignKey(
        AuditEvent,
        on_delete=models.PROTECT,
        related_name="parties",
        db_index=False,
        db_constraint=False,
    )
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    country = models.CharField(max_length=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["audit_event", "agency"], name="audit_event_agency_unique"
            ),
        ]
        # A national auditor's query is one range of this index: (country, sequence).
        indexes = [models.Index(fields=["country", "audit_event"], name="audit_party_country")]

    def __str__(self):
        return f"#{self.audit_event_id} {self.agency_id}"


class RefusalWindow(models.Model):
    """A source's minute with refused unauthenticated requests, whose count the audit trail
    receives in one row once the minute is over (``exchange.refusals``)."""

    source = models.CharField(max_length=64)
    window_start = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "window_start"], name="refusal_window_unique")
        ]

    def __str__(self):
        return f"{self.source} {self.window_start:%Y-%m-%d %H:%M}"


class AuditLeaf(models.Model):
    """A sealed audit row's place in the Merkle tree: leaves follow the rows' sequence."""

    index = models.BigIntegerField(primary_key=True)
    sequence = models.BigIntegerField(unique=True)

    def __str__(self):
        return f"leaf {self.index}: #{self.sequence}"


class AuditTreeNode(models.Model):
    """The hash of a complete subtree of the Merkle tree: leaves [index * 2^level, ...)."""

    pk = models.CompositePrimaryKey("level", "index")
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    def __str__(self):
        return f"node {self.level}/{self.index}"


class AuditTreeHead(models.Model):
    """A signed tree head: the root of the first ``tree_size`` leaves at ``timestamp``."""

    tree_size = models.BigIntegerField(primary_key=True)
    root_hash = models.CharField(max_length=64)
    # Milliseconds since the epoch, as signed.
    timestamp = models.BigIntegerField()
    key_id = models.CharField(max_length=16)
    signature = models.CharField(max_length=88)

    class Meta:
        ordering = ["-tree_size"]

    def __str__(self):
        return f"{self.tree_size}:{self.root_hash}"
