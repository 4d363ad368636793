"""Requests limited by their source before authentication: anonymous ones, failed ones, token
requests and admin sign-ins."""

import ipaddress
import logging

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import ratelimit
from .hooks import denial_recorder
from .problems import problem_json_response

logger = logging.getLogger(__name__)

TOKEN_PATH = "/o/token/"  # noqa: S105 (a path, not a secret)
ADMIN_LOGIN_PATH = "/admin/login/"


def source_of(request) -> str:
    """Where a request comes from: its client address (an IPv6 client by its /64 network), taken
    from ``X-Forwarded-For`` only as far as ``TRUSTED_PROXIES`` proxies vouch for it."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.TRUSTED_PROXIES:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        hops = [hop.strip() for hop in forwarded if hop.strip()]
        if hops:
            address = hops[-min(settings.TRUSTED_PROXIES, len(hops))]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _presents_credentials(request) -> bool:
    return "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES


class SourceThrottleMiddleware:
    """``API_SOURCE_RATE_LIMIT`` per source on the API, the token endpoint and the admin sign-in.

    Requests without credentials, and every token or sign-in request, count as they arrive;
    API requests with credentials count when they fail (401). Once a source has used its
    allowance, whatever it sends there is refused with 429 before authentication: no credential
    is looked up, and the audit trail only counts the refusal.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _guarded(request) -> bool:
        if request.path == ADMIN_LOGIN_PATH:
            return request.method == "POST"
        return request.path.startswith(("/api/", TOKEN_PATH))

    def __call__(self, request):
        if not self._guarded(request):
            return self.get_response(request)
        limit, period = ratelimit.parse_rate(settings.API_SOURCE_RATE_LIMIT)
        name = f"source:{source_of(request)}"
        counts_on_failure = _presents_credentials(request) and request.path.startswith("/api/")
        try:
            if counts_on_failure:
                window = ratelimit.current(name, period=period)
                exhausted = window.count >= limit
            else:
                window = ratelimit.hit(name, period=period)
                exhausted = window.count > limit
        except ratelimit.CountersUnavailable:
            logger.warning("Source limit not applied: the counters are unreachable", exc_info=True)
            return self.get_response(request)
        if exhausted:
            denial_recorder()(request, status_code=429)
            response = problem_json_response(
                status_code=429,
                problem_type="rate-limited",
                title=_("Too many requests"),
                detail=_("Too many unauthenticated or failed requests from your address."),
            )
            response["Retry-After"] = str(window.retry_after)
            return response
        response = self.get_response(request)
        if counts_on_failure and response.status_code == 401:
            try:
                ratelimit.hit(name, period=period)
            except ratelimit.CountersUnavailable:
                logger.warning("A failed request was not counted", exc_info=True)
        return response
