"""The base of every API view: one permission path (membership, role, scope)."""

from rest_framework import viewsets
from rest_framework.views import APIView

from agencies.authentication import caller_of
from agencies.permissions import HasRole, HasScope, IsAgencyMember

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class CallerAccess:
    """Members of an active agency only; ``allowed_roles`` and the token's scopes narrow it."""

    permission_classes = [IsAgencyMember, HasRole, HasScope]
    allowed_roles = None
    read_scope = "referrals:read"
    write_scope = "referrals:write"

    @property
    def caller(self):
        return caller_of(self.request)

    @property
    def is_schema_request(self) -> bool:
        return getattr(self, "swagger_fake_view", False)


class ExchangeViewSet(CallerAccess, viewsets.GenericViewSet):
    pass


class ExchangeAPIView(CallerAccess, APIView):
    pass
