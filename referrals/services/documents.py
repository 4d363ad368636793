"""Case documents: add, read and delete, each checked like the case, sealed and audited."""

import base64
import logging
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import batched

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agencies import keyring
from agencies.authentication import Caller
from agencies.sealed_files import SealingWriter, open_pieces
from exchange.audit import audit_record
from exchange.services import event_emit
from protocol.problems import Conflict, PayloadTooLarge

from ..access import caller_sides
from ..consent import ConsentNotCovered, consent_covers
from ..document_checks import check_type, cleaned
from ..models import Document
from ..selectors import case_agencies
from ..workflows import SENDER
from .common import event_data, locked_case, status_label

UPLOAD_AAD = b"upload-spool"
# The names document_add gives stored files: the sweep of orphans touches nothing else.
STORED_NAME = re.compile(r"[0-9a-f]{2}/[0-9a-f]{32}[^/]*\.sealed")

logger = logging.getLogger(__name__)


class DocumentTooLarge(PayloadTooLarge):
    default_detail = gettext_lazy("A document may be at most 20 MiB.")


class TooManyDocuments(Conflict):
    problem_type = "too-many-documents"
    default_detail = gettext_lazy("A case holds at most 100 documents.")


@dataclass
class SpooledUpload:
    """An uploaded file as received: sealed under a one-time key in a temporary file."""

    name: str
    content_type: str
    size: int
    head: bytes
    spool: object
    key: bytes

    def pieces(self) -> Iterator[bytes]:
        self.spool.seek(0)
        return open_pieces(self.spool, key=self.key, aad=UPLOAD_AAD)

    def close(self) -> None:
        self.spool.close()


def document_storage():
    return storages["documents"]


def _aad(document_id) -> bytes:
    return f"document\0{document_id}".encode()


def documents_of(case) -> QuerySet[Document]:
    return Document.objects.filter(**{case.case_field: case}).select_related("uploaded_by_agency")


def ensure_may_read_documents(actor: Caller, case) -> None:
    """The parties read a visible case's documents; a third agency only while consent covers it.

    Auditors see the list's metadata (their serializer leaves out names and descriptions), never
    the files.
    """
    if actor.is_auditor or actor.agency is None:
        raise PermissionDenied(_("Auditors see which documents a case holds, not their content."))
    if actor.agency.pk in (case.sender_agency_id, case.recipient_agency_id):
        return
    if not consent_covers(case.subject, actor.agency):
        raise ConsentNotCovered(
            _("The subject's consent does not cover agencies of kind %(kind)s.")
            % {"kind": actor.agency.kind}
        )


def _record(actor: Caller, case, verb: str, document: Document) -> None:
    """The event (no file name, no content) and the audit row of a change to a case's files."""
    kind = case.kind
    agencies = case_agencies(case)
    event_emit(
        type=f"document.{verb}",
        object_type=kind,
        object_id=case.id,
        reference=case.reference or "",
        agencies=agencies,
        actor_agency=actor.agency,
        data={**event_data(case), "document": str(document.id), "kind": document.kind},
    )
    audit_record(
        actor=actor,
        action=f"document.{verb}",
        object_type=kind,
        object_id=case.id,
        reference=case.reference or "",
        agencies=agencies,
        detail={"document": str(document.id), "kind": document.kind},
    )


def _seal_into_storage(
    document: Document, mime: str, upload: SpooledUpload, stored: list[str]
) -> None:
    """Check and clean the file, seal it under a new data key, store it and name it in
    ``stored``; nothing on failure."""
    data_key = keyring.new_data_key()
    with tempfile.TemporaryFile() as sealed:
        writer = SealingWriter(sealed, key=data_key, aad=_aad(document.id))
        for piece in cleaned(mime, upload.pieces):
            writer.write(piece)
        writer.close()
        sealed.seek(0)
        name = f"{document.id.hex[:2]}/{document.id.hex}.sealed"
        document.storage_name = document_storage().save(name, File(sealed, name=name))
        stored.append(document.storage_name)
    document.size = writer.size
    wrapped = keyring.wrap_key(data_key, context=_aad(document.id))
    document.wrapped_key = base64.b64encode(wrapped).decode("ascii")
    document.key_id = keyring.key_id_of(wrapped)


def document_add(
    *, case, actor: Caller, upload: SpooledUpload, kind: str, description: str = ""
) -> Document:
    """Add a file to a case: the sending or receiving agency, while the case has not ended.

    The file is stored inside the transaction, before its row: anything raised after that, the
    commit included, removes it again. A process that dies in between, or an enclosing
    transaction rolled back later, leaves an object no row names: ``document_orphans_sweep``
    deletes it once the grace period has passed.
    """
    stored: list[str] = []
    try:
        with transaction.atomic():
            return _document_add(
                case=case,
                actor=actor,
                upload=upload,
                kind=kind,
                description=description,
                stored=stored,
            )
    except BaseException:
        for name in stored:
            _delete_stored(name)
        raise


def _delete_stored(name: str) -> None:
    try:
        document_storage().delete(name)
    except Exception:  # the sweep of orphans removes it later; the first error is the one to see
        logger.warning("Stored document file %s not deleted; left to the sweep", name)


def _document_add(
    *, case, actor: Caller, upload: SpooledUpload, kind: str, description: str, stored: list[str]
) -> Document:
    model = type(case)
    case = locked_case(model, case.pk, actor)
    if not caller_sides(actor, case):
        raise PermissionDenied(_("Only the sending and receiving agencies add documents."))
    if case.status in case.workflow.final_states:
        raise Conflict(
            _("The case is %(status)s: it takes no %(what)s.")
            % {"status": status_label(case), "what": _("documents")}
        )
    if documents_of(case).count() >= settings.DOCUMENTS_PER_CASE:
        raise TooManyDocuments()
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    mime = check_type(upload.head, declared=upload.content_type, file_name=upload.name)
    document = Document(
        **{case.case_field: case},
        kind=kind,
        description=description,
        file_name=upload.name[:200],
        content_type=mime,
        uploaded_by_agency=actor.agency,
        uploaded_by=actor.user,
        uploaded_on_behalf_of=actor.on_behalf_of or "",
    )
    _seal_into_storage(document, mime, upload, stored)
    document.save(force_insert=True)
    _record(actor, case, "added", document)
    return document


def document_read(*, case, document: Document, actor: Caller) -> Iterator[bytes]:
    """The file's bytes, piece by piece, after the first piece has opened; the read is audited.

    A key the ring lacks or a file that does not authenticate fails here, before any byte.
    """
    ensure_may_read_documents(actor, case)
    context = _aad(document.id)
    data_key = keyring.unwrap_key(base64.b64decode(document.wrapped_key), context=context)
    source = document_storage().open(document.storage_name, "rb")
    pieces = open_pieces(source, key=data_key, aad=context)
    try:
        first = next(pieces)
    except BaseException:
        source.close()
        raise
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="document.downloaded",
            object_type=case.kind,
            object_id=case.id,
            reference=case.reference or "",
            agencies=[case.sender_agency, case.recipient_agency],
            detail={"document": str(document.id), "kind": document.kind},
        )

    def stream():
        try:
            yield first
            yield from pieces
        finally:
            source.close()

    return stream()


@transaction.atomic
def document_delete(*, case, document: Document, actor: Caller) -> None:
    """The uploading agency removes a document from a case that is still its draft."""
    case = locked_case(type(case), case.pk, actor)
    if SENDER not in caller_sides(actor, case) or document.uploaded_by_agency_id != actor.agency.pk:
        raise PermissionDenied(_("Only the agency that added a document deletes it."))
    if case.status != "draft":
        raise Conflict(_("Documents are deleted only while the case is a draft."))
    name = document.storage_name
    _record(actor, case, "deleted", document)
    document.delete()
    transaction.on_commit(lambda: document_storage().delete(name))


def case_documents_erase(case) -> int:
    """Delete a case's documents and, once committed, their stored files (retention)."""
    documents = list(documents_of(case).values_list("pk", "storage_name"))
    Document.objects.filter(pk__in=[pk for pk, _ in documents]).delete()
    names = [name for _, name in documents]
    transaction.on_commit(lambda: [document_storage().delete(name) for name in names])
    return len(documents)


def documents_rewrap(*, batch_size: int = 200) -> int:
    """Wrap every document's data key with the active master key; returns how many changed."""
    active, changed = keyring.keyring().active_id, 0
    while True:
        with transaction.atomic():
            documents = list(
                Document.objects.select_for_update()
                .exclude(key_id=active)
                .only("id", "wrapped_key", "key_id")[:batch_size]
            )
            for document in documents:
                wrapped = keyring.rewrap_key(
                    base64.b64decode(document.wrapped_key), context=_aad(document.id)
                )
                document.wrapped_key = base64.b64encode(wrapped).decode("ascii")
                document.key_id = active
            Document.objects.bulk_update(documents, ["wrapped_key", "key_id"])
        if not documents:
            return changed
        changed += len(documents)


def _stored_names(storage) -> Iterator[str]:
    """The names of the files in document storage that document_add could have written."""
    try:
        directories, _files = storage.listdir("")
    except FileNotFoundError:  # nothing stored yet on a fresh filesystem
        return
    for directory in sorted(directories):
        for file in sorted(storage.listdir(directory)[1]):
            if STORED_NAME.fullmatch(name := f"{directory}/{file}"):
                yield name


def document_orphans(
    *, now: datetime | None = None, grace: timedelta | None = None, batch_size: int = 500
) -> Iterator[tuple[str, datetime]]:
    """Stored files no document names, with their time, stored longer ago than the grace period
    (a file younger than that may be an upload whose transaction has not committed yet)."""
    storage = document_storage()
    cutoff = (now or timezone.now()) - (grace or settings.DOCUMENT_ORPHAN_GRACE)
    for names in batched(_stored_names(storage), batch_size):
        named = set(
            Document.objects.filter(storage_name__in=names).values_list("storage_name", flat=True)
        )
        for name in names:
            if name not in named and (stored_at := storage.get_modified_time(name)) <= cutoff:
                yield name, stored_at


def document_orphans_sweep(*, now: datetime | None = None, grace: timedelta | None = None) -> int:
    """Delete the stored files no document names, past the grace period; returns how many.

    What is left of an upload whose process died before its commit (an upload that fails
    otherwise removes its file itself). The deletion is logged and audited.
    """
    deleted = 0
    for name, _stored_at in document_orphans(now=now, grace=grace):
        document_storage().delete(name)
        deleted += 1
    if deleted:
        logger.warning("Deleted %d stored document file(s) that no document names", deleted)
        audit_record(actor=None, action="documents.orphan_sweep", detail={"deleted": deleted})
    return deleted
