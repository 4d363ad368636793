"""Webhook messages: secrets, Standard Webhooks signatures, the payload and one signed POST."""

import base64
import json
import logging
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from secrets import token_bytes

import httpcore
from django.conf import settings
from django.utils import timezone
from standardwebhooks import Webhook

from .egress import TargetRefused, webhook_post
from .events import TEST_EVENT_TYPE
from .models import Delivery, WebhookEndpoint
from .outcomes import AttemptOutcome
from .serializers import EventSerializer

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105  (the scheme's prefix, not a secret)
USER_AGENT = "MekongExchange-Webhooks/1.0"
RETRY_AFTER_STATUSES = {429, 503}


def webhook_secret_new() -> str:
    """A 256-bit signing secret in the Standard Webhooks form ``whsec_<base64>``."""
    return SECRET_PREFIX + base64.b64encode(token_bytes(32)).decode("ascii")


def webhook_signature(endpoint: WebhookEndpoint, *, msg_id: str, at: datetime, body: str) -> str:
    """``webhook-signature``: one ``v1,`` signature per secret still valid at ``at``.

    During a rotation the previous secret signs too, so receivers may switch at their pace.
    """
    secrets = [endpoint.secret]
    overlap_ends = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and overlap_ends and overlap_ends > at:
        secrets.append(endpoint.previous_secret)
    return " ".join(Webhook(secret).sign(msg_id, at, body) for secret in secrets)


def webhook_payload(delivery: Delivery) -> dict:
    """The body: ``type``, ``timestamp`` and ``data``, the event as the feed shows it."""
    if delivery.is_test:
        return {
            "type": TEST_EVENT_TYPE,
            "timestamp": delivery.created_at.isoformat().replace("+00:00", "Z"),
            "data": {"endpoint": str(delivery.endpoint_id), "agency": delivery.agency.code},
        }
    event = EventSerializer(delivery.event).data
    return {"type": event["type"], "timestamp": event["created_at"], "data": event}


def _retry_after(value: str | None) -> timedelta | None:
    """The receiver's ``Retry-After``, no longer than the retry window (a later time is the
    same answer: not within the window), or None when there is none or it is unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        window = settings.DELIVERY_RETRY_WINDOW.total_seconds()
        return timedelta(seconds=min(int(value), window))
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        return None
    return max(at - timezone.now(), timedelta(0))


def webhook_send(delivery: Delivery) -> AttemptOutcome:
    """One signed POST of the delivery to its endpoint; the outcome, never an exception."""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return AttemptOutcome(permanent=True, error="The endpoint is disabled.")
    body = json.dumps(webhook_payload(delivery), ensure_ascii=False, separators=(",", ":"))
    msg_id = str(delivery.id)
    now = timezone.now()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": webhook_signature(endpoint, msg_id=msg_id, at=now, body=body),
    }
    try:
        status, answer = webhook_post(endpoint.url, body=body.encode(), headers=headers)
    except TargetRefused as exc:
        return AttemptOutcome(error=f"Refused: {exc}")
    except httpcore.TimeoutException as exc:
        return AttemptOutcome(error=f"Timed out ({type(exc).__name__}).")
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
        return AttemptOutcome(error=f"{type(exc).__name__}: {exc}"[:300])
    if 200 <= status < 300:
        return AttemptOutcome(delivered=True, status_code=status)
    if status == 410:
        return AttemptOutcome(status_code=status, gone=True, error="HTTP 410 Gone.")
    retry_after = (
        _retry_after(answer.get("retry-after")) if status in RETRY_AFTER_STATUSES else None
    )
    return AttemptOutcome(status_code=status, error=f"HTTP {status}.", retry_after=retry_after)
