"""Who is calling: partner systems by OAuth2 bearer token, people by session."""

import hashlib
from dataclasses import dataclass

from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import Agency, ApiClient, Membership
from .roles import Role


@dataclass(frozen=True)
class Caller:
    """The acting user with their agency, role, API client and granted scopes."""

    user: object
    membership: Membership | None
    api_client: ApiClient | None = None
    scopes: frozenset[str] | None = None  # None: a person on a session, governed by role alone
    on_behalf_of: str | None = None  # the partner's own officer id, from X-On-Behalf-Of

    @property
    def agency(self) -> Agency | None:
        return self.membership.agency if self.membership else None

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def is_auditor(self) -> bool:
        """An auditor of an agency (a superuser reads as a platform operator, not as one)."""
        return self.role == Role.AUDITOR and not self.user.is_superuser

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes


def caller_of(request) -> Caller | None:
    """The caller of an authenticated request, built once per request."""
    caller = getattr(request, "_caller", None)
    if caller is not None:
        return caller
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    # Token callers were set by the authentication class; this is a person on a session.
    caller = Caller(
        user=user,
        membership=Membership.objects.select_related("agency").filter(user=user).first(),
        on_behalf_of=getattr(request, "on_behalf_of", None),
    )
    request._caller = caller
    return caller


def caller_identity(request) -> str | None:
    """The key rate limits and idempotency keys are counted under: the API client or the person."""
    caller = caller_of(request)
    if caller is None:
        return None
    if caller.api_client is not None:
        return f"client:{caller.api_client.pk}"
    return f"user:{caller.user.pk}"


class ApiClientTokenAuthentication(BaseAuthentication):
    """Bearer tokens of the client-credentials grant, mapped to the client's service user."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Malformed bearer token.") from exc
        # The checksum is unique: get() reads one row without ordering the table for first().
        try:
            token = AccessToken.objects.select_related(
                "application__api_client__service_user__membership__agency"
            ).get(token_checksum=hashlib.sha256(raw.encode()).hexdigest())
        except AccessToken.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed(
                "The access token is invalid or has expired."
            ) from exc
        client = getattr(token.application, "api_client", None) if token.application else None
        # The audit trail names the client of a refused token.
        request._request.presented_api_client = client
        if token.expires <= timezone.now():
            raise exceptions.AuthenticationFailed("The access token is invalid or has expired.")
        if client is None or client.is_revoked or not client.service_user.is_active:
            raise exceptions.AuthenticationFailed("The API client has been revoked.")
        user = client.service_user
        # The service user's membership is the client's agency: the one the caller acts for.
        if not user.membership.agency.is_active:
            raise exceptions.AuthenticationFailed("The client's agency is not active.")
        request._request._caller = Caller(
            user=user,
            membership=user.membership,
            api_client=client,
            scopes=frozenset(token.scope.split()),
            on_behalf_of=getattr(request._request, "on_behalf_of", None),
        )
        return user, token

    def authenticate_header(self, request):
        return 'Bearer realm="mekong-exchange"'
