"""Consent changes: recorded by the sending side, history kept, shares outside the scope end."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.roles import Role
from exchange.models import AuditEvent, Event, EventAudience
from referrals import services
from referrals.models import ConsentChange, ReturnRequest, Share

from ..factories import AgencyFactory
from .conftest import caller, new_referral, new_return, partner, subject_data

pytestmark = pytest.mark.django_db

WIDE = ["international_org", "ngo", "social_welfare"]


def _shared_referral(world, status="sent"):
    """A referral whose subject consented widely, shared with KH-NGO and IOM-KH."""
    referral = new_referral(world, status, subject=subject_data(consent_scope=WIDE))
    sender = caller(world.th_sender)
    for agency in (world.kh_ngo, world.kh_iom):
        services.case_share(case=referral, actor=sender, agency=agency)
    return referral


def _consent_url(case, kind="referrals"):
    return f"/api/v1/{kind}/{case.id}/consent/"


def test_narrowing_consent_ends_the_shares_outside_it_at_once(world):
    referral = _shared_referral(world)
    ngo, iom = partner(world.kh_ngo), partner(world.kh_iom)
    assert ngo.get(f"/api/v1/referrals/{referral.id}/").status_code == 200

    response = partner(world.th_sender).post(
        _consent_url(referral),
        {"status": "given", "scope": ["social_welfare", "international_org"]},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["previous_status"], body["previous_scope"]) == ("given", WIDE)
    assert (body["status"], body["scope"]) == ("given", ["international_org", "social_welfare"])
    assert body["agency"] == "TH-MSDHS"
    assert ngo.get(f"/api/v1/referrals/{referral.id}/").status_code == 404
    assert ngo.get(f"/api/v1/referrals/{referral.id}/messages/").status_code == 404
    assert iom.get(f"/api/v1/referrals/{referral.id}/").status_code == 200
    ended = Share.objects.get(referral=referral, agency=world.kh_ngo)
    assert ended.revoked_at is not None
    assert Share.objects.get(referral=referral, agency=world.kh_iom).revoked_at is None
    subject = partner(world.kh_recipient).get(f"/api/v1/referrals/{referral.id}/").json()["subject"]
    assert subject["consent"]["scope"] == ["international_org", "social_welfare"]


def test_a_consent_change_is_one_event_to_the_parties_and_the_agencies_that_lost_access(
    world, audit_watch
):
    referral = _shared_referral(world)
    partner(world.th_sender).post(_consent_url(referral), {"status": "refused"}, format="json")
    event = Event.objects.get(type="consent.changed", object_id=referral.id)
    audience = set(EventAudience.objects.filter(event=event).values_list("agency__code", flat=True))
    assert audience == {"TH-MSDHS", "KH-MOSVY", "KH-NGO", "IOM-KH"}
    assert "refused" not in str(event.data) and "Sokha" not in str(event.data)
    rows = [row for row in audit_watch.new() if row.action == "consent.changed"]
    assert len(rows) == 1 and rows[0].object_id == str(referral.id)
    assert not Share.objects.filter(referral=referral, revoked_at__isnull=True).exists()


def test_nothing_new_reaches_an_agency_outside_the_new_scope(world):
    referral = _shared_referral(world)
    th = partner(world.th_sender)
    th.post(_consent_url(referral), {"status": "given", "scope": ["social_welfare"]}, format="json")

    again = th.post(f"/api/v1/referrals/{referral.id}/shares/", {"agency": "KH-NGO"}, format="json")
    assert again.status_code == 409
    assert again.json()["type"].endswith("consent-not-covered")
    # Later events about the case no longer go to the agencies that lost access.
    services.case_message_post(case=referral, actor=caller(world.th_sender), body="Update.")
    last = Event.objects.filter(object_id=referral.id).latest("sequence")
    audience = set(EventAudience.objects.filter(event=last).values_list("agency__code", flat=True))
    assert audience == {"TH-MSDHS", "KH-MOSVY"}


def test_a_return_citing_a_referral_is_not_made_for_an_agency_outside_the_consent(world):
    referral = new_referral(world, "accepted", subject=subject_data(consent_scope=["ngo"]))
    kh_police = AgencyFactory(code="KH-MOI", country="KH", kind="police")
    response = partner(world.th_sender).post(
        "/api/v1/returns/",
        {"recipient_agency": "KH-MOI", "referral": str(referral.id), "basis": "readmission"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("consent-not-covered")
    assert not ReturnRequest.objects.filter(recipient_agency=kh_police).exists()


def test_the_history_keeps_every_change_in_order(world):
    referral = _shared_referral(world)
    th = partner(world.th_sender)
    th.post(_consent_url(referral), {"status": "given", "scope": ["ngo"]}, format="json")
    th.post(_consent_url(referral), {"status": "refused"}, format="json")

    history = partner(world.kh_recipient).get(_consent_url(referral)).json()["results"]
    assert [(row["previous_status"], row["status"]) for row in history] == [
        ("given", "refused"),
        ("given", "given"),
    ]
    assert history[0]["previous_scope"] == ["ngo"] and history[0]["scope"] == []


def test_consent_changes_on_a_return_too(world):
    return_request = new_return(world, "requested")
    response = partner(world.th_sender).post(
        _consent_url(return_request, "returns"), {"status": "refused"}, format="json"
    )
    assert response.status_code == 201
    return_request.refresh_from_db()
    assert return_request.subject.consent_status == "refused"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("recipient", 403), ("shared", 403), ("auditor", 403), ("stranger", 404)],
)
def test_only_the_sending_side_changes_consent(world, who, expected):
    referral = _shared_referral(world)
    client = {
        "recipient": lambda: partner(world.kh_recipient),
        "shared": lambda: partner(world.kh_iom),
        "auditor": lambda: partner(world.kh_oversight, Role.AUDITOR),
        "stranger": lambda: partner(world.vn_agency),
    }[who]()
    response = client.post(_consent_url(referral), {"status": "refused"}, format="json")
    assert response.status_code == expected
    assert not ConsentChange.objects.exists()
    assert Share.objects.filter(referral=referral, revoked_at__isnull=True).count() == 2


def test_auditors_and_strangers_do_not_read_the_consent_history(world):
    referral = _shared_referral(world)
    assert partner(world.kh_oversight, Role.AUDITOR).get(_consent_url(referral)).status_code == 403
    assert partner(world.vn_agency).get(_consent_url(referral)).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"status": "maybe"}, "status"),
        ({"scope": ["ngo"]}, "status"),
        ({"status": "refused", "scope": ["ngo"]}, "scope"),
        ({"status": "given", "scope": ["pirates"]}, "scope"),
        ({"status": "given", "scope": "ngo"}, "scope"),
        ({"status": 1}, "status"),
        ({"status": "given", "recorded_at": "not a time"}, "recorded_at"),
        ({"status": "given", "scop": ["ngo"]}, "scop"),
    ],
)
def test_bad_consent_input_is_a_problem_and_changes_nothing(world, payload, field):
    referral = _shared_referral(world)
    response = partner(world.th_sender).post(_consent_url(referral), payload, format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in response.json()["errors"]
    assert not ConsentChange.objects.exists()
    assert not AuditEvent.objects.filter(action="consent.changed").exists()


def test_consent_cannot_be_recorded_in_the_future(world):
    referral = _shared_referral(world)
    later = (timezone.now() + timedelta(days=1)).isoformat()
    response = partner(world.th_sender).post(
        _consent_url(referral), {"status": "given", "recorded_at": later}, format="json"
    )
    assert response.status_code == 400
    assert "recorded_at" in response.json()["errors"]
