"""Rate limits per API client (or per signed-in person); 429 with Retry-After."""

from rest_framework.throttling import SimpleRateThrottle

from agencies.authentication import caller_of


class CallerRateThrottle(SimpleRateThrottle):
    scope = "caller"

    def get_cache_key(self, request, view):
        caller = caller_of(request)
        if caller is None:
            ident = f"anon:{self.get_ident(request)}"
        elif caller.api_client is not None:
            ident = f"client:{caller.api_client.pk}"
        else:
            ident = f"user:{caller.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
