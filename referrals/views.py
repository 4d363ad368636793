"""The case endpoints: referral notices and return requests, their actions, messages and shares."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from protocol.etags import IF_MATCH_OPTIONAL_PARAMETER, IF_MATCH_PARAMETER, with_etag
from protocol.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from protocol.viewsets import UUID_PATTERN, AuditedListModelMixin, ExchangeViewSet

from . import services
from .access import cases_visible_to
from .filters import ReferralFilter, ReturnFilter
from .models import ReferralNotice, ReturnRequest, Share
from .selectors import case_agencies, messages_of, shares_of
from .serializers import (
    ConfirmHandoverSerializer,
    FocalPointSerializer,
    MessageSerializer,
    OutcomeSerializer,
    ReasonSerializer,
    RedactedMessageSerializer,
    RedactedReferralSerializer,
    RedactedReturnSerializer,
    ReferralSerializer,
    ReferralWriteSerializer,
    ReturnSerializer,
    ReturnWriteSerializer,
    ScheduleSerializer,
    ShareSerializer,
    VerifySerializer,
)

ACTION_PARAMETERS = [IF_MATCH_OPTIONAL_PARAMETER, IDEMPOTENCY_KEY_PARAMETER]


class CaseViewSet(AuditedListModelMixin, ExchangeViewSet):
    """What both kinds of case share: visibility, detail, create, draft edits, threads, shares."""

    model = None
    create_service = None
    redacted_serializer_class = None
    write_serializer_class = None
    lookup_value_regex = UUID_PATTERN
    cursor_ordering = ("-created_at", "-id")

    @property
    def audit_object_type(self) -> str:
        return self.model.kind

    def get_queryset(self):
        if self.is_schema_request:
            return self.model.objects.none()
        return cases_visible_to(self.model, self.caller)

    def get_serializer_class(self):
        if not self.is_schema_request and self.caller.is_auditor:
            return self.redacted_serializer_class
        return self.serializer_class

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "caller": self.caller}

    def get_object(self):
        """The case if the caller's agency can see it; 404 otherwise, never 403."""
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def audit_agencies(self, case):
        """The parties of the case (the reader's own agency is always added by the trail)."""
        return [case.sender_agency, case.recipient_agency]

    def denied_agencies(self, case_id):
        """A refused access to an existing case concerns its parties (a draft: its sender)."""
        case = (
            self.model.objects.select_related("sender_agency", "recipient_agency")
            .filter(pk=case_id)
            .first()
        )
        return case_agencies(case) if case else ()

    def _detail_response(self, case, status_code=status.HTTP_200_OK):
        response = Response(self.get_serializer(case).data, status=status_code)
        return with_etag(response, case)

    def _reloaded_response(self, case_id, status_code=status.HTTP_200_OK):
        """The case as the caller sees it after a change (fresh permissions and actions)."""
        self.kwargs["pk"] = str(case_id)
        return self._detail_response(self.get_object(), status_code)

    def _created_response(self, case_id):
        response = self._reloaded_response(case_id, status.HTTP_201_CREATED)
        response["Location"] = self.model.api_path.format(case_id)
        return response

    def replay_created(self, request, case_id):
        return self._created_response(case_id)

    def replay_case(self, request, case_id):
        return self._reloaded_response(case_id)

    def replay_message(self, request, message_id):
        message = get_object_or_404(messages_of(self.get_object()), pk=message_id)
        return Response(MessageSerializer(message).data)

    def replay_share(self, request, share_id):
        share = get_object_or_404(shares_of(self.get_object()), pk=share_id)
        return Response(ShareSerializer(share).data)

    def retrieve(self, request, pk=None):
        case = self.get_object()
        self.audit_read(case)
        return self._detail_response(case)

    @idempotent("replay_created")
    def create(self, request):
        case = self.create_service(actor=self.caller, **self._write_data())
        return self._created_response(case.pk)

    def partial_update(self, request, pk=None):
        services.case_update(
            case=self.get_object(),
            actor=self.caller,
            if_match=request.headers.get("If-Match"),
            **self._write_data(partial=True),
        )
        return self._reloaded_response(pk)

    def _write_data(self, *, partial=False):
        serializer = self.write_serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _act(self, service, payload_serializer=None):
        """Run one workflow action on a visible case and answer with the case as it is now."""
        case = self.get_object()
        data = {}
        if payload_serializer is not None:
            payload = payload_serializer(
                data=self.request.data, context=self.get_serializer_context()
            )
            payload.is_valid(raise_exception=True)
            data = dict(payload.validated_data)
        service(
            **{case.case_field: case},
            actor=self.caller,
            if_match=self.request.headers.get("If-Match"),
            **data,
        )
        return self._reloaded_response(case.pk)

    @extend_schema(responses=MessageSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="messages", url_name="messages")
    def messages(self, request, pk=None):
        case = self.get_object()
        self.audit_read(case, action="messages.read")
        serializer = RedactedMessageSerializer if self.caller.is_auditor else MessageSerializer
        page = self.paginate_queryset(messages_of(case).order_by("-created_at", "-id"))
        return self.get_paginated_response(serializer(page, many=True).data)

    @extend_schema(
        request=MessageSerializer,
        responses={201: MessageSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @messages.mapping.post
    @idempotent("replay_message")
    def post_message(self, request, pk=None):
        case = self.get_object()
        payload = MessageSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        message = services.case_message_post(
            case=case, actor=self.caller, body=payload.validated_data["body"]
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ShareSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="shares", url_name="shares")
    def shares(self, request, pk=None):
        case = self.get_object()
        self.audit_read(case, action="shares.read")
        page = self.paginate_queryset(shares_of(case).order_by("-created_at", "-id"))
        return self.get_paginated_response(ShareSerializer(page, many=True).data)

    @extend_schema(
        request=ShareSerializer,
        responses={201: ShareSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
    )
    @shares.mapping.post
    @idempotent("replay_share")
    def post_share(self, request, pk=None):
        case = self.get_object()
        payload = ShareSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        share = services.case_share(
            case=case, actor=self.caller, agency=payload.validated_data["agency"]
        )
        return Response(ShareSerializer(share).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Share revoked.")})
    @action(
        detail=True,
        methods=["delete"],
        url_path=f"shares/(?P<share_id>{UUID_PATTERN})",
        url_name="share-detail",
    )
    def revoke_share(self, request, pk=None, share_id=None):
        case = self.get_object()
        share = get_object_or_404(Share.objects.filter(**{case.case_field: case}), pk=share_id)
        services.case_share_revoke(share=share, actor=self.caller)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _case_action(service, payload=None, summary: str = ""):
    """An action endpoint: POST {id}/{action}/ calling one service."""

    @extend_schema(request=payload, parameters=ACTION_PARAMETERS, summary=summary)
    @idempotent("replay_case")
    def handler(self, request, pk=None):
        return self._act(service, payload)

    handler.__name__ = service.__name__.split("_", 1)[1]
    handler.__doc__ = summary
    return handler


def _write_schemas(write_serializer, serializer):
    """The create and draft-edit operations of one kind of case, in the contract."""
    return extend_schema_view(
        create=extend_schema(
            request=write_serializer,
            responses={201: serializer},
            parameters=[IDEMPOTENCY_KEY_PARAMETER],
        ),
        partial_update=extend_schema(
            request=write_serializer, responses=serializer, parameters=[IF_MATCH_PARAMETER]
        ),
    )


@_write_schemas(ReferralWriteSerializer, ReferralSerializer)
class ReferralViewSet(CaseViewSet):
    """Referral notices: a person identified in one country, referred to another."""

    model = ReferralNotice
    serializer_class = ReferralSerializer
    redacted_serializer_class = RedactedReferralSerializer
    write_serializer_class = ReferralWriteSerializer
    filterset_class = ReferralFilter

    create_service = staticmethod(services.referral_create)

    send = action(detail=True, methods=["post"])(
        _case_action(services.referral_send, None, "Send a draft")
    )
    acknowledge = action(detail=True, methods=["post"])(
        _case_action(services.referral_acknowledge, FocalPointSerializer, "Acknowledge receipt")
    )
    accept = action(detail=True, methods=["post"])(
        _case_action(services.referral_accept, None, "Accept the case")
    )
    reject = action(detail=True, methods=["post"])(
        _case_action(services.referral_reject, ReasonSerializer, "Reject, with a reason")
    )
    withdraw = action(detail=True, methods=["post"])(
        _case_action(services.referral_withdraw, ReasonSerializer, "Withdraw, with a reason")
    )
    close = action(detail=True, methods=["post"])(
        _case_action(
            services.referral_close, OutcomeSerializer, "Close an accepted case with its outcome"
        )
    )


@_write_schemas(ReturnWriteSerializer, ReturnSerializer)
class ReturnViewSet(CaseViewSet):
    """Return requests: verification, scheduling and handover at a border checkpoint."""

    model = ReturnRequest
    serializer_class = ReturnSerializer
    redacted_serializer_class = RedactedReturnSerializer
    write_serializer_class = ReturnWriteSerializer
    filterset_class = ReturnFilter

    create_service = staticmethod(services.return_create)

    send = action(detail=True, methods=["post"])(
        _case_action(services.return_send, None, "Request the return")
    )
    acknowledge = action(detail=True, methods=["post"])(
        _case_action(services.return_acknowledge, None, "Acknowledge receipt")
    )
    verify = action(detail=True, methods=["post"])(
        _case_action(services.return_verify, VerifySerializer, "Confirm identity and nationality")
    )
    reject = action(detail=True, methods=["post"])(
        _case_action(services.return_reject, ReasonSerializer, "Reject, with a reason")
    )
    schedule = action(detail=True, methods=["post"])(
        _case_action(
            services.return_schedule, ScheduleSerializer, "Set the handover date and checkpoint"
        )
    )
    confirm_handover = action(detail=True, methods=["post"], url_path="confirm_handover")(
        _case_action(
            services.return_confirm_handover, ConfirmHandoverSerializer, "Confirm the handover"
        )
    )
    cancel = action(detail=True, methods=["post"])(
        _case_action(services.return_cancel, ReasonSerializer, "Cancel, with a reason")
    )
