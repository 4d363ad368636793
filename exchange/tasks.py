"""Celery tasks of the exchange layer: delivery attempts and the periodic sweeps."""

from uuid import UUID

from celery import shared_task

from protocol.idempotency import idempotency_keys_purge

from . import refusals
from .audit_sealer import audit_seal_pending
from .delivery import attempt_time_limit, deliveries_attempt, deliveries_sweep, delivery_attempt


@shared_task
def purge_expired_idempotency_keys() -> int:
    return idempotency_keys_purge()


@shared_task(soft_time_limit=attempt_time_limit() * 0.8, time_limit=attempt_time_limit())
def deliver(delivery_id: str) -> str | None:
    delivery = delivery_attempt(delivery_id=UUID(delivery_id))
    return delivery.state if delivery else None


@shared_task(soft_time_limit=attempt_time_limit() * 0.8, time_limit=attempt_time_limit())
def deliver_emails(delivery_ids: list[str]) -> int:
    """A batch of emails, one attempt each, in the time of one attempt; the rest queued again."""
    return deliveries_attempt([UUID(delivery_id) for delivery_id in delivery_ids])


@shared_task
def sweep_deliveries() -> int:
    return deliveries_sweep()


@shared_task
def seal_refusal_windows() -> int:
    """Every minute: one audit row per source and finished minute of refused requests."""
    return refusals.seal_refusal_windows()


@shared_task(soft_time_limit=5, time_limit=10)
def seal_audit_log() -> int:
    """Each second: the audit rows sealed into the Merkle tree."""
    return audit_seal_pending()
