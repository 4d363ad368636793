"""The dispatcher: deliveries planned with their event, queued on commit, claimed, swept."""

import functools
import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from agencies.models import Agency
from protocol.rows import appended_id

from .email import email_addresses, email_send
from .events import NOT_EMAILED
from .models import Delivery, Event, WebhookEndpoint
from .outcomes import AttemptOutcome
from .webhooks import webhook_send

logger = logging.getLogger(__name__)

DELIVER_TASK = "exchange.tasks.deliver"
DELIVER_EMAILS_TASK = "exchange.tasks.deliver_emails"
# Emails all leave through the one mail relay, so they go in batches, a message a batch; a
# webhook gets a task of its own, so that one partner's slow endpoint holds up no other.
EMAIL_BATCH = 100
# While the broker is known to be down, writers do not wait for it: the sweep catches up.
BROKER_PAUSE_SECONDS = 5.0
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
# A backlog (after an outage) drains at up to this many batches a minute.
SWEEP_BATCHES_PER_RUN = 20

_broker_paused_until = 0.0


def attempt_time_limit() -> float:
    """Seconds an attempt may run before it is stopped: well inside its lease."""
    return settings.DELIVERY_LEASE.total_seconds() * 0.75


def deliveries_plan(events: Sequence[tuple[Event, Iterable[Agency]]]) -> list[dict]:
    """The deliveries of new events, as rows for their transaction (``rows_insert``).

    One per active endpoint of each concerned agency that subscribes to the type, and one
    email per concerned agency with a notification address, except the agency that acted.
    The caller writes them and queues them on commit (``deliveries_enqueue_on_commit``).
    """
    events = [(event, [a for a in agencies if a.is_active]) for event, agencies in events]
    now = timezone.now()
    endpoints_of = defaultdict(list)
    # What a plan needs of each endpoint: its secrets are opened only when one is delivered to.
    for endpoint in WebhookEndpoint.objects.filter(
        agency__in={agency.pk for _, agencies in events for agency in agencies}, is_active=True
    ).only("id", "agency_id", "event_types"):
        endpoints_of[endpoint.agency_id].append(endpoint)
    deliveries = []
    pending = {
        "next_attempt_at": now,
        "retry_until": now + settings.DELIVERY_RETRY_WINDOW,
        "enqueued_at": now,
    }
    webhook, email = Delivery.Channel.WEBHOOK.value, Delivery.Channel.EMAIL.value
    for event, agencies in events:
        deliveries += [
            {
                "id": appended_id(),
                "event_id": event.pk,
                "channel": webhook,
                "agency_id": endpoint.agency_id,
                "endpoint_id": endpoint.pk,
                **pending,
            }
            for agency in agencies
            for endpoint in endpoints_of[agency.pk]
            if endpoint.subscribes_to(event.type)
        ]
        if event.type not in NOT_EMAILED:
            deliveries += [
                {
                    "id": appended_id(),
                    "event_id": event.pk,
                    "channel": email,
                    "agency_id": agency.pk,
                    **pending,
                }
                for agency in agencies
                if agency.pk != event.actor_agency_id
                # The address first: only an escalation without one asks for the admins'.
                and (agency.notification_email or email_addresses(event, agency)[0])
            ]
    return deliveries


def deliveries_enqueue_on_commit(delivery_ids: list[uuid.UUID], *, emails=()) -> None:
    """Queue deliveries once the transaction commits: each of ``delivery_ids`` as a task of its
    own, the ``emails`` in batches of ``EMAIL_BATCH``."""
    if delivery_ids or emails:
        queued = functools.partial(_enqueue, list(delivery_ids), list(emails))
        transaction.on_commit(queued, robust=True)


def deliveries_enqueue_rows_on_commit(deliveries: Sequence[dict]) -> None:
    """``deliveries_enqueue_on_commit`` of planned rows (``deliveries_plan``), split by channel."""
    email = Delivery.Channel.EMAIL.value
    deliveries_enqueue_on_commit(
        [row["id"] for row in deliveries if row["channel"] != email],
        emails=[row["id"] for row in deliveries if row["channel"] == email],
    )


def _enqueue(delivery_ids: list[uuid.UUID], emails: Sequence[uuid.UUID] = ()) -> None:
    """Hand the deliveries to the broker; if it is down, leave them to the sweep."""
    global _broker_paused_until
    if time.monotonic() >= _broker_paused_until:
        messages = [(DELIVER_TASK, str(delivery_id)) for delivery_id in delivery_ids] + [
            (
                DELIVER_EMAILS_TASK,
                [str(delivery_id) for delivery_id in emails[start : start + EMAIL_BATCH]],
            )
            for start in range(0, len(emails), EMAIL_BATCH)
        ]
        try:
            with current_app.producer_or_acquire() as producer:
                for task, argument in messages:
                    current_app.send_task(
                        task,
                        args=[argument],
                        producer=producer,
                        retry_policy=PUBLISH_RETRY_POLICY,
                    )
            return
        except Exception:
            logger.warning(
                "Broker unavailable: %d deliveries left to the sweep",
                len(delivery_ids) + len(emails),
            )
            _broker_paused_until = time.monotonic() + BROKER_PAUSE_SECONDS
    Delivery.objects.filter(pk__in=[*delivery_ids, *emails]).update(enqueued_at=None)


def deliveries_sweep(*, now: datetime | None = None) -> int:
    """Queue again every due delivery that no worker holds and no queued task will send.

    The rows are the truth and the broker only a hint: this is how a delivery reaches a worker
    when the broker was down, lost its queue, or a worker died in the middle of sending it.
    """
    now = now or timezone.now()
    swept = 0
    for _ in range(SWEEP_BATCHES_PER_RUN):
        batch = _sweep_batch(now)
        swept += batch
        if batch < settings.DELIVERY_SWEEP_BATCH:
            break
    return swept


def _sweep_batch(now: datetime) -> int:
    with transaction.atomic():
        due = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(state__in=Delivery.OPEN_STATES, next_attempt_at__lte=now)
            .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
            .filter(
                Q(enqueued_at__isnull=True)
                | Q(enqueued_at__lte=now - settings.DELIVERY_REQUEUE_AFTER)
            )
            .order_by("next_attempt_at")
            .values("id", "channel")[: settings.DELIVERY_SWEEP_BATCH]
        )
        Delivery.objects.filter(pk__in=[row["id"] for row in due]).update(enqueued_at=now)
        deliveries_enqueue_rows_on_commit(due)
    return len(due)


def _claim(delivery_id: uuid.UUID) -> Delivery | None:
    """Take the delivery for one attempt, unless it is not due or another worker holds it."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event__actor_agency", "endpoint", "agency")
            .filter(pk=delivery_id, state__in=Delivery.OPEN_STATES, next_attempt_at__lte=now)
            .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now))
            .first()
        )
        if delivery is None:
            return None
        delivery.lease_token = uuid.uuid4()
        delivery.lease_expires_at = now + settings.DELIVERY_LEASE
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.enqueued_at = None
        delivery.save(
            update_fields=[
                "lease_token",
                "lease_expires_at",
                "attempts",
                "last_attempt_at",
                "enqueued_at",
            ]
        )
    return delivery


def retry_at(
    *, attempts: int, now: datetime, retry_until: datetime, retry_after: timedelta | None = None
) -> datetime | None:
    """When to try again: ``Retry-After`` if the receiver gave one, else exponential backoff
    with full jitter; None once the retry window is over."""
    if now >= retry_until:
        return None
    if retry_after is not None:
        return now + retry_after if retry_after <= retry_until - now else None
    base = settings.DELIVERY_RETRY_BASE.total_seconds()
    ceiling = min(settings.DELIVERY_RETRY_CAP.total_seconds(), base * 2 ** min(attempts - 1, 32))
    return min(now + timedelta(seconds=random.uniform(0, ceiling)), retry_until)


def _record(delivery: Delivery, outcome: AttemptOutcome) -> Delivery | None:
    now = timezone.now()
    changes = {
        "lease_token": None,
        "lease_expires_at": None,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:500],
        "next_attempt_at": None,
    }
    if outcome.delivered:
        changes.update(state=Delivery.State.DELIVERED, delivered_at=now)
    elif outcome.gone or outcome.permanent:
        changes.update(state=Delivery.State.DEAD)
    else:
        next_attempt_at = retry_at(
            attempts=delivery.attempts,
            now=now,
            retry_until=delivery.retry_until,
            retry_after=outcome.retry_after,
        )
        if next_attempt_at is None:
            changes.update(state=Delivery.State.DEAD)
        else:
            changes.update(state=Delivery.State.FAILED, next_attempt_at=next_attempt_at)
    with transaction.atomic():
        # Only the holder of the lease records: a late attempt never overwrites a newer one.
        held = Delivery.objects.filter(pk=delivery.pk, lease_token=delivery.lease_token)
        recorded = held.update(**changes)
        if recorded and outcome.gone:
            _endpoint_gone(delivery.endpoint_id)
    if not recorded:
        logger.warning("Delivery %s: lease lost before the outcome was recorded", delivery.pk)
        return Delivery.objects.filter(pk=delivery.pk).first()
    for name, value in changes.items():
        setattr(delivery, name, value)
    return delivery


def _endpoint_gone(endpoint_id: uuid.UUID) -> None:
    """A 410 Gone: the receiver says the URL is no more. Disable it and stop sending to it."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        is_active=False,
        disabled_reason="The endpoint answered 410 Gone.",
        updated_at=timezone.now(),
    )
    Delivery.objects.filter(endpoint_id=endpoint_id, state__in=Delivery.OPEN_STATES).filter(
        Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=timezone.now())
    ).update(
        state=Delivery.State.DEAD, next_attempt_at=None, last_error="The endpoint is disabled."
    )


def deliveries_attempt(delivery_ids: Sequence[uuid.UUID], *, budget: float | None = None) -> int:
    """Try deliveries one after the other, each as ``delivery_attempt``; returns how many.

    Those not reached within ``budget`` seconds (half an attempt's time limit) are queued again,
    so that a batch ends well inside its task's time limit and no attempt outlives its lease.
    """
    budget = attempt_time_limit() / 2 if budget is None else budget
    started = time.monotonic()
    for tried, delivery_id in enumerate(delivery_ids):
        if time.monotonic() - started > budget:
            _enqueue([], delivery_ids[tried:])
            return tried
        delivery_attempt(delivery_id=delivery_id)
    return len(delivery_ids)


def delivery_attempt(*, delivery_id: uuid.UUID) -> Delivery | None:
    """Try one delivery once and record how it went; None if it was not ours to try."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    try:
        if not delivery.agency.is_active:
            # A deactivated agency receives nothing, by any channel, until it is active again.
            outcome = AttemptOutcome(permanent=True, error="The agency is not active.")
        elif delivery.channel == Delivery.Channel.WEBHOOK:
            outcome = webhook_send(delivery)
        else:
            outcome = email_send(delivery)
    except SoftTimeLimitExceeded:
        outcome = AttemptOutcome(error="The attempt took too long.")
    except Exception:
        logger.exception("Delivery %s: attempt failed", delivery.pk)
        outcome = AttemptOutcome(error="Internal error while sending; it will be retried.")
    return _record(delivery, outcome)
