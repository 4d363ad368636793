"""``Idempotency-Key`` on POST: one effect per key and caller, the stored answer on retry."""

import functools
import hashlib
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
KEPT_HEADERS = ("Location", "ETag")


class InvalidIdempotencyKey(Problem):
    problem_type = "invalid-idempotency-key"
    title = _("Invalid Idempotency-Key")
    default_detail = _("An Idempotency-Key is 1 to 255 visible ASCII characters, no spaces.")


def _fingerprint(request) -> str:
    body = request.data if isinstance(request.data, dict | list) else {}
    canonical = json.dumps(
        [request.method, request.path, body], sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


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


def idempotent(handler):
    """Decorate a POST handler of a DRF view so that ``Idempotency-Key`` is honoured."""

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
            if earlier.request_hash != fingerprint:
                raise IdempotencyKeyReused()
            if earlier.state == IdempotencyKey.State.IN_FLIGHT:
                raise IdempotencyInFlight()
            response = Response(earlier.response_body, status=earlier.response_status)
            for name, value in earlier.response_headers.items():
                response[name] = value
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
            response_body=json.loads(json.dumps(response.data, default=str)),
            response_headers={h: response[h] for h in KEPT_HEADERS if response.has_header(h)},
        )
        return response

    return wrapper


def idempotency_keys_purge() -> int:
    """Forget keys older than their 24 hours."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    pattern=KEY_PATTERN.pattern,
    description="Retry-safe key: a repeat with the same body returns the stored response "
    "(kept 24 hours) with Idempotent-Replayed: true.",
)
