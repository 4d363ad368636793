"""Case documents: who lists, adds, reads and deletes them, and what is stored, sent and audited."""

import io

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from agencies.roles import Role
from exchange.models import AuditEvent, Event
from referrals import services
from referrals.models import Document

from .conftest import caller, new_referral, new_return, partner
from .documents import (
    GPS_LATITUDE,
    ORIENTATION,
    ExifTags,
    as_shown,
    exif_of,
    pdf,
    photo,
    pixels_differ,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def document_store(settings, tmp_path):
    settings.STORAGES = {
        **django_settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    return tmp_path / "documents"


def stored_files(store) -> list:
    return [path for path in store.rglob("*") if path.is_file()] if store.exists() else []


PATHS = {"referral": "/api/v1/referrals/{}/", "return": "/api/v1/returns/{}/"}


def sent_case(world, kind="referral"):
    return new_referral(world, "sent") if kind == "referral" else new_return(world, "requested")


def shared_case(world, kind="referral"):
    case = sent_case(world, kind)
    services.case_share(case=case, actor=caller(world.th_sender), agency=world.kh_ngo)
    return case


@pytest.mark.parametrize("kind", ["referral", "return"])
def test_the_sender_adds_a_pdf_and_the_recipient_reads_the_same_bytes(world, kind, audit_watch):
    case = sent_case(world, kind)
    path = PATHS[kind].format(case.id)
    content = pdf("Medical report for Sokha Chan")
    added = upload(partner(world.th_sender), path, content, "report.pdf", "application/pdf")
    assert added.status_code == 201, added.json()
    document = added.json()
    assert document["content_type"] == "application/pdf"
    assert document["size"] == len(content)
    assert document["uploaded_by_agency"] == "TH-MSDHS"

    kh = partner(world.kh_recipient)
    listed = kh.get(f"{path}documents/").json()["results"]
    assert [d["id"] for d in listed] == [document["id"]]
    response = kh.get(f"{path}documents/{document['id']}/content/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Length"] == str(len(content))

    actions = [row.action for row in audit_watch.new()]
    assert "document.added" in actions
    assert "document.downloaded" in actions


def test_a_document_added_event_names_neither_the_file_nor_its_content(world, document_store):
    case = new_referral(world, "sent")
    path = PATHS["referral"].format(case.id)
    added = upload(
        partner(world.th_sender), path, pdf("Sokha Chan"), "sokha-chan-passport.pdf", "", "photo"
    )
    assert added.status_code == 201
    event = Event.objects.get(type="document.added")
    assert event.data["document"] == added.json()["id"]
    assert event.data["kind"] == "photo"
    assert "sokha" not in str(event.data).lower()
    audit = AuditEvent.objects.filter(action="document.added").get()
    assert "sokha" not in str(audit.detail).lower()
    (stored,) = stored_files(document_store)
    assert b"Sokha" not in stored.read_bytes()
    assert b"%PDF" not in stored.read_bytes()


PHOTO_FORMATS = [
    ("JPEG", "image/jpeg", "p.jpg"),
    ("PNG", "image/png", "p.png"),
    ("WEBP", "image/webp", "p.webp"),
]


def uploaded_and_downloaded(world, content: bytes, name: str, mime: str) -> bytes:
    case = new_referral(world, "sent")
    path = PATHS["referral"].format(case.id)
    added = upload(partner(world.th_sender), path, content, name, mime, "photo")
    assert added.status_code == 201, added.json()
    response = partner(world.kh_recipient).get(f"{path}documents/{added.json()['id']}/content/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("fmt,mime,name", PHOTO_FORMATS)
def test_a_photo_loses_its_location(world, fmt, mime, name):
    original = photo(fmt)
    assert exif_of(original).get_ifd(ExifTags.IFD.GPSInfo)[GPS_LATITUDE]
    stored = uploaded_and_downloaded(world, original, name, mime)
    exif = exif_of(stored)
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert ExifTags.Base.Make not in exif
    assert b"PhoneMaker" not in stored


@pytest.mark.parametrize("orientation", [3, 6, 8])
@pytest.mark.parametrize("fmt,mime,name", PHOTO_FORMATS)
def test_a_photo_taken_turned_is_stored_upright_as_it_was_shown(
    world, fmt, mime, name, orientation
):
    original = photo(fmt, size=(64, 48), orientation=orientation)
    shown = as_shown(original)
    assert shown.size == ((48, 64) if orientation in (6, 8) else (64, 48))
    stored = uploaded_and_downloaded(world, original, name, mime)
    assert ORIENTATION not in exif_of(stored)
    assert not exif_of(stored).get_ifd(ExifTags.IFD.GPSInfo)
    assert b"PhoneMaker" not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == fmt
    assert image.size == shown.size
    assert pixels_differ(image.convert("RGB"), shown) < 4
    # The blue quarter is where the viewer showed it, not where the camera wrote it.
    blue_at = max(
        [(0, 0), (shown.width - 1, 0), (0, shown.height - 1), (shown.width - 1, shown.height - 1)],
        key=lambda xy: shown.getpixel(xy)[2],
    )
    assert image.convert("RGB").getpixel(blue_at)[2] > 150


@pytest.mark.parametrize("fmt,mime,name", PHOTO_FORMATS)
def test_an_upright_photo_keeps_its_pixels_untouched(world, fmt, mime, name):
    original = photo(fmt, orientation=None)
    stored = uploaded_and_downloaded(world, original, name, mime)
    assert not exif_of(stored)
    assert Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(original)).tobytes()
    assert len(stored) < len(original)  # only the metadata went


# The document access table: caller -> expected status of list, upload, download, delete on a
# sent case (delete: only the uploading agency, only while the case is a draft).
ACCESS = {
    "sender officer": (("th_sender", Role.OFFICER), (200, 201, 200, 409)),
    "sender viewer": (("th_sender", Role.VIEWER), (200, 403, 200, 403)),
    "recipient officer": (("kh_recipient", Role.OFFICER), (200, 201, 200, 403)),
    "shared agency": (("kh_ngo", Role.OFFICER), (200, 403, 200, 403)),
    "foreign agency": (("vn_agency", Role.OFFICER), (404, 404, 404, 404)),
    "national auditor": (("kh_oversight", Role.AUDITOR), (200, 403, 403, 403)),
    # An auditor's role never writes: refused before the case is looked up, whatever the id.
    "foreign auditor": (("vn_oversight", Role.AUDITOR), (404, 403, 404, 403)),
}


@pytest.mark.parametrize("who", ACCESS)
@pytest.mark.parametrize("kind", ["referral", "return"])
def test_document_access_table(world, who, kind, document_store):
    (agency_name, role), expected = ACCESS[who]
    case = shared_case(world, kind)
    path = PATHS[kind].format(case.id)
    existing = upload(partner(world.th_sender), path, pdf(), "a.pdf", "application/pdf").json()
    client = partner(getattr(world, agency_name), role)
    got = (
        client.get(f"{path}documents/").status_code,
        upload(client, path, pdf(), "b.pdf", "application/pdf").status_code,
        client.get(f"{path}documents/{existing['id']}/content/").status_code,
        client.delete(f"{path}documents/{existing['id']}/").status_code,
    )
    assert got == expected
    assert Document.objects.count() == (2 if expected[1] == 201 else 1)
    assert len(stored_files(document_store)) == Document.objects.count()


def test_an_auditor_lists_documents_without_names_or_descriptions(world):
    case = new_referral(world, "sent")
    path = PATHS["referral"].format(case.id)
    upload(partner(world.th_sender), path, pdf(), "sokha.pdf", "application/pdf")
    (row,) = partner(world.kh_oversight, Role.AUDITOR).get(f"{path}documents/").json()["results"]
    assert set(row) == {"id", "kind", "content_type", "size", "uploaded_by_agency", "created_at"}


def test_a_shared_agency_reads_documents_only_while_consent_covers_it(world):
    case = shared_case(world)
    path = PATHS["referral"].format(case.id)
    added = upload(partner(world.th_sender), path, pdf(), "a.pdf", "application/pdf").json()
    ngo = partner(world.kh_ngo)
    assert ngo.get(f"{path}documents/{added['id']}/content/").status_code == 200
    subject = case.subject
    subject.consent_scope = ["social_welfare"]
    subject.save()
    for response in (
        ngo.get(f"{path}documents/"),
        ngo.get(f"{path}documents/{added['id']}/content/"),
    ):
        assert response.status_code == 409
        assert response.json()["type"].endswith("consent-not-covered")


def test_the_uploading_agency_deletes_a_document_of_its_draft(
    world, document_store, django_capture_on_commit_callbacks
):
    case = new_referral(world, "draft")
    path = PATHS["referral"].format(case.id)
    th = partner(world.th_sender)
    added = upload(th, path, pdf(), "a.pdf", "application/pdf").json()
    assert len(stored_files(document_store)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = th.delete(f"{path}documents/{added['id']}/")
    assert response.status_code == 204
    assert not Document.objects.exists()
    assert stored_files(document_store) == []
    assert th.get(f"{path}documents/{added['id']}/content/").status_code == 404


def test_a_case_that_has_ended_takes_no_documents(world):
    case = new_referral(world, "rejected")
    path = PATHS["referral"].format(case.id)
    response = upload(partner(world.kh_recipient), path, pdf(), "a.pdf", "application/pdf")
    assert response.status_code == 409
    assert not Document.objects.exists()


# Pinned: a page of documents costs a fixed number of queries, whatever its length.
DOCUMENT_LIST_QUERIES = 4


def test_the_document_list_costs_the_same_queries_for_one_document_and_for_many(world):
    case = new_referral(world, "sent")
    path = PATHS["referral"].format(case.id)
    th, kh = partner(world.th_sender), partner(world.kh_recipient)
    counts = []
    for _ in range(2):
        upload(th, path, pdf(), "a.pdf", "application/pdf")
        upload(th, path, pdf(), "b.pdf", "application/pdf")
        with CaptureQueriesContext(connection) as queries:
            assert kh.get(f"{path}documents/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == DOCUMENT_LIST_QUERIES
