"""The protocol's own state: named counters and remembered idempotency keys."""

from django.db import models


class Counter(models.Model):
    """A named gap-free counter; incrementing it locks its row until the transaction ends."""

    name = models.CharField(max_length=64, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        db_table = "exchange_counter"

    def __str__(self):
        return f"{self.name}={self.value}"


class IdempotencyKey(models.Model):
    """A POST remembered by (caller, key) for 24 hours so a retry has the same effect.

    Only a keyed fingerprint of the request, the status and the resource's id are kept: no
    response body, so no secret and no personal data.
    """

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight"
        COMPLETED = "completed"

    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(null=True)
    resource_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "exchange_idempotencykey"
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self):
        return f"{self.scope}:{self.key}"
