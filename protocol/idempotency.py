"""``Idempotency-Key`` on POST: one effect per key and caller, the same resource on retry.

The store keeps the request's fingerprint, the status and the id of the resource the request
acted on, never a response body: a retry is rendered again from the resource as the caller
may see it now, so neither secrets shown once nor personal data are kept here.
"""

import functools
import hashlib
import hmac
import json
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from .hooks import caller_identity
from .models import IdempotencyKey
from .problems import IdempotencyInFlight, IdempotencyKeyReused, Problem

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[!-~]{1,255}$")
REPLAYED_HEADER = "Idempotent-Replayed"


class InvalidIdempotencyKey(Problem):
    problem_type = "invalid-idempotency-key"
    title = _("Invalid Idempotency-Key")
    default_detail = _("An Idempotency-Key is 1 to 255 visible ASCII characters, no spaces.")


def _fingerprint(request) -> str:
    """A keyed digest of the request: equal requests match, and no body can be guessed from it."""
    body = request.data if isinstance(request.data, dict | list) else {}
    canonical = json.dumps(
        [request.method, request.path, body], sort_keys=True, separators=(",", ":"), default=str
    )
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def _claim(scope: str, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Record the key as in flight; return the earlier record when the key is already taken."""
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    scope=scope,
                    key=key,
                    request_hash=fingerprint,
                    expires_at=now + settings.IDEMPOTENCY_KEY_TTL,
                )
            return None
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(scope=scope, key=key).first()
            if existing is None:
                continue
            stale_in_flight = (
                existing.state == IdempotencyKey.State.IN_FLIGHT
                and existing.created_at < now - settings.IDEMPOTENCY_IN_FLIGHT_TIMEOUT
            )
            if existing.expires_at <= now or stale_in_flight:
                existing.delete()
                continue
            return existing
    raise IdempotencyInFlight()


def _resource_id(response: Response) -> str:
    data = response.data
    return str(data.get("id") or "") if isinstance(data, dict) else ""


def idempotent(replay: str):
    """Honour ``Idempotency-Key`` on a POST handler of a DRF view.

    ``replay`` names the view's method ``(request, resource_id) -> Response`` that renders the
    resource again for a repeat; the first answer's status is kept, and a secret shown once
    is not shown again.
    """

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(self, request, *args, **kwargs):
            key = request.headers.get(HEADER)
            if key is None:
                return handler(self, request, *args, **kwargs)
            if not KEY_PATTERN.match(key):
                raise InvalidIdempotencyKey()
            scope = caller_identity(request)
            fingerprint = _fingerprint(request)
            earlier = _claim(scope, key, fingerprint)
            if earlier is not None:
                if not hmac.compare_digest(earlier.request_hash, fingerprint):
                    raise IdempotencyKeyReused()
                if earlier.state == IdempotencyKey.State.IN_FLIGHT:
                    raise IdempotencyInFlight()
                response = getattr(self, replay)(request, earlier.resource_id)
                response.status_code = earlier.response_status
                response[REPLAYED_HEADER] = "true"
                return response
            try:
                response = handler(self, request, *args, **kwargs)
            except BaseException:
                IdempotencyKey.objects.filter(scope=scope, key=key).delete()
                raise
            if response.status_code >= 500:
                IdempotencyKey.objects.filter(scope=scope, key=key).delete()
                return response
            IdempotencyKey.objects.filter(scope=scope, key=key).update(
                state=IdempotencyKey.State.COMPLETED,
                response_status=response.status_code,
                resource_id=_resource_id(response),
            )
            return response

        return wrapper

    return decorate


def idempotency_keys_purge() -> int:
    """Forget keys older than their 24 hours."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    pattern=KEY_PATTERN.pattern,
    description="Retry-safe key (kept 24 hours): a repeat with the same body answers with the "
    "first answer's status and the resource as it is now, Idempotent-Replayed: true; a secret "
    "shown once is not shown again.",
)
