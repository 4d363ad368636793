"""Periodic upkeep of the exchange layer."""

from celery import shared_task

from .audit import audit_checkpoint_publish
from .idempotency import idempotency_keys_purge


@shared_task
def purge_expired_idempotency_keys() -> int:
    return idempotency_keys_purge()


@shared_task
def publish_audit_checkpoint() -> int | None:
    """Hourly: the sequence of the head published, or None when it has not moved."""
    event = audit_checkpoint_publish()
    return event.data["sequence"] if event else None
