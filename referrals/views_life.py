"""Case endpoints for the life of personal data: consent changes and the person's record."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from exchange.audit import audit_record
from protocol.etags import IF_MATCH_OPTIONAL_PARAMETER
from protocol.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent

from .models import ConsentChange
from .record_pdf import subject_record_pdf
from .serializers import ConsentChangeSerializer
from .services import case_consent_change
from .subject_record import may_export_record, subject_record


class PdfRenderer(BaseRenderer):
    """Lets ``?format=pdf`` through content negotiation; the view writes the PDF itself."""

    media_type = "application/pdf"
    format = "pdf"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only problem responses reach a renderer here: they stay JSON.
        return JSONRenderer().render(data, renderer_context=renderer_context)


class CaseLifeMixin:
    """Consent history and changes, and the person's record (mixed into the case view sets)."""

    @extend_schema(responses=ConsentChangeSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="consent", url_name="consent")
    def consent(self, request, pk=None):
        case = self.get_object()
        if self.caller.is_auditor:
            raise PermissionDenied(_("Auditors do not see the subject's consent."))
        self.audit_read(case, action="consent.read")
        changes = ConsentChange.objects.filter(subject_id=case.subject_id).select_related("agency")
        page = self.paginate_queryset(changes.order_by("-created_at", "-id"))
        return self.get_paginated_response(ConsentChangeSerializer(page, many=True).data)

    def replay_consent_change(self, request, change_id):
        case = self.get_object()
        change = get_object_or_404(
            ConsentChange.objects.filter(subject_id=case.subject_id).select_related("agency"),
            pk=change_id,
        )
        return Response(ConsentChangeSerializer(change).data)

    @extend_schema(
        summary="Record a change of the subject's consent",
        description="The sending side records the new consent status and scope of this "
        "{resource}'s subject; every share the new scope does not cover ends at once.",
        request=ConsentChangeSerializer,
        responses={201: ConsentChangeSerializer},
        parameters=[IF_MATCH_OPTIONAL_PARAMETER, IDEMPOTENCY_KEY_PARAMETER],
    )
    @consent.mapping.post
    @idempotent("replay_consent_change")
    def post_consent(self, request, pk=None):
        case = self.get_object()
        payload = ConsentChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        change = case_consent_change(
            case=case,
            actor=self.caller,
            if_match=request.headers.get("If-Match"),
            **payload.validated_data,
        )
        return Response(ConsentChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The person's record, for a subject access request",
        parameters=[OpenApiParameter("format", str, enum=["json", "pdf"])],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                examples=[
                    OpenApiExample(
                        "record",
                        value={"subject": {"given_name": "Sokha"}, "disclosures": []},
                    )
                ],
            ),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="record",
        url_name="record",
        renderer_classes=[*api_settings.DEFAULT_RENDERER_CLASSES, PdfRenderer],
    )
    def record(self, request, pk=None):
        """Everything held on the case's subject: the sending or receiving agency only."""
        case = self.get_object()
        if not may_export_record(self.caller, case):
            raise PermissionDenied(
                _("Only officers and admins of the sending or receiving agency export the record.")
            )
        pdf = request.accepted_renderer.format == PdfRenderer.format
        record = subject_record(case, caller=self.caller)
        audit_record(
            actor=self.caller,
            action=f"{self.audit_object_type}.record.read",
            object_type=self.audit_object_type,
            object_id=case.pk,
            reference=case.reference or "",
            agencies=self.audit_agencies(case),
            detail={"format": "pdf" if pdf else "json"},
        )
        if pdf:
            response = HttpResponse(
                subject_record_pdf(record, agency=self.caller.agency),
                content_type=PdfRenderer.media_type,
            )
            name = case.reference or f"draft-{case.pk}"
            response["Content-Disposition"] = f'attachment; filename="record-{name}.pdf"'
        else:
            response = Response(record)
        response["Cache-Control"] = "no-store"
        return response


def case_life_docs(kind: str):
    """Summaries and descriptions of a kind's documents, consent and record operations."""
    doc = {
        "documents": (
            f"List the documents of a {kind}",
            f"The files on the {kind} (metadata only), newest first; auditors see no names or "
            "descriptions, a shared agency only while the subject's consent covers it.",
        ),
        "document_content": (
            f"Download a document of a {kind}",
            f"The bytes of one document of the {kind}, as an attachment, never cached; every "
            "download is in the audit trail.",
        ),
        "delete_document": (
            f"Remove a document from a draft {kind}",
            f"The agency that added it removes a document while the {kind} is still a draft.",
        ),
        "consent": (
            f"The consent history of a {kind}'s subject",
            f"Every change of the subject's consent recorded on the {kind}, newest first, with "
            "the status and scope before it.",
        ),
        "record": (
            f"The person's record of a {kind}",
            f"Everything held on the subject of the {kind}, for a subject access request: JSON, "
            "or a PDF in your agency's language (format=pdf); the reading is audited.",
        ),
    }

    def schema(name, method=None):
        summary, description = doc[name]
        return extend_schema(summary=summary, description=description, methods=method)

    return extend_schema_view(
        documents=schema("documents", ["GET"]),
        consent=schema("consent", ["GET"]),
        document_content=schema("document_content"),
        delete_document=schema("delete_document"),
        record=schema("record"),
    )
