"""A case's document endpoints: list, upload (sealed as it streams in), content, delete."""

import tempfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from agencies import keyring
from agencies.sealed_files import SealingWriter
from protocol.viewsets import UUID_PATTERN

from .document_checks import HEAD_BYTES
from .models import DocumentKind
from .services import documents as document_services


class SealingUploadHandler(FileUploadHandler):
    """Receives the ``file`` part in pieces, sealing each under a one-time key as it arrives:
    no plaintext reaches the disk and memory holds a piece at a time; past the limit, 413."""

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name != "file":
            raise SkipFile()
        self.key = keyring.new_data_key()
        self.spool = tempfile.TemporaryFile()  # noqa: SIM115  (closed by the view)
        self.writer = SealingWriter(self.spool, key=self.key, aad=document_services.UPLOAD_AAD)
        self.head = b""

    def receive_data_chunk(self, raw_data, start):
        if self.writer.size + len(raw_data) > settings.DOCUMENT_MAX_BYTES:
            self.spool.close()
            raise document_services.DocumentTooLarge()
        if len(self.head) < HEAD_BYTES:
            self.head += raw_data[: HEAD_BYTES - len(self.head)]
        self.writer.write(raw_data)

    def file_complete(self, file_size):
        self.writer.close()
        return document_services.SpooledUpload(
            name=self.file_name or "",
            content_type=self.content_type or "",
            size=self.writer.size,
            head=self.head,
            spool=self.spool,
            key=self.key,
        )


def document_response(document, pieces) -> StreamingHttpResponse:
    """A document's bytes as a download: never shown inline, never kept, never sniffed."""
    response = StreamingHttpResponse(pieces, content_type=document.content_type)
    response["Content-Length"] = str(document.size)
    response["Content-Disposition"] = content_disposition_header(
        True, document.file_name or f"{document.id}"
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    file_name = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    uploaded_by_agency = serializers.CharField(source="uploaded_by_agency.code", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, JPEG, PNG or WebP; at most 20 MiB.")
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)


class RedactedDocumentSerializer(serializers.Serializer):
    """What auditors see of a document: that it exists, its kind, size and who added it."""

    id = serializers.UUIDField(read_only=True)
    kind = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    uploaded_by_agency = serializers.CharField(source="uploaded_by_agency.code", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


DOCUMENT_PATH = f"documents/(?P<document_id>{UUID_PATTERN})"


class DocumentActions:
    """{case}/documents/ (GET, POST), documents/{id}/content/ (GET), documents/{id}/ (DELETE)."""

    def initialize_request(self, request, *args, **kwargs):
        drf_request = super().initialize_request(request, *args, **kwargs)
        if getattr(self, "action", None) == "upload_document":
            request.upload_handlers = [SealingUploadHandler(request)]
        return drf_request

    def _document(self, case, document_id):
        return get_object_or_404(document_services.documents_of(case), pk=document_id)

    @extend_schema(responses=DocumentSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path="documents",
        url_name="documents",
        parser_classes=[MultiPartParser],
    )
    def documents(self, request, pk=None):
        case = self.get_object()
        auditor = self.caller.is_auditor
        if not auditor:
            document_services.ensure_may_read_documents(self.caller, case)
        self.audit_read(case, action="documents.read")
        serializer = RedactedDocumentSerializer if auditor else DocumentSerializer
        page = self.paginate_queryset(
            document_services.documents_of(case).order_by("-created_at", "-id")
        )
        return self.get_paginated_response(serializer(page, many=True).data)

    @extend_schema(
        summary="Add a document to the case",
        description="Multipart upload to this {resource} (PDF, JPEG, PNG or WebP, at most "
        "20 MiB, 100 a case) by its parties; the type is taken from the content, photos lose "
        "their location, and the file is sealed at rest.",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer},
    )
    @documents.mapping.post
    def upload_document(self, request, pk=None):
        case = self.get_object()
        upload = request.FILES.get("file")
        try:
            payload = DocumentSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            if upload is None:
                raise ValidationError({"file": _("No file was submitted.")})
            document = document_services.document_add(
                case=case, actor=self.caller, upload=upload, **payload.validated_data
            )
        finally:
            if upload is not None:
                upload.close()
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment."
            )
        }
    )
    @action(detail=True, methods=["get"], url_path=f"{DOCUMENT_PATH}/content")
    def document_content(self, request, pk=None, document_id=None):
        case = self.get_object()
        document = self._document(case, document_id)
        pieces = document_services.document_read(case=case, document=document, actor=self.caller)
        return document_response(document, pieces)

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Deleted.")})
    @action(detail=True, methods=["delete"], url_path=DOCUMENT_PATH)
    def delete_document(self, request, pk=None, document_id=None):
        case = self.get_object()
        document = self._document(case, document_id)
        document_services.document_delete(case=case, document=document, actor=self.caller)
        return Response(status=status.HTTP_204_NO_CONTENT)
