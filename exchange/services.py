"""Writes of the exchange layer: the event outbox, webhook endpoints, redelivery."""

from collections.abc import Iterable, Sequence
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency
from protocol.counters import counter_next
from protocol.problems import Conflict, DeliveryInProgress, EndpointDisabled
from protocol.rows import rows_insert

from .audit import audit_record
from .delivery import (
    deliveries_enqueue_on_commit,
    deliveries_enqueue_rows_on_commit,
    deliveries_plan,
)
from .egress import webhook_url_check
from .events import EVENT_TYPES, event_data_check, event_types_clean
from .models import Delivery, Event, EventAudience, WebhookEndpoint
from .webhooks import webhook_secret_new

EVENT_SEQUENCE = "events"
EVENT_FIELDS = Event._meta.concrete_fields


def _audit_webhook_change(actor, action: str, endpoint: WebhookEndpoint) -> None:
    """One audit row per change to where an agency's events go; never the URL or the secret."""
    audit_record(
        actor=actor,
        action=action,
        object_type="webhook",
        object_id=endpoint.pk,
        agencies=[endpoint.agency],
    )


def event_emit(
    *,
    type: str,
    object_type: str,
    object_id: UUID | None,
    reference: str = "",
    agencies: Iterable[Agency],
    actor_agency: Agency | None = None,
    data: dict | None = None,
) -> Event:
    """Append an event for the agencies it concerns, in the caller's transaction.

    Its deliveries (webhooks, emails) are written in the same transaction and queued on commit:
    a rolled-back change notifies no one, a committed one is never lost.
    """
    event = Event(
        type=type,
        object_type=object_type,
        object_id=object_id,
        reference=reference,
        actor_agency=actor_agency,
        data=data or {},
    )
    return events_emit([(event, agencies)])[0]


def events_emit(drafts: Sequence[tuple[Event, Iterable[Agency]]]) -> list[Event]:
    """Append unsaved events, each for the agencies it concerns, with a few statements in all.

    As ``event_emit``, for many events at once: the sequences are taken in one step, the
    endpoints read in one query, and the events, their audience and their deliveries written
    in one statement.
    """
    if not drafts:
        return []
    last = counter_next(EVENT_SEQUENCE, count=len(drafts))
    now = timezone.now()
    events, audiences, audience_rows = [], [], []
    for sequence, (event, agencies) in enumerate(drafts, start=last - len(drafts) + 1):
        if event.type not in EVENT_TYPES:
            raise ValueError(f"Unknown event type {event.type}: the contract describes none.")
        event.data = event_data_check(event.data)
        event.sequence = sequence
        event.created_at = now
        audience = {agency.pk: agency for agency in agencies}
        audience_rows += [
            {"event_id": event.pk, "agency_id": pk, "sequence": sequence} for pk in audience
        ]
        events.append(event)
        audiences.append(audience.values())
    deliveries = deliveries_plan(list(zip(events, audiences, strict=True)))
    rows_insert(
        (Event, [{f.attname: getattr(e, f.attname) for f in EVENT_FIELDS} for e in events]),
        (EventAudience, audience_rows),
        (Delivery, deliveries),
    )
    for event in events:
        event._state.adding = False
        event._state.db = DEFAULT_DB_ALIAS
    deliveries_enqueue_rows_on_commit(deliveries)
    return events


ENDPOINTS_PER_AGENCY = 10


@transaction.atomic
def webhook_endpoint_create(
    *,
    agency: Agency,
    url: str,
    event_types: Iterable[str] = (),
    description: str = "",
    actor=None,
) -> tuple[WebhookEndpoint, str]:
    """Register a partner's webhook URL; returns it and its secret, which is never shown again."""
    webhook_url_check(url)
    event_types = event_types_clean(event_types)
    # Serialise creations per agency so the limit holds under concurrent requests.
    Agency.objects.select_for_update().filter(pk=agency.pk).first()
    if WebhookEndpoint.objects.filter(agency=agency).count() >= ENDPOINTS_PER_AGENCY:
        raise ValidationError(
            _("An agency may have at most %(limit)d webhook endpoints.")
            % {"limit": ENDPOINTS_PER_AGENCY}
        )
    secret = webhook_secret_new()
    endpoint = WebhookEndpoint.objects.create(
        agency=agency,
        url=url,
        event_types=event_types,
        description=description,
        secret=secret,
        created_by=actor.user if actor else None,
    )
    _audit_webhook_change(actor, "webhook.created", endpoint)
    return endpoint, secret


def _locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return (
        WebhookEndpoint.objects.select_for_update(of=("self",))
        .select_related("agency")
        .get(pk=endpoint.pk)
    )


@transaction.atomic
def webhook_endpoint_update(
    *,
    actor,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint; enabling it again clears why it was disabled.

    Nothing to change changes nothing: no new version (a partner's ETag stays good), no audit.
    """
    endpoint = _locked(endpoint)
    wanted = {
        "url": url,
        "event_types": None if event_types is None else event_types_clean(event_types),
        "description": description,
        "is_active": is_active,
    }
    changes = {
        field: value
        for field, value in wanted.items()
        if value is not None and value != getattr(endpoint, field)
    }
    if not changes:
        return endpoint
    if "url" in changes:
        webhook_url_check(url)
    if "is_active" in changes:
        changes["disabled_reason"] = "" if is_active else "Disabled by an agency admin."
    for field, value in changes.items():
        setattr(endpoint, field, value)
    endpoint.version = F("version") + 1
    endpoint.save()
    endpoint.refresh_from_db()
    _audit_webhook_change(actor, "webhook.updated", endpoint)
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, actor, endpoint: WebhookEndpoint
) -> tuple[WebhookEndpoint, str]:
    """A new secret (shown once); the old one keeps signing too until the overlap ends."""
    endpoint = _locked(endpoint)
    secret = webhook_secret_new()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + settings.WEBHOOK_SECRET_OVERLAP
    endpoint.secret = secret
    endpoint.version = F("version") + 1
    endpoint.save()
    endpoint.refresh_from_db()
    _audit_webhook_change(actor, "webhook.secret_rotated", endpoint)
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_delete(*, actor, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its deliveries; nothing more is sent to it."""
    endpoint = _locked(endpoint)
    _audit_webhook_change(actor, "webhook.deleted", endpoint)
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_test(*, actor, endpoint: WebhookEndpoint) -> Delivery:
    """Send a signed ``webhook.test`` message to the endpoint, once, through the dispatcher."""
    endpoint = _locked(endpoint)
    if not endpoint.is_active:
        raise EndpointDisabled()
    now = timezone.now()
    delivery = Delivery.objects.create(
        channel=Delivery.Channel.WEBHOOK,
        agency=endpoint.agency,
        endpoint=endpoint,
        next_attempt_at=now,
        retry_until=now,
        enqueued_at=now,
    )
    deliveries_enqueue_on_commit([delivery.pk])
    _audit_webhook_change(actor, "webhook.tested", endpoint)
    return delivery


@transaction.atomic
def delivery_redeliver(*, actor, delivery: Delivery) -> Delivery:
    """Send a delivery again now, with the same ``webhook-id`` and a new retry window."""
    delivery = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("endpoint", "agency")
        .get(pk=delivery.pk)
    )
    now = timezone.now()
    if not delivery.agency.is_active:
        raise Conflict(_("The agency is not active: it receives no deliveries."))
    if delivery.lease_expires_at and delivery.lease_expires_at > now:
        raise DeliveryInProgress()
    if delivery.endpoint is not None and not delivery.endpoint.is_active:
        raise EndpointDisabled()
    delivery.state = Delivery.State.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.retry_until = now + (
        settings.DELIVERY_RETRY_WINDOW if not delivery.is_test else timedelta(0)
    )
    delivery.enqueued_at = now
    delivery.delivered_at = None
    delivery.save()
    deliveries_enqueue_on_commit([delivery.pk])
    audit_record(
        actor=actor,
        action="delivery.redelivered",
        object_type="delivery",
        object_id=delivery.pk,
        agencies=[delivery.agency],
    )
    return delivery
