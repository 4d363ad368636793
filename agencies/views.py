"""The directory, the caller, and the agency admin's members and API clients."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from protocol.etags import IF_MATCH_PARAMETER as IF_MATCH
from protocol.etags import check_if_match, with_etag
from protocol.idempotency import IDEMPOTENCY_KEY_PARAMETER as IDEMPOTENCY_KEY
from protocol.idempotency import idempotent
from protocol.viewsets import (
    UUID_PATTERN,
    AuditedListModelMixin,
    ExchangeAPIView,
    ExchangeViewSet,
)

from . import schema_examples, selectors, services  # noqa: F401  (registers examples)
from .filters import AgencyFilter, CheckpointFilter
from .models import ApiClient, Membership
from .roles import Role
from .serializers import (
    AgencySerializer,
    ApiClientCreateSerializer,
    ApiClientSerializer,
    ApiClientWithSecretSerializer,
    CheckpointSerializer,
    MemberCreateSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
    MeSerializer,
)


@extend_schema_view(
    get=extend_schema(
        summary="The caller, agency, role and scopes",
        description=(
            "Who is calling: the person or API client, its agency, its role, the token's "
            "scopes and the X-On-Behalf-Of it sent. Use it to check a token."
        ),
    ),
)
class MeView(ExchangeAPIView):
    """Who is calling: the person or API client, its agency, role, scopes and on-behalf-of."""

    read_scope = None
    audit_denials = False

    @extend_schema(responses=MeSerializer, summary="The caller, agency, role and scopes")
    def get(self, request):
        caller = self.caller
        user = caller.user
        client = caller.api_client
        data = {
            "username": client.name if client else user.get_username(),
            "display_name": (client.name if client else user.get_full_name())
            or user.get_username(),
            "agency": caller.agency,
            "role": caller.role,
            "scopes": sorted(caller.scopes) if caller.scopes is not None else [],
            "api_client": client,
            "on_behalf_of": request.on_behalf_of,
        }
        return Response(MeSerializer(data).data)


@extend_schema_view(
    list=extend_schema(
        summary="List the agencies of the exchange",
        description=(
            "The directory: every agency, by code, with its country, kind and language. "
            "Filter by `country` and `kind`."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one agency by its code",
        description="One agency of the directory, named by its code (for example KH-MOSVY).",
    ),
)
class AgencyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ExchangeViewSet):
    """The directory of agencies, for any authenticated caller."""

    serializer_class = AgencySerializer
    filterset_class = AgencyFilter
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9-]+"
    cursor_ordering = ("code",)
    read_scope = None
    audit_denials = False

    def get_queryset(self):
        return selectors.agencies_directory()


@extend_schema_view(
    list=extend_schema(
        summary="List border checkpoints",
        description=(
            "The active border checkpoints and airports where handovers take place, with "
            "the two countries each joins."
        ),
    ),
)
class CheckpointViewSet(mixins.ListModelMixin, ExchangeViewSet):
    """Border checkpoints and airports where handovers take place."""

    serializer_class = CheckpointSerializer
    filterset_class = CheckpointFilter
    cursor_ordering = ("code",)
    read_scope = None
    audit_denials = False

    def get_queryset(self):
        return selectors.checkpoints_active()


class AgencyAdminViewSet(ExchangeViewSet):
    """Agency admins managing their own agency, never another's."""

    lookup_value_regex = UUID_PATTERN
    allowed_roles = {Role.ADMIN}
    read_scope = "agency:admin"
    write_scope = "agency:admin"


@extend_schema_view(
    list=extend_schema(
        summary="List your agency's members",
        description=(
            "The people of your agency with their roles, newest first. Agency admins only; "
            "the read is audited."
        ),
    ),
    create=extend_schema(
        summary="Add a member to your agency",
        description=(
            "Creates a person of your agency with a role. The password, when given, must "
            "pass the password rules."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one member",
        description="One member of your agency with its ETag; another agency's members are 404.",
    ),
    partial_update=extend_schema(
        summary="Change a member's role",
        description=(
            "Gives a member another role; `If-Match` with the ETag you read is required. Audited."
        ),
    ),
    destroy=extend_schema(
        summary="Deactivate a member",
        description="The member can no longer sign in; the record stays for the audit trail.",
    ),
)
class MemberViewSet(AuditedListModelMixin, AgencyAdminViewSet):
    """The people of the caller's agency; every read and change is in the audit trail."""

    serializer_class = MemberSerializer
    cursor_ordering = ("-created_at", "-pk")
    audit_object_type = "member"

    def get_queryset(self):
        if self.is_schema_request:
            return Membership.objects.none()
        return selectors.members_of(self.caller.agency)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def replay_member(self, request, membership_id):
        membership = get_object_or_404(self.get_queryset(), pk=membership_id)
        return with_etag(Response(MemberSerializer(membership).data), membership)

    @extend_schema(
        request=MemberCreateSerializer,
        responses={201: MemberSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent("replay_member")
    def create(self, request):
        serializer = MemberCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.member_create(
            actor=self.caller, agency=self.caller.agency, **serializer.validated_data
        )
        return with_etag(
            Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED), membership
        )

    def retrieve(self, request, pk=None):
        membership = self.get_object()
        self.audit_read(membership)
        return with_etag(Response(MemberSerializer(membership).data), membership)

    @extend_schema(
        request=MemberUpdateSerializer, responses=MemberSerializer, parameters=[IF_MATCH]
    )
    def partial_update(self, request, pk=None):
        membership = self.get_object()
        check_if_match(request, membership, required=True)
        serializer = MemberUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.membership_change_role(
            actor=self.caller, membership=membership, role=serializer.validated_data["role"]
        )
        return with_etag(Response(MemberSerializer(membership).data), membership)

    @extend_schema(request=None, responses={204: None}, parameters=[IF_MATCH])
    def destroy(self, request, pk=None):
        """Deactivate a member: they can no longer sign in; the record stays."""
        membership = self.get_object()
        check_if_match(request, membership, required=True)
        services.membership_deactivate(actor=self.caller, membership=membership)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List your agency's API clients",
        description=(
            "The partner systems registered for your agency, with role, scopes and whether revoked."
        ),
    ),
    create=extend_schema(
        summary="Register a partner system; the secret is shown once",
        description=(
            "Creates an OAuth2 client-credentials client for your agency with a role and "
            "scopes within that role's reach."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one API client",
        description="One partner system of your agency; its secret is never shown again.",
    ),
    rotate=extend_schema(
        summary="Issue a new secret for an API client",
        description="A new secret, shown once; the client's current tokens stop working at once.",
    ),
    revoke=extend_schema(
        summary="Revoke an API client",
        description="Stops the client at once: its tokens stop working and it gets no new ones.",
    ),
)
class ApiClientViewSet(AuditedListModelMixin, AgencyAdminViewSet):
    """The partner systems of the caller's agency; every read and change is in the audit trail."""

    serializer_class = ApiClientSerializer
    cursor_ordering = ("-created_at", "-pk")
    audit_object_type = "client"

    def get_queryset(self):
        if self.is_schema_request:
            return ApiClient.objects.none()
        return selectors.api_clients_of(self.caller.agency)

    def retrieve(self, request, pk=None):
        client = self.get_object()
        self.audit_read(client)
        return Response(ApiClientSerializer(client).data)

    def replay_client(self, request, client_id):
        client = get_object_or_404(self.get_queryset(), pk=client_id)
        return Response(ApiClientSerializer(client).data)

    def replay_client_secret(self, request, client_id):
        """The client as the first answer showed it, but its secret is never shown again."""
        client = get_object_or_404(self.get_queryset(), pk=client_id)
        return Response(ApiClientWithSecretSerializer(client).data)

    @extend_schema(
        request=ApiClientCreateSerializer,
        responses={201: ApiClientWithSecretSerializer},
        parameters=[IDEMPOTENCY_KEY],
        summary="Register a partner system; the secret is shown once",
    )
    @idempotent("replay_client_secret")
    def create(self, request):
        serializer = ApiClientCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        client, secret = services.api_client_create(
            actor=self.caller, agency=self.caller.agency, **serializer.validated_data
        )
        data = ApiClientWithSecretSerializer(client, context={"client_secret": secret}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None, responses=ApiClientWithSecretSerializer, parameters=[IDEMPOTENCY_KEY]
    )
    @action(detail=True, methods=["post"])
    @idempotent("replay_client_secret")
    def rotate(self, request, pk=None):
        """Issue a new secret (shown once) and end the client's current tokens."""
        client, secret = services.api_client_rotate_secret(
            actor=self.caller, client=self.get_object()
        )
        return Response(
            ApiClientWithSecretSerializer(client, context={"client_secret": secret}).data
        )

    @extend_schema(request=None, responses=ApiClientSerializer, parameters=[IDEMPOTENCY_KEY])
    @action(detail=True, methods=["post"])
    @idempotent("replay_client")
    def revoke(self, request, pk=None):
        """Stop the client at once: its tokens stop working and it gets no new ones."""
        client = services.api_client_revoke(actor=self.caller, client=self.get_object())
        return Response(ApiClientSerializer(client).data)
