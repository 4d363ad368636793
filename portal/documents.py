"""A case's documents on its page: the list, upload, download and delete, via the API's services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from exchange.audit import audit_request_denied
from referrals.document_views import DocumentSerializer, SealingUploadHandler, document_response
from referrals.services import documents as document_services

from .access import not_found, portal_page
from .case_actions import refused_page
from .cases import ALL_ROLES, visible_case
from .errors import REFUSALS


class FormUploadHandler(SealingUploadHandler):
    """The API's sealing handler for the case page's form: past the size limit the rest of the
    file is dropped rather than the body cut off, so the browser gets the page that says why
    (the body itself is capped before it is read)."""

    refusal = None

    def receive_data_chunk(self, raw_data, start):
        if self.refusal is None:
            try:
                super().receive_data_chunk(raw_data, start)
            except document_services.DocumentTooLarge as exc:
                self.refusal = exc

    def file_complete(self, file_size):
        return None if self.refusal is not None else super().file_complete(file_size)


def _back_to_documents(kind: str, case_id):
    return redirect(
        reverse("portal:case", kwargs={"kind": kind, "case_id": case_id}) + "#documents"
    )


@csrf_exempt
@require_POST
@portal_page(*ALL_ROLES, object_type="case")
def upload(request, kind: str, case_id):
    """Add a file from the case page: sealed as it arrives, then checked by the API's service."""
    # Set before the form is read (so before the CSRF check): no plaintext spools to disk.
    handler = FormUploadHandler(request)
    request.upload_handlers = [handler]
    return _upload(request, kind, case_id, handler)


@csrf_protect
def _upload(request, kind: str, case_id, handler: FormUploadHandler):
    upload = request.FILES.get("file")
    try:
        case = visible_case(request, kind, case_id)
        if case is None:
            return not_found(request)
        try:
            if handler.refusal is not None:
                raise handler.refusal
            payload = DocumentSerializer(
                data={
                    "kind": request.POST.get("kind", ""),
                    "description": request.POST.get("description", ""),
                }
            )
            payload.is_valid(raise_exception=True)
            if upload is None:
                raise ValidationError({"file": _("No file was submitted.")})
            document_services.document_add(
                case=case, actor=request.caller, upload=upload, **payload.validated_data
            )
        except REFUSALS as exc:
            return refused_page(request, kind, case_id, exc, "documents")
    finally:
        if upload is not None:
            upload.close()
    messages.success(request, _("The document is added to the case."))
    return _back_to_documents(kind, case_id)


def _on_document(request, kind: str, case_id, document_id, act):
    """``act(case, document)`` on a visible case's document: the 404 page when either is not
    there (a denial row), the case page with the reason when a service refuses."""
    case = visible_case(request, kind, case_id)
    if case is None:
        return not_found(request)
    try:
        document = document_services.documents_of(case).filter(pk=document_id).first()
        if document is None:
            audit_request_denied(
                request, status_code=404, object_type="document", object_id=document_id
            )
            return not_found(request)
        return act(case, document)
    except REFUSALS as exc:
        return refused_page(request, kind, case_id, exc, "documents")


@portal_page(*ALL_ROLES, object_type="case")
def download(request, kind: str, case_id, document_id):
    """The file itself, streamed and audited by the service the API's download uses."""

    def stream(case, document):
        pieces = document_services.document_read(case=case, document=document, actor=request.caller)
        return document_response(document, pieces)

    return _on_document(request, kind, case_id, document_id, stream)


@require_POST
@portal_page(*ALL_ROLES, object_type="case")
def delete(request, kind: str, case_id, document_id):
    """The uploading agency removes its document while the case is a draft."""

    def remove(case, document):
        document_services.document_delete(case=case, document=document, actor=request.caller)
        messages.success(request, _("The document is deleted."))
        return _back_to_documents(kind, case_id)

    return _on_document(request, kind, case_id, document_id, remove)
