"""The case endpoints: referral notices and return requests, their actions, messages and shares."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from protocol.etags import with_etag
from protocol.filters import refuse_unknown_and_empty
from protocol.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from protocol.schema import as_read_by_role
from protocol.viewsets import UUID_PATTERN, AuditedListModelMixin, ExchangeViewSet

from . import schema_examples, services  # noqa: F401  (schema_examples registers)
from .access import cases_visible_to
from .case_contract import case_action, case_schemas
from .document_views import DocumentActions
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
from .views_life import CaseLifeMixin, case_life_docs

PAGING_PARAMETERS = {"cursor", "limit"}
MESSAGE_AS_READ = as_read_by_role(MessageSerializer, RedactedMessageSerializer)
REFERRAL_AS_READ = as_read_by_role(ReferralSerializer, RedactedReferralSerializer)
RETURN_AS_READ = as_read_by_role(ReturnSerializer, RedactedReturnSerializer)


class CaseViewSet(DocumentActions, CaseLifeMixin, AuditedListModelMixin, ExchangeViewSet):
    """What both kinds of case share: visibility, detail, create, edits, threads, shares, files."""

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

    @extend_schema(
        responses=MESSAGE_AS_READ(many=True),
        filters=False,
        summary="Read the case's message thread",
        description="The messages both agencies (and agencies the case is shared with) posted "
        "on this {resource}, newest first. Auditors see who wrote when, without the text.",
    )
    @action(detail=True, methods=["get"], url_path="messages", url_name="messages")
    def messages(self, request, pk=None):
        refuse_unknown_and_empty(request.query_params, known=PAGING_PARAMETERS)
        case = self.get_object()
        self.audit_read(case, action="messages.read")
        serializer = RedactedMessageSerializer if self.caller.is_auditor else MessageSerializer
        page = self.paginate_queryset(messages_of(case).order_by("-created_at", "-id"))
        return self.get_paginated_response(serializer(page, many=True).data)

    @extend_schema(
        request=MessageSerializer,
        responses={201: MessageSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        summary="Post a message on the case",
        description="A message on this {resource} to every agency that takes part; they are "
        "notified by a `message.posted` event. Messages cannot be edited or deleted.",
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

    @extend_schema(
        responses=ShareSerializer(many=True),
        filters=False,
        summary="List the agencies the case is shared with",
        description="Every share of this {resource}, current and revoked (`revoked_at`), newest "
        "first.",
    )
    @action(detail=True, methods=["get"], url_path="shares", url_name="shares")
    def shares(self, request, pk=None):
        refuse_unknown_and_empty(request.query_params, known=PAGING_PARAMETERS)
        case = self.get_object()
        self.audit_read(case, action="shares.read")
        page = self.paginate_queryset(shares_of(case).order_by("-created_at", "-id"))
        return self.get_paginated_response(ShareSerializer(page, many=True).data)

    @extend_schema(
        request=ShareSerializer,
        responses={201: ShareSerializer},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        summary="Share the case with a third agency",
        description="The sender lets a third agency read this {resource} (never act on it). "
        "Refused with 409 when the subject's consent does not cover that agency's kind.",
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

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Share revoked.")},
        summary="Revoke a share",
        description="The third agency stops seeing this {resource} at once; the share stays listed "
        "with its `revoked_at`.",
    )
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


@case_life_docs("referral notice")
@case_schemas(
    kind="referral notice",
    as_read=REFERRAL_AS_READ,
    write_serializer=ReferralWriteSerializer,
    serializer=ReferralSerializer,
    docs={
        "list": {
            "summary": "List referral notices",
            "description": "The referral notices your agency takes part in (sent, received or "
            "shared with it; your drafts), newest first. Auditors see those in their audit "
            "scope, redacted.",
        },
        "retrieve": {
            "summary": "Read a referral notice",
            "description": "One referral notice with `allowed_actions` and its `ETag`. "
            "Auditors get the redacted representation. 404 when your agency cannot see it.",
        },
        "create": {
            "summary": "Draft a referral notice",
            "description": "Creates a draft only your agency sees, with the subject nested in "
            "it. `send` it when it is complete.",
        },
    },
)
class ReferralViewSet(CaseViewSet):
    """Referral notices: a person identified in one country, referred to another."""

    model = ReferralNotice
    serializer_class = ReferralSerializer
    redacted_serializer_class = RedactedReferralSerializer
    write_serializer_class = ReferralWriteSerializer
    filterset_class = ReferralFilter

    create_service = staticmethod(services.referral_create)

    send = case_action(
        services.referral_send,
        summary="Send a draft referral notice",
        description="The sender sends its draft to the recipient agency: the status becomes "
        "`sent`, the recipient sees the case, and the acknowledgement and answer clocks start "
        "(`acknowledge_due_at`, `respond_due_at`). Refused when the subject's consent does not "
        "cover the recipient.",
    )
    acknowledge = case_action(
        services.referral_acknowledge,
        FocalPointSerializer,
        summary="Acknowledge receipt of a referral notice",
        description="The recipient confirms it received the notice and names its focal point. "
        "Stops the acknowledgement clock; the answer clock keeps running.",
    )
    accept = case_action(
        services.referral_accept,
        summary="Accept a referral notice",
        description="The recipient takes the case on (from `sent` or `acknowledged`). Stops "
        "every clock.",
    )
    reject = case_action(
        services.referral_reject,
        ReasonSerializer,
        summary="Reject a referral notice",
        description="The recipient declines the case and says why; the sender reads the "
        "reason in `rejection_reason`. Final.",
    )
    withdraw = case_action(
        services.referral_withdraw,
        ReasonSerializer,
        summary="Withdraw a referral notice",
        description="The sender takes the notice back, with a reason, until the recipient "
        "answers it. Final.",
    )
    close = case_action(
        services.referral_close,
        OutcomeSerializer,
        summary="Close an accepted referral with its outcome",
        description="Either agency records how an accepted case ended. Final.",
    )


@case_life_docs("return request")
@case_schemas(
    kind="return request",
    as_read=RETURN_AS_READ,
    write_serializer=ReturnWriteSerializer,
    serializer=ReturnSerializer,
    docs={
        "list": {
            "summary": "List return requests",
            "description": "The return requests your agency takes part in, newest first. "
            "Auditors see those in their audit scope, redacted.",
        },
        "retrieve": {
            "summary": "Read a return request",
            "description": "One return request with `allowed_actions` and its `ETag`. Auditors "
            "get the redacted representation. 404 when your agency cannot see it.",
        },
        "create": {
            "summary": "Draft a return request",
            "description": "Creates a draft only your agency sees. Citing a `referral` takes "
            "its subject; otherwise give the `subject`.",
        },
    },
)
class ReturnViewSet(CaseViewSet):
    """Return requests: verification, scheduling and handover at a border checkpoint."""

    model = ReturnRequest
    serializer_class = ReturnSerializer
    redacted_serializer_class = RedactedReturnSerializer
    write_serializer_class = ReturnWriteSerializer
    filterset_class = ReturnFilter

    create_service = staticmethod(services.return_create)

    send = case_action(
        services.return_send,
        summary="Request the return",
        description="The sender sends its draft to the country of origin: the status becomes "
        "`requested` and the verification clock starts (`verification_due_at`).",
    )
    acknowledge = case_action(
        services.return_acknowledge,
        summary="Acknowledge receipt of a return request",
        description="The country of origin confirms it received the request; the "
        "verification clock keeps running.",
    )
    verify = case_action(
        services.return_verify,
        VerifySerializer,
        summary="Record the verification of identity and nationality",
        description="The country of origin confirms identity and nationality. A child's "
        "return is verified only with `family_traced` true. Stops the verification clock.",
    )
    reject = case_action(
        services.return_reject,
        ReasonSerializer,
        summary="Reject a return request",
        description="The country of origin refuses the return and says why. Final.",
    )
    schedule = case_action(
        services.return_schedule,
        ScheduleSerializer,
        summary="Set or move the handover date and checkpoint",
        description="Either agency sets the date and the border checkpoint of a verified "
        "return, or moves them while it is scheduled.",
    )
    confirm_handover = case_action(
        services.return_confirm_handover,
        ConfirmHandoverSerializer,
        summary="Confirm the handover",
        description="The country of origin records when and by whom the person was received "
        "at the checkpoint. Final.",
        url_path="confirm_handover",
    )
    cancel = case_action(
        services.return_cancel,
        ReasonSerializer,
        summary="Cancel a return request",
        description="The sender calls the return off, with a reason, at any step before the "
        "handover. Final.",
    )
