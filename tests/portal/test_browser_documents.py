"""Documents and statistics in the browser: a PDF added and downloaded, an auditor's statistics."""

from pathlib import Path

import pytest

from agencies.roles import Role
from exchange.models import AuditEvent
from referrals.models import Document

from ..factories import member
from ..referrals.conftest import new_referral
from ..referrals.documents import pdf
from ..referrals.test_documents import document_store  # noqa: F401
from ..referrals.test_statistics import _seed_cases
from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MIB = 1024 * 1024


def test_an_officer_adds_a_pdf_on_the_case_page_and_downloads_it(world, visitor, tmp_path):
    referral = new_referral(world, "sent")
    case_page = f"/cases/referral/{referral.pk}/"
    content = pdf("Consent form signed at Poipet")
    th_user = member(world.th_sender, Role.OFFICER)

    th = visitor("th-officer-documents")
    th.sign_in(th_user.username, PASSWORD)
    th.go(case_page)
    assert th.page.get_attribute("html", "lang") == "th"
    th.page.set_input_files(
        "#document-file",
        files=[{"name": "consent-form.pdf", "mimeType": "application/pdf", "buffer": content}],
    )
    th.page.select_option("#document-kind", "consent_form")
    th.page.fill("#document-description", "Signed at the Poipet shelter")
    th.submit("#document-add")
    assert th.page.url.endswith(f"{case_page}#documents")
    document = Document.objects.get()
    assert document.kind == "consent_form"
    row = th.page.locator("#documents tbody tr")
    assert row.count() == 1 and "Signed at the Poipet shelter" in row.inner_text()
    th.check("case-documents-th")

    with th.page.expect_download() as download:
        row.locator("a[download]").click()
    assert download.value.suggested_filename == "consent-form.pdf"
    assert Path(download.value.path()).read_bytes() == content
    assert AuditEvent.objects.filter(action="document.downloaded", actor=th_user).count() == 1

    # A file the exchange does not take: the reason on the page, nothing stored.
    th.page.set_input_files(
        "#document-file",
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Sokha Chan\n" * 40}],
    )
    th.submit("#document-add")
    assert th.page.locator("[role=alert] li.error").count() == 1
    assert Document.objects.count() == 1
    th.check("case-document-refused-th")

    # Over the limit: the browser says so before sending it (the server would refuse it too).
    big = tmp_path / "big.pdf"
    big.write_bytes(pdf(padding=21 * MIB))
    th.page.set_input_files("#document-file", big, timeout=60_000)
    message = th.page.eval_on_selector("#document-file", "input => input.validationMessage")
    assert message == "เอกสารหนึ่งฉบับมีขนาดได้ไม่เกิน 20 MiB"
    th.page.click("#document-add")
    assert th.page.eval_on_selector("#document-file", "input => input.validity.valid") is False
    assert Document.objects.count() == 1

    # The recipient in Khmer, on a phone's width.
    kh_user = member(world.kh_recipient, Role.OFFICER)
    kh = visitor("kh-officer-documents", width=360, height=800)
    kh.sign_in(kh_user.username, PASSWORD)
    kh.go(case_page)
    assert kh.page.get_attribute("html", "lang") == "km"
    assert kh.page.locator("#documents a[download]").count() == 1
    width = kh.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px)"
    kh.check("case-documents-km-360")


def test_an_auditor_reads_the_statistics_in_khmer_and_on_a_phone(world, visitor):
    _seed_cases(world, count=120)
    auditor = member(world.kh_oversight, Role.AUDITOR)
    ncct = visitor("kh-ncct-statistics")
    ncct.sign_in(auditor.username, PASSWORD)
    with ncct.page.expect_navigation():
        ncct.page.click("header nav a[href='/oversight/statistics/']")
    assert ncct.page.get_attribute("html", "lang") == "km"
    assert ncct.page.locator("table").count() == 7
    assert ncct.page.locator("td", has_text="លាក់ទុក").count() > 0
    ncct.check("statistics-km")
    ncct.page.fill("#stats-from", "2026")
    ncct.submit("form.filters button[type=submit]")
    assert "from=2026" in ncct.page.url
    ncct.check("statistics-2026-km")

    phone = visitor("kh-ncct-statistics-phone", width=360, height=800)
    phone.sign_in(auditor.username, PASSWORD)
    phone.go("/oversight/statistics/")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px)"
    phone.check("statistics-km-360")

    # A Thai oversight body, given the national scope by the operators, reads in Thai.
    world.th_other.audit_scope = "country"
    world.th_other.save(update_fields=["audit_scope"])
    thai = visitor("th-auditor-statistics")
    thai.sign_in(member(world.th_other, Role.AUDITOR).username, PASSWORD)
    thai.go("/oversight/statistics/")
    assert thai.page.get_attribute("html", "lang") == "th"
    assert thai.page.locator("#stats-country_pair + p + .table-wrap th", has_text="TH-VN").count()
    thai.check("statistics-th")
