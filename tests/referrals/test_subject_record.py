"""The person's record: everything held on a subject, as JSON and as a PDF, for the parties."""

import io
from datetime import UTC, datetime

import pytest
import time_machine
from pypdf import PdfReader

from agencies.roles import Role
from exchange.models import AuditEvent
from referrals import services
from referrals.services.retention import retention_sweep

from .conftest import caller, new_referral, new_return, partner, subject_data

pytestmark = pytest.mark.django_db


def _case(world):
    referral = new_referral(
        world,
        "accepted",
        subject=subject_data(
            aliases=["Sok"],
            family_contact={"name": "Chan Dara", "phone": "+85512345678"},
            consent_scope=["ngo", "social_welfare"],
        ),
    )
    sender = caller(world.th_sender)
    services.case_message_post(case=referral, actor=sender, body="Her sister waits in Poipet.")
    services.case_share(case=referral, actor=sender, agency=world.kh_ngo)
    services.case_consent_change(
        case=referral, actor=sender, status="given", scope=["social_welfare"]
    )
    return referral


def _url(case, fmt=""):
    kind = "referrals" if case.reference.startswith("REF") else "returns"
    return f"/api/v1/{kind}/{case.id}/record/" + (f"?format={fmt}" if fmt else "")


def _pdf_text(content: bytes) -> tuple[str, str]:
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    fonts = " ".join(
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    )
    return text, fonts


def test_the_sender_exports_everything_held_on_the_person(world, audit_watch):
    referral = _case(world)
    response = partner(world.th_sender).get(_url(referral))

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    record = response.json()
    assert record["subject"]["given_name"] == "Sokha"
    assert record["subject"]["aliases"] == ["Sok"]
    assert record["subject"]["family_contact"]["name"] == "Chan Dara"
    assert record["case"]["reference"] == referral.reference
    assert record["case"]["summary"] == referral.summary
    assert [m["body"] for m in record["messages"]] == ["Her sister waits in Poipet."]
    assert [(c["previous_scope"], c["scope"]) for c in record["consent_history"]] == [
        (["ngo", "social_welfare"], ["social_welfare"])
    ]
    disclosed = {(row["agency"], row["as"]): row for row in record["disclosed_to"]}
    assert set(disclosed) == {
        ("TH-MSDHS", "sender"),
        ("KH-MOSVY", "recipient"),
        ("KH-NGO", "share"),
    }
    assert disclosed[("KH-NGO", "share")]["until"] is not None
    assert record["retention"]["years_after_the_case_ends"] == 5
    assert record["documents"] == []
    [row] = [row for row in audit_watch.new() if row.action == "referral.record.read"]
    assert row.object_id == str(referral.id) and row.detail == {"format": "json"}


def test_the_record_as_a_pdf_is_in_the_reading_agencys_language(world, audit_watch):
    referral = _case(world)
    response = partner(world.kh_recipient).get(_url(referral, "pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF-")
    text, fonts = _pdf_text(response.content)
    assert referral.reference in text and "Sokha" in text and "Poipet" in text
    assert "Khmer" in fonts  # KH-MOSVY reads Khmer: its labels are set in a Khmer font
    assert "Record of personal data held" not in text
    [row] = [row for row in audit_watch.new() if row.action == "referral.record.read"]
    assert row.detail == {"format": "pdf"} and row.agency == world.kh_recipient


def test_a_thai_agency_gets_its_record_in_thai(world):
    referral = _case(world)
    response = partner(world.th_sender).get(_url(referral, "pdf"))
    text, fonts = _pdf_text(response.content)
    assert "Thai" in fonts and "Sokha" in text


def test_an_english_reading_agency_gets_english_labels(world):
    world.th_sender.language = "en"
    world.th_sender.save()
    referral = _case(world)
    text, _fonts = _pdf_text(partner(world.th_sender).get(_url(referral, "pdf")).content)
    assert "Record of personal data held" in text and "Given name" in text


def test_a_return_has_a_record_too(world):
    return_request = new_return(world, "handed_over")
    response = partner(world.kh_recipient).get(_url(return_request))
    assert response.status_code == 200
    assert response.json()["kind"] == "return"
    assert response.json()["retention"]["ended_at"] is not None


def test_after_retention_the_record_shows_what_is_left(world):
    with time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False):
        referral = new_referral(world, "rejected")
    with time_machine.travel(datetime(2032, 1, 1, tzinfo=UTC), tick=False):
        retention_sweep()
        record = partner(world.th_sender).get(_url(referral)).json()
        pdf = partner(world.th_sender).get(_url(referral, "pdf"))
    assert record["subject"]["given_name"] == "" and record["subject"]["birth_year"] == 1999
    assert record["retention"]["pseudonymised_at"].startswith("2032-01-01")
    assert pdf.status_code == 200


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("sender admin", 200),
        ("recipient officer", 200),
        ("sender viewer", 403),
        ("shared agency", 403),
        ("auditor", 403),
        ("stranger", 404),
    ],
)
def test_who_exports_the_record(world, who, expected):
    referral = new_referral(world, "sent")
    services.case_share(case=referral, actor=caller(world.th_sender), agency=world.kh_ngo)
    client = {
        "sender admin": lambda: partner(world.th_sender, Role.ADMIN),
        "recipient officer": lambda: partner(world.kh_recipient),
        "sender viewer": lambda: partner(world.th_sender, Role.VIEWER),
        "shared agency": lambda: partner(world.kh_ngo),
        "auditor": lambda: partner(world.kh_oversight, Role.AUDITOR),
        "stranger": lambda: partner(world.vn_agency),
    }[who]()
    for fmt in ("", "pdf"):
        response = client.get(_url(referral, fmt))
        assert response.status_code == expected
        if expected != 200:
            assert response["Content-Type"].startswith("application/problem+json")
            assert "Sokha" not in response.content.decode()
    reads = AuditEvent.objects.filter(action="referral.record.read")
    assert reads.count() == (2 if expected == 200 else 0)


def test_the_record_costs_the_same_queries_for_a_short_and_a_long_thread(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    referral = new_referral(world, "sent")
    client = partner(world.th_sender)
    sender = caller(world.th_sender)
    services.case_message_post(case=referral, actor=sender, body="First.")
    client.get(_url(referral))  # warm the token and role caches
    with CaptureQueriesContext(connection) as short:
        assert client.get(_url(referral)).status_code == 200
    for number in range(15):
        services.case_message_post(case=referral, actor=sender, body=f"Message {number}.")
    with CaptureQueriesContext(connection) as long:
        assert client.get(_url(referral)).status_code == 200
    assert len(short) == len(long)
