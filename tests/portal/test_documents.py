"""Documents on the case page: who sees, adds, downloads and deletes them, and what is refused."""

import base64

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from agencies import keyring
from agencies.roles import Role
from exchange.models import AuditEvent, Event
from referrals import services
from referrals.models import Document

from ..referrals.conftest import caller, new_referral, new_return
from ..referrals.documents import pdf, photo, zip_archive
from ..referrals.test_documents import document_store, stored_files  # noqa: F401
from .conftest import signed_in as signed_in_in_agency_language
from .test_queries import CASE_PAGE_QUERIES, page_queries

pytestmark = pytest.mark.django_db
MIB = 1024 * 1024


def signed_in(agency, role=Role.OFFICER) -> Client:
    """A signed-in member who reads the portal in English (the assertions quote it)."""
    return in_english(signed_in_in_agency_language(agency, role))


def in_english(browser: Client) -> Client:
    browser.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return browser


@pytest.fixture
def th_officer(world):
    return signed_in(world.th_sender)


@pytest.fixture
def kh_officer(world):
    return signed_in(world.kh_recipient)


def case_url(case) -> str:
    return f"/cases/{case.kind}/{case.pk}/"


def add(browser, case, content: bytes, name="report.pdf", content_type="application/pdf", **form):
    fields = {"kind": "medical_report", "description": "Hospital report, Sa Kaeo", **form}
    upload = SimpleUploadedFile(name, content, content_type=content_type)
    return browser.post(f"{case_url(case)}documents/", {"file": upload, **fields})


def shared_case(world, kind="referral"):
    case = new_referral(world, "sent") if kind == "referral" else new_return(world, "requested")
    services.case_share(case=case, actor=caller(world.th_sender), agency=world.kh_ngo)
    return case


@pytest.mark.parametrize("kind", ["referral", "return"])
def test_an_officer_adds_a_pdf_and_the_recipient_downloads_the_same_bytes(
    world, kind, th_officer, kh_officer, audit_watch
):
    case = shared_case(world, kind)
    content = pdf("Medical report for Sokha Chan")
    response = add(th_officer, case, content)
    assert response.status_code == 302
    assert response["Location"] == f"{case_url(case)}#documents"
    document = Document.objects.get()
    assert (document.kind, document.description) == ("medical_report", "Hospital report, Sa Kaeo")
    assert document.uploaded_by_agency == world.th_sender

    page = kh_officer.get(case_url(case)).content.decode()
    assert "Hospital report, Sa Kaeo" in page and "report.pdf" in page
    download = kh_officer.get(f"{case_url(case)}documents/{document.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert "no-store" in download["Cache-Control"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Length"] == str(len(content))

    rows = {row.action: row for row in audit_watch.new()}
    assert rows["document.added"].actor == th_officer.user
    assert rows["document.downloaded"].actor == kh_officer.user
    assert rows["document.downloaded"].detail == {
        "document": str(document.pk),
        "kind": "medical_report",
    }
    assert f"{kind}.documents.read" in rows
    event = Event.objects.get(type="document.added")
    assert "report.pdf" not in str(event.data) and "Sa Kaeo" not in str(event.data)


# Who does what on a sent, shared case holding one document of the sender's: the case page
# (and whether it lists the file and offers the form), upload, download and delete.
ACCESS = {
    "sender officer": ("th_sender", Role.OFFICER, (200, True, True), (302, 200, 409)),
    "sender viewer": ("th_sender", Role.VIEWER, (200, True, False), (403, 200, 403)),
    "recipient officer": ("kh_recipient", Role.OFFICER, (200, True, True), (302, 200, 403)),
    "shared agency": ("kh_ngo", Role.OFFICER, (200, True, False), (403, 200, 403)),
    "foreign agency": ("vn_agency", Role.OFFICER, (404, False, False), (404, 404, 404)),
    "national auditor": ("kh_oversight", Role.AUDITOR, (200, False, False), (403, 403, 403)),
    "foreign auditor": ("vn_oversight", Role.AUDITOR, (404, False, False), (404, 404, 404)),
}


@pytest.mark.parametrize("who", ACCESS)
def test_document_access_on_the_case_page(world, who, document_store):  # noqa: F811
    agency_name, role, (page_status, names_file, offers_form), expected = ACCESS[who]
    case = shared_case(world)
    assert add(signed_in(world.th_sender), case, pdf(), name="sokha-id.pdf").status_code == 302
    existing = Document.objects.get()
    browser = signed_in(getattr(world, agency_name), role)

    page = browser.get(case_url(case))
    html = page.content.decode()
    assert page.status_code == page_status
    assert ("sokha-id.pdf" in html) == names_file
    assert ('id="document-file"' in html) == offers_form
    if role == Role.AUDITOR and page_status == 200:
        assert "Medical report" in html and "Hospital report" not in html
    got = (
        add(browser, case, pdf(), name="b.pdf").status_code,
        browser.get(f"{case_url(case)}documents/{existing.pk}/").status_code,
        browser.post(f"{case_url(case)}documents/{existing.pk}/delete/").status_code,
    )
    assert got == expected
    assert Document.objects.count() == (2 if expected[0] == 302 else 1)
    assert len(stored_files(document_store)) == Document.objects.count()
    if page_status == 404:
        assert "sokha-id.pdf" not in html and "Sokha" not in html


def test_another_agencys_document_is_the_same_404_page_as_one_that_does_not_exist(world):
    case = shared_case(world)
    add(signed_in(world.th_sender), case, pdf())
    document = Document.objects.get()
    foreign = signed_in(world.vn_agency)
    nowhere = "00000000-0000-4000-8000-000000000000"
    pages = [
        foreign.get(f"{case_url(case)}documents/{document.pk}/"),
        foreign.get(f"/cases/referral/{nowhere}/documents/{document.pk}/"),
        signed_in(world.kh_recipient).get(f"{case_url(case)}documents/{nowhere}/"),
    ]
    assert [page.status_code for page in pages] == [404, 404, 404]
    titles = {page.content.decode().split("<h1>")[1].split("</h1>")[0] for page in pages}
    assert len(titles) == 1
    assert AuditEvent.objects.filter(outcome="denied", status_code=404).count() == 3


def test_a_shared_agency_reaches_documents_only_while_consent_covers_it(world, document_store):  # noqa: F811
    case = shared_case(world)
    add(signed_in(world.th_sender), case, pdf(), name="sokha-id.pdf")
    document = Document.objects.get()
    ngo = signed_in(world.kh_ngo)
    assert ngo.get(f"{case_url(case)}documents/{document.pk}/").status_code == 200
    subject = case.subject
    subject.consent_scope = ["social_welfare"]
    subject.save()
    page = ngo.get(case_url(case)).content.decode()
    assert "sokha-id.pdf" not in page
    assert "consent does not cover agencies of kind ngo" in page
    refused = ngo.get(f"{case_url(case)}documents/{document.pk}/")
    assert refused.status_code == 409
    assert "consent does not cover" in refused.content.decode()
    assert AuditEvent.objects.filter(action="document.downloaded", actor=ngo.user).count() == 1


# label -> (file name, declared type, content, status, what the page says)
BAD_FILES = {
    "oversize": ("big.pdf", "application/pdf", pdf(padding=20 * MIB), 413, "at most 20 MiB"),
    "empty": ("empty.pdf", "application/pdf", b"", 400, "The file is empty."),
    "zip archive": ("a.zip", "application/zip", zip_archive(), 415, "PDF, JPEG, PNG or WebP"),
    "mislabeled": ("photo.pdf", "image/png", photo("PNG"), 415, "labelled or named otherwise"),
    "polyglot": ("p.pdf", "application/pdf", pdf() + zip_archive(), 415, "PDF, JPEG, PNG or WebP"),
}


@pytest.mark.parametrize("label", BAD_FILES)
def test_a_bad_file_is_an_error_on_the_page_and_nothing_is_stored(
    world,
    label,
    th_officer,
    document_store,  # noqa: F811
):
    name, content_type, content, status, says = BAD_FILES[label]
    case = new_referral(world, "sent")
    response = add(th_officer, case, content, name=name, content_type=content_type)
    html = response.content.decode()
    assert response.status_code == status, html[:2000]
    assert 'role="alert"' in html and says in html
    assert case.reference in html  # the case page again, as it is
    assert not Document.objects.exists()
    assert stored_files(document_store) == []
    assert not Event.objects.filter(type="document.added").exists()


def test_an_unknown_kind_and_a_missing_file_are_refused(world, th_officer, document_store):  # noqa: F811
    case = new_referral(world, "sent")
    assert add(th_officer, case, pdf(), kind="passport_scan").status_code == 400
    no_file = th_officer.post(f"{case_url(case)}documents/", {"kind": "other"})
    assert no_file.status_code == 400
    assert "No file was submitted." in no_file.content.decode()
    assert not Document.objects.exists() and stored_files(document_store) == []


def test_the_hundred_and_first_document_is_refused(world, th_officer, settings, document_store):  # noqa: F811
    settings.DOCUMENTS_PER_CASE = 1
    case = new_referral(world, "sent")
    assert add(th_officer, case, pdf()).status_code == 302
    response = add(th_officer, case, pdf(), name="second.pdf")
    assert response.status_code == 409
    assert "at most 100 documents" in response.content.decode()
    assert Document.objects.count() == 1 and len(stored_files(document_store)) == 1


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(world, th_officer):
    case = new_referral(world, "sent")
    response = th_officer.post(
        f"{case_url(case)}documents/",
        data=b"x",
        content_type="multipart/form-data; boundary=b",
        CONTENT_LENGTH=str(django_settings.DOCUMENT_UPLOAD_MAX_BODY + 1),
    )
    assert response.status_code == 413
    assert not Document.objects.exists()


def test_an_upload_without_the_forms_csrf_token_is_refused(world, document_store):  # noqa: F811
    case = new_referral(world, "sent")
    officer = signed_in(world.th_sender)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = officer.cookies
    response = add(strict, case, pdf())
    assert response.status_code == 403
    assert not Document.objects.exists() and stored_files(document_store) == []


def test_a_file_sealed_with_a_key_the_ring_lacks_is_a_503_page(world, settings, kh_officer):
    case = new_referral(world, "sent")
    old_id = keyring.keyring().active_id
    old_key = base64.b64encode(keyring._derived_key()[old_id]).decode()
    new_key = base64.b64encode(b"\x05" * 32).decode()
    settings.ENCRYPTION_KEYS = f"new:{new_key},{old_id}:{old_key}"
    add(signed_in(world.th_sender), case, pdf())
    document = Document.objects.get()
    assert document.key_id == "new"
    settings.ENCRYPTION_KEYS = f"{old_id}:{old_key}"  # the new key is gone again
    response = kh_officer.get(f"{case_url(case)}documents/{document.pk}/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert b"%PDF" not in response.content
    assert "The operators must restore the key" in response.content.decode()


def test_the_uploader_deletes_its_document_while_the_case_is_a_draft(
    world,
    th_officer,
    kh_officer,
    document_store,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    case = new_referral(world, "draft")
    add(th_officer, case, pdf(), name="draft-scan.pdf")
    document = Document.objects.get()
    assert 'aria-label="Delete draft-scan.pdf"' in th_officer.get(case_url(case)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = th_officer.post(f"{case_url(case)}documents/{document.pk}/delete/")
    assert response.status_code == 302
    assert not Document.objects.exists() and stored_files(document_store) == []
    assert Event.objects.filter(type="document.deleted").count() == 1


def test_a_case_that_has_ended_offers_no_upload_and_refuses_one(world, kh_officer):
    case = new_referral(world, "rejected")
    assert 'id="document-file"' not in kh_officer.get(case_url(case)).content.decode()
    response = add(kh_officer, case, pdf())
    assert response.status_code == 409
    assert not Document.objects.exists()


def test_the_case_page_is_in_the_readers_language(world, kh_officer):
    case = new_referral(world, "sent")
    add(signed_in(world.th_sender), case, pdf())
    kh_officer.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "km"
    html = kh_officer.get(case_url(case)).content.decode()
    assert 'lang="km"' in html
    assert "Documents" not in html and "Add the document" not in html
    assert "បៃ</td>" in html and " bytes<" not in html  # the document's size, in Khmer units


def test_the_case_page_costs_the_same_for_one_document_or_many(world, th_officer, kh_officer):
    case = new_referral(world, "sent")
    counts = []
    for _ in range(2):
        for name in ("a.pdf", "b.pdf", "c.pdf"):
            add(th_officer, case, pdf(), name=name)
        counts.append(page_queries(kh_officer, case_url(case)))
    assert counts[0] == counts[1] == CASE_PAGE_QUERIES
