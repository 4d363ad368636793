"""How information crosses between agencies: counters, idempotency keys, the event log."""

import uuid

from django.db import models


class Counter(models.Model):
    """A named gap-free counter; incrementing it locks its row until the transaction ends."""

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}={self.value}"


class IdempotencyKey(models.Model):
    """A POST remembered by (caller, key) for 24 hours so a retry gets the same answer."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight"
        COMPLETED = "completed"

    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self):
        return f"{self.scope}:{self.key}"


class Event(models.Model):
    """A state change, written in the same transaction as the change (the outbox).

    It names the case by id and reference and never carries personal data.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
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
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    sequence = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "sequence"], name="event_audience_unique"),
        ]

    def __str__(self):
        return f"{self.agency_id} #{self.sequence}"
