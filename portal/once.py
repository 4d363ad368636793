"""A form submitted twice makes one change: the form's idempotency key, kept 24 hours."""

from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from protocol.idempotency import KEY_PATTERN
from protocol.models import IdempotencyKey

FORM_FINGERPRINT = "portal-form"


def submit_once(user, key: str, make: Callable[[], str]) -> str:
    """Run ``make`` (returning the URL to go to) once per (user, key); a repeat gets that URL.

    The key row is written in the same transaction as the change, so a concurrent repeat waits
    on its unique index and then finds the completed answer.
    """
    if not KEY_PATTERN.match(key or ""):
        return make()
    scope = f"portal:user:{user.pk}"
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    scope=scope,
                    key=key,
                    request_hash=FORM_FINGERPRINT,
                    state=IdempotencyKey.State.COMPLETED,
                    expires_at=timezone.now() + settings.IDEMPOTENCY_KEY_TTL,
                )
        except IntegrityError:
            earlier = IdempotencyKey.objects.get(scope=scope, key=key)
            return earlier.resource_id or "/"
        location = make()
        # The page the change made (a case's path): no personal data is kept with the key.
        record.response_status = 303
        record.resource_id = location
        record.save(update_fields=["response_status", "resource_id"])
        return location
