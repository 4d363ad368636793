"""Rate limits per API client (or per signed-in person); 429 with Retry-After."""

import logging

from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from .hooks import caller_identity

logger = logging.getLogger(__name__)


class CallerRateThrottle(SimpleRateThrottle):
    scope = "caller"

    def get_cache_key(self, request, view):
        ident = caller_identity(request) or f"anon:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        # The exchange keeps working while the cache is down; only the rate limit lapses.
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            logger.warning("Rate limit not applied: the cache is unreachable", exc_info=True)
            return True
