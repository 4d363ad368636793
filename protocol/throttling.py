"""Rate limits per API client (or per signed-in person) on atomic counters; 429 with Retry-After."""

import logging

from rest_framework.throttling import SimpleRateThrottle

from . import ratelimit
from .hooks import caller_identity

logger = logging.getLogger(__name__)


class CallerRateThrottle(SimpleRateThrottle):
    """Authenticated callers only: anonymous requests are limited by source, before
    authentication (``protocol.sources``)."""

    scope = "caller"
    retry_after = None

    def get_cache_key(self, request, view):
        identity = caller_identity(request)
        return None if identity is None else f"caller:{identity}"

    def allow_request(self, request, view):
        key = self.get_cache_key(request, view) if self.rate else None
        if key is None:
            return True
        try:
            window = ratelimit.admit(key, limit=self.num_requests, period=self.duration)
        except ratelimit.CountersUnavailable:
            # The exchange keeps working while the counters are down; only the rate limit lapses.
            logger.warning("Rate limit not applied: the counters are unreachable", exc_info=True)
            return True
        self.retry_after = window.retry_after
        return window.admitted

    def wait(self):
        return self.retry_after
