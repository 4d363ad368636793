"""Bad documents: each is a problem, and nothing is stored, sent or recorded as added."""

import base64
import io

import pytest
from django.conf import settings as django_settings
from PIL import Image

from agencies.keyring import parse_keys
from exchange.models import Event
from referrals.models import Document

from .conftest import new_referral, partner
from .documents import ORIENTATION, pdf, photo, upload, zip_archive
from .test_documents import PATHS, document_store, stored_files  # noqa: F401

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024
PNG = photo("PNG")


def turned_animation() -> bytes:
    """An animated PNG whose Exif says it was taken turned: it cannot be turned frame by frame."""
    frames = [Image.new("RGB", (16, 12), colour) for colour in ("red", "blue")]
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    buffer = io.BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:], exif=exif)
    return buffer.getvalue()


def damaged_png() -> bytes:
    return PNG[:40] + bytes([PNG[40] ^ 0xFF]) + PNG[41:]


# label -> (file name, declared type, content, expected status, expected problem type)
BAD_FILES = {
    "oversize": ("big.pdf", "application/pdf", pdf(padding=20 * MIB), 413, "payload-too-large"),
    "zero-byte": ("empty.pdf", "application/pdf", b"", 400, "validation-error"),
    "not a document": ("notes.txt", "text/plain", b"Sokha Chan\n" * 50, 415, "unsupported"),
    "zip archive": ("a.zip", "application/zip", zip_archive(), 415, "unsupported"),
    "mislabeled type": ("photo.png", "application/pdf", PNG, 415, "unsupported"),
    "mislabeled name": ("scan.pdf", "image/png", PNG, 415, "unsupported"),
    "truncated pdf": ("cut.pdf", "application/pdf", pdf()[:-12], 400, "malformed-document"),
    "truncated jpeg": ("cut.jpg", "image/jpeg", photo("JPEG")[:-30], 400, "malformed-document"),
    "polyglot pdf+zip": ("p.pdf", "application/pdf", pdf() + zip_archive(), 415, "unsupported"),
    "png with a zip after it": ("p.png", "image/png", PNG + zip_archive(), 400, "malformed"),
    "malformed png": ("bad.png", "image/png", damaged_png(), 400, "malformed-document"),
    "malformed webp": ("bad.webp", "image/webp", photo("WEBP")[:-7], 400, "malformed-document"),
    "turned animation": ("a.png", "image/png", turned_animation(), 415, "unsupported"),
    "pdf header only": ("h.pdf", "application/pdf", b"%PDF-1.7\n" + b"0" * 300, 400, "malformed"),
}


@pytest.mark.parametrize("label", BAD_FILES)
def test_a_bad_file_is_a_problem_and_nothing_is_stored(world, label, document_store):  # noqa: F811
    name, declared, content, status, problem = BAD_FILES[label]
    case = new_referral(world, "sent")
    response = upload(
        partner(world.th_sender), PATHS["referral"].format(case.id), content, name, declared
    )
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    assert problem in response.json()["type"]
    assert not Document.objects.exists()
    assert stored_files(document_store) == []
    assert not Event.objects.filter(type="document.added").exists()


def test_a_request_without_a_file_is_400(world):
    case = new_referral(world, "sent")
    response = partner(world.th_sender).post(
        f"{PATHS['referral'].format(case.id)}documents/", {"kind": "photo"}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_an_unknown_kind_is_400_and_nothing_is_stored(world, document_store):  # noqa: F811
    case = new_referral(world, "sent")
    path = PATHS["referral"].format(case.id)
    response = upload(partner(world.th_sender), path, pdf(), "a.pdf", "", kind="selfie")
    assert response.status_code == 400
    assert stored_files(document_store) == []


def test_another_agencys_case_is_404_and_nothing_is_stored(world, document_store):  # noqa: F811
    case = new_referral(world, "sent")
    path = PATHS["referral"].format(case.id)
    response = upload(partner(world.vn_agency), path, pdf(), "a.pdf", "application/pdf")
    assert response.status_code == 404
    assert stored_files(document_store) == []


def test_the_hundred_and_first_document_is_409(world, document_store):  # noqa: F811
    case = new_referral(world, "sent")
    th = partner(world.th_sender)
    path = PATHS["referral"].format(case.id)
    first = upload(th, path, pdf(), "a.pdf", "application/pdf").json()
    template = Document.objects.get(pk=first["id"])
    Document.objects.bulk_create(
        Document(
            referral=case,
            kind="other",
            content_type=template.content_type,
            size=template.size,
            storage_name=f"copy-{n}",
            wrapped_key=template.wrapped_key,
            key_id=template.key_id,
            uploaded_by_agency=world.th_sender,
            uploaded_by=template.uploaded_by,
        )
        for n in range(99)
    )
    response = upload(th, path, pdf(), "b.pdf", "application/pdf")
    assert response.status_code == 409
    assert response.json()["type"].endswith("too-many-documents")
    assert Document.objects.count() == 100
    assert len(stored_files(document_store)) == 1


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(world):
    case = new_referral(world, "sent")
    response = partner(world.th_sender).post(
        f"{PATHS['referral'].format(case.id)}documents/",
        data=b"x",
        content_type="multipart/form-data; boundary=b",
        CONTENT_LENGTH=str(django_settings.DOCUMENT_UPLOAD_MAX_BODY + 1),
    )
    assert response.status_code == 413


def test_a_key_ring_without_the_files_key_is_503_and_never_a_wrong_file(world, settings):
    case = new_referral(world, "sent")
    path = PATHS["referral"].format(case.id)
    added = upload(partner(world.th_sender), path, pdf(), "a.pdf", "application/pdf").json()
    other = base64.b64encode(b"\x07" * 32).decode()
    settings.ENCRYPTION_KEYS = f"elsewhere:{other}"
    assert list(parse_keys(settings.ENCRYPTION_KEYS)) == ["elsewhere"]
    response = partner(world.kh_recipient).get(f"{path}documents/{added['id']}/content/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("key-unavailable")
    assert b"%PDF" not in response.content


def test_an_altered_stored_file_is_503_and_never_served(world, document_store):  # noqa: F811
    case = new_referral(world, "sent")
    path = PATHS["referral"].format(case.id)
    added = upload(partner(world.th_sender), path, pdf(), "a.pdf", "application/pdf").json()
    (stored,) = stored_files(document_store)
    sealed = bytearray(stored.read_bytes())
    sealed[10] ^= 1
    stored.write_bytes(bytes(sealed))
    response = partner(world.kh_recipient).get(f"{path}documents/{added['id']}/content/")
    assert response.status_code == 503
    assert response.json()["type"].endswith("seal-broken")
