"""The event feed, webhooks and deliveries, the auditors' trail, the audited token endpoint."""

import base64
import binascii
import itertools
import logging
from urllib.parse import unquote_plus, urlencode

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django_filters import utils as filter_utils
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from oauth2_provider.views import TokenView
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from agencies.models import ApiClient
from agencies.roles import Role
from agencies.views import AgencyAdminViewSet
from protocol.etags import IF_MATCH_PARAMETER as IF_MATCH
from protocol.etags import check_if_match, with_etag
from protocol.filters import refuse_unknown_and_empty
from protocol.idempotency import IDEMPOTENCY_KEY_PARAMETER as IDEMPOTENCY_KEY
from protocol.idempotency import idempotent
from protocol.renderers import CsvStreamRenderer, csv_lines
from protocol.viewsets import ExchangeAPIView, ExchangeViewSet

from . import schema_examples, selectors, services  # noqa: F401  (registers examples)
from .audit import audit_events_visible_to, audit_record
from .filters import AuditEventFilter, DeliveryFilter
from .models import AuditEvent, Delivery, WebhookEndpoint
from .refusals import refusal_record
from .serializers import (
    AuditEventSerializer,
    DeliverySerializer,
    EventFeedQuerySerializer,
    EventPageSerializer,
    EventSerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
    WebhookEndpointWithSecretSerializer,
)

logger = logging.getLogger(__name__)


def _feed_query(params) -> tuple[int, int]:
    """``after`` and ``limit``; unknown or empty parameters are refused, never ignored."""
    refuse_unknown_and_empty(params, known={"after", "limit", "format"})
    query = EventFeedQuerySerializer(data=params)
    query.is_valid(raise_exception=True)
    return query.validated_data["after"], query.validated_data["limit"]


@extend_schema_view(
    get=extend_schema(
        summary="Your agency's events after a sequence, in order",
        description=(
            "The pull feed for partners that cannot receive webhooks: ask with the last "
            "`sequence` you processed as `after`; `next` is set while pages are full."
        ),
    ),
)
class EventFeedView(ExchangeAPIView):
    """The pull feed: the caller's agency's events in sequence, for partners without webhooks."""

    @extend_schema(
        parameters=[EventFeedQuerySerializer],
        responses=EventPageSerializer,
        summary="Your agency's events after a sequence, in order",
        operation_id="events_list",
    )
    def get(self, request):
        after, limit = _feed_query(request.query_params)
        events = selectors.events_for_agency(self.caller.agency, after=after, limit=limit)
        next_url = None
        if len(events) == limit:
            next_query = urlencode({"after": events[-1].sequence, "limit": limit})
            next_url = request.build_absolute_uri(f"{request.path}?{next_query}")
        return Response({"next": next_url, "results": EventSerializer(events, many=True).data})


DELIVERY_STATE_PARAMETER = OpenApiParameter("state", str, enum=Delivery.State.values)


@extend_schema_view(
    list=extend_schema(
        summary="List your agency's webhook endpoints",
        description="Where your agency's events are sent, with their subscriptions and state.",
    ),
    create=extend_schema(
        summary="Register a webhook endpoint; its signing secret is shown once",
        description=(
            "A URL that receives your agency's events (all, or the `event_types` named), "
            "signed with Standard Webhooks. Private network addresses are refused."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one webhook endpoint",
        description="One endpoint with its ETag; another agency's are 404.",
    ),
    partial_update=extend_schema(
        summary="Change a webhook endpoint",
        description=(
            "Changes its URL, description, subscriptions or whether it is active; "
            "`If-Match` is required."
        ),
    ),
    destroy=extend_schema(
        summary="Delete a webhook endpoint",
        description="No more events are sent to it; pending deliveries end.",
    ),
    rotate=extend_schema(
        summary="Issue a new signing secret for an endpoint",
        description=(
            "A new secret, shown once; the old one keeps signing alongside for 24 hours so "
            "receivers can switch."
        ),
    ),
    test=extend_schema(
        summary="Send a test message to an endpoint",
        description=(
            "Queues a signed `webhook.test` message to the endpoint and answers with its delivery."
        ),
    ),
    deliveries=extend_schema(
        summary="List an endpoint's deliveries",
        description=(
            "The deliveries to this endpoint, newest first, with attempts and the last "
            "error; filter by `state`."
        ),
    ),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, AgencyAdminViewSet):
    """The agency's webhook endpoints; another agency's are 404."""

    serializer_class = WebhookEndpointSerializer
    cursor_ordering = ("-created_at", "-pk")

    def get_queryset(self):
        if self.is_schema_request:
            return WebhookEndpoint.objects.none()
        return selectors.webhook_endpoints_of(self.caller.agency)

    def get_object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def replay_endpoint_secret(self, request, endpoint_id):
        """The endpoint as the first answer showed it, but its secret is never shown again."""
        endpoint = get_object_or_404(self.get_queryset(), pk=endpoint_id)
        return with_etag(Response(WebhookEndpointWithSecretSerializer(endpoint).data), endpoint)

    def replay_delivery(self, request, delivery_id):
        delivery = get_object_or_404(selectors.deliveries_of(self.caller.agency), pk=delivery_id)
        return Response(DeliverySerializer(delivery).data)

    @extend_schema(
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointWithSecretSerializer},
        parameters=[IDEMPOTENCY_KEY],
        summary="Register a webhook endpoint; its signing secret is shown once",
    )
    @idempotent("replay_endpoint_secret")
    def create(self, request):
        serializer = WebhookEndpointCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_create(
            agency=self.caller.agency, actor=self.caller, **serializer.validated_data
        )
        data = WebhookEndpointWithSecretSerializer(endpoint, context={"secret": secret}).data
        return with_etag(Response(data, status=status.HTTP_201_CREATED), endpoint)

    def retrieve(self, request, pk=None):
        endpoint = self.get_object()
        return with_etag(Response(WebhookEndpointSerializer(endpoint).data), endpoint)

    @extend_schema(
        request=WebhookEndpointUpdateSerializer,
        responses=WebhookEndpointSerializer,
        parameters=[IF_MATCH],
    )
    def partial_update(self, request, pk=None):
        endpoint = self.get_object()
        check_if_match(request, endpoint, required=True)
        serializer = WebhookEndpointUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(
            actor=self.caller, endpoint=endpoint, **serializer.validated_data
        )
        return with_etag(Response(WebhookEndpointSerializer(endpoint).data), endpoint)

    @extend_schema(request=None, responses={204: None}, parameters=[IF_MATCH])
    def destroy(self, request, pk=None):
        endpoint = self.get_object()
        check_if_match(request, endpoint, required=True)
        services.webhook_endpoint_delete(actor=self.caller, endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=WebhookEndpointWithSecretSerializer,
        parameters=[IDEMPOTENCY_KEY],
        summary="Issue a new signing secret (shown once); the old one signs too for 24 hours",
    )
    @action(detail=True, methods=["post"])
    @idempotent("replay_endpoint_secret")
    def rotate(self, request, pk=None):
        endpoint, secret = services.webhook_endpoint_rotate_secret(
            actor=self.caller, endpoint=self.get_object()
        )
        data = WebhookEndpointWithSecretSerializer(endpoint, context={"secret": secret}).data
        return with_etag(Response(data), endpoint)

    @extend_schema(
        request=None,
        responses={202: DeliverySerializer},
        parameters=[IDEMPOTENCY_KEY],
        summary="Send a signed webhook.test message to the endpoint",
    )
    @action(detail=True, methods=["post"])
    @idempotent("replay_delivery")
    def test(self, request, pk=None):
        delivery = services.webhook_endpoint_test(actor=self.caller, endpoint=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses=DeliverySerializer(many=True),
        parameters=[DELIVERY_STATE_PARAMETER],
        summary="The endpoint's deliveries, newest first",
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        queryset = selectors.deliveries_of(self.caller.agency).filter(endpoint=endpoint)
        filterset = DeliveryFilter(request.query_params, queryset=queryset, request=request)
        if not filterset.is_valid():
            raise filter_utils.translate_validation(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="List your agency's deliveries",
        description=(
            "Every delivery of your agency's events by webhook and email, newest first; "
            "filter by `state` and `channel`."
        ),
    ),
    retrieve=extend_schema(
        summary="Read one delivery",
        description="One delivery; its `id` is the `webhook-id` the receiver saw.",
    ),
    redeliver=extend_schema(
        summary="Send a delivery again now",
        description=(
            "Sends the delivery again at once, with the same `webhook-id`, whatever its state."
        ),
    ),
)
class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, AgencyAdminViewSet):
    """The agency's deliveries by webhook and email; ``id`` is the ``webhook-id``."""

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    cursor_ordering = ("-created_at", "-pk")

    def get_queryset(self):
        if self.is_schema_request:
            return Delivery.objects.none()
        return selectors.deliveries_of(self.caller.agency)

    replay_delivery = WebhookEndpointViewSet.replay_delivery

    @extend_schema(
        request=None,
        responses={202: DeliverySerializer},
        parameters=[IDEMPOTENCY_KEY],
        summary="Send a delivery again now, with the same webhook-id",
    )
    @action(detail=True, methods=["post"])
    @idempotent("replay_delivery")
    def redeliver(self, request, pk=None):
        delivery = get_object_or_404(self.get_queryset(), pk=pk)
        delivery = services.delivery_redeliver(actor=self.caller, delivery=delivery)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv"],
    description="csv: every matching event, oldest first, streamed as CSV (no pagination).",
)


@extend_schema_view(
    list=extend_schema(
        summary="Audit events visible to the auditor, newest first; CSV with ?format=csv",
        description=(
            "Who did what to which exchange, when, and with what outcome, within your audit "
            "scope; `?format=csv` streams every match. Each query is itself audited."
        ),
    ),
)
class AuditEventViewSet(ExchangeViewSet):
    """The audit trail for auditors: their country's exchanges, or all for international
    oversight. Each query is itself recorded."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    allowed_roles = {Role.AUDITOR}
    read_scope = "audit:read"
    cursor_ordering = ("-sequence",)
    audit_object_type = "audit_event"
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CsvStreamRenderer]

    def get_queryset(self):
        if self.is_schema_request:
            return AuditEvent.objects.none()
        return audit_events_visible_to(self.caller)

    @extend_schema(
        summary="Audit events visible to the auditor, newest first; CSV with ?format=csv",
        parameters=[FORMAT_PARAMETER],
        responses={
            (200, "application/json"): OpenApiResponse(
                AuditEventSerializer(many=True), description="A page of audit events."
            ),
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="Every matching event, one a line."
            ),
        },
    )
    def list(self, request):
        events = self.filter_queryset(self.get_queryset())
        as_csv = request.accepted_renderer.format == CsvStreamRenderer.format
        paging = sorted({"cursor", "limit"} & set(request.query_params))
        if as_csv and paging:
            raise ValidationError(
                {
                    name: [_("A CSV export holds every matching event; leave this out.")]
                    for name in paging
                }
            )
        audit_record(
            actor=self.caller,
            action="audit_event.list",
            object_type=self.audit_object_type,
            detail={"format": "csv" if as_csv else "json", "filters": self._filters_used()},
        )
        if as_csv:
            return self._csv(events.order_by("sequence"))
        page = self.paginate_queryset(events)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _filters_used(self) -> dict:
        return {
            name: value
            for name, value in self.request.query_params.items()
            if name in self.filterset_class.base_filters
        }

    def _csv(self, events) -> StreamingHttpResponse:
        serializer = self.get_serializer()
        found = events.iterator(chunk_size=2000)
        # The query runs here, so that its errors are still a problem response, not a cut stream.
        first = next(found, None)
        rows = (
            serializer.to_representation(event)
            for event in itertools.chain([first] if first else [], found)
        )
        return StreamingHttpResponse(
            csv_lines(list(serializer.fields), rows),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit-events.csv"'},
        )


def _presented_client_id(request) -> str:
    """The client id a token request names, in its Basic credentials or its form body."""
    scheme, _, credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return unquote_plus(decoded.partition(":")[0])
    return request.POST.get("client_id", "")


class AuditedTokenView(TokenView):
    """The OAuth2 token endpoint; a refused token request is recorded like any refusal."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code >= 400:
            client_id = _presented_client_id(request)[:100]
            client = (
                ApiClient.objects.select_related("service_user__membership__agency")
                .filter(application__client_id=client_id)
                .first()
                if client_id
                else None
            )
            refusal_record(request, status_code=response.status_code, api_client=client)
        return response
