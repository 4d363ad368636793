"""One disclosure gate: a subject reaches a new agency only within the subject's consent."""

import pytest
from django.db.models import Sum

from exchange.models import Event
from referrals.consent import consent_covers, ensure_may_disclose
from referrals.models import ReferralNotice, ReturnRequest, Share, Subject

from .conftest import caller, new_referral, new_return, partner, subject_data

pytestmark = pytest.mark.django_db

REFUSED = {"consent_status": "refused", "consent_scope": []}
COVERED = {"consent_status": "given", "consent_scope": ["social_welfare", "ngo"]}
PROBLEM_TYPE = "urn:mekong-exchange:problem:consent-not-covered"


def _written() -> tuple:
    """What a refused disclosure must leave unchanged."""
    return (
        Share.objects.count(),
        ReturnRequest.objects.count(),
        Event.objects.count(),
        ReturnRequest.objects.aggregate(versions=Sum("version"))["versions"],
    )


def _return_draft(world, **fields):
    return partner(world.kh_recipient).post(
        "/api/v1/returns/", {"basis": "voluntary_return", **fields}, format="json"
    )


def share_a_referral(world, consent):
    referral = new_referral(world, "sent", subject=subject_data(**consent))
    return lambda: partner(world.th_sender).post(
        f"/api/v1/referrals/{referral.id}/shares/", {"agency": "KH-NGO"}, format="json"
    )


def share_a_return(world, consent):
    return_request = new_return(world, "requested", subject=subject_data(**consent))
    return lambda: partner(world.th_sender).post(
        f"/api/v1/returns/{return_request.id}/shares/", {"agency": "KH-NGO"}, format="json"
    )


def create_a_return_citing_a_referral(world, consent):
    """The recipient of a referral asks a third country to take the person back."""
    referral = new_referral(world, "accepted", subject=subject_data(**consent))
    return lambda: _return_draft(world, recipient_agency="VN-MOLISA", referral=str(referral.id))


def cite_a_referral_in_a_draft_return(world, consent):
    referral = new_referral(world, "accepted", subject=subject_data(**consent))
    draft = _return_draft(
        world, recipient_agency="VN-MOLISA", subject={"given_name": "Dara"}
    ).json()
    return lambda: partner(world.kh_recipient).patch(
        f"/api/v1/returns/{draft['id']}/",
        {"referral": str(referral.id)},
        format="json",
        HTTP_IF_MATCH="*",
    )


def send_a_return_citing_a_referral(world, consent):
    """Consent as recorded when the draft was written, then changed before sending."""
    referral = new_referral(world, "accepted", subject=subject_data(**COVERED))
    draft = _return_draft(world, recipient_agency="VN-MOLISA", referral=str(referral.id)).json()
    Subject.objects.filter(pk=referral.subject_id).update(**consent)
    return lambda: partner(world.kh_recipient).post(f"/api/v1/returns/{draft['id']}/send/")


DISCLOSURE_PATHS = [
    share_a_referral,
    share_a_return,
    create_a_return_citing_a_referral,
    cite_a_referral_in_a_draft_return,
    send_a_return_citing_a_referral,
]


@pytest.mark.parametrize("path", DISCLOSURE_PATHS, ids=lambda path: path.__name__)
def test_every_disclosure_outside_consent_is_409_and_writes_nothing(world, path):
    act = path(world, REFUSED)
    before = _written()
    response = act()
    assert response.status_code == 409, response.content
    problem = response.json()
    assert problem["type"] == PROBLEM_TYPE
    assert "consent" in problem["detail"]
    assert _written() == before


@pytest.mark.parametrize("path", DISCLOSURE_PATHS, ids=lambda path: path.__name__)
def test_every_disclosure_within_consent_goes_ahead(world, path):
    response = path(world, COVERED)()
    assert response.status_code in (200, 201), response.content


def test_sending_a_referral_to_its_own_recipient_needs_no_consent(world):
    referral = new_referral(world, "draft", subject=subject_data(**REFUSED))
    response = partner(world.th_sender).post(f"/api/v1/referrals/{referral.id}/send/")
    assert response.status_code == 200
    assert response.json()["status"] == "sent"


def test_a_return_to_a_party_of_the_cited_referral_needs_no_consent(world):
    referral = new_referral(world, "accepted", subject=subject_data(**REFUSED))
    created = _return_draft(world, recipient_agency="TH-MSDHS", referral=str(referral.id))
    assert created.status_code == 201, created.content
    sent = partner(world.kh_recipient).post(f"/api/v1/returns/{created.json()['id']}/send/")
    assert sent.status_code == 200


@pytest.mark.parametrize(
    ("status", "scope", "covered"),
    [
        ("given", ["ngo"], True),
        ("guardian_given", ["ngo"], True),
        ("given", ["social_welfare"], False),
        ("refused", ["ngo"], False),
        ("not_asked", ["ngo"], False),
    ],
)
def test_consent_covers_by_status_and_agency_kind(world, status, scope, covered):
    subject = Subject(consent_status=status, consent_scope=scope)
    assert consent_covers(subject, world.kh_ngo) is covered


def test_the_gate_passes_the_parties_and_active_shares_only(world):
    referral = new_referral(world, "sent", subject=subject_data(**COVERED))
    referral = ReferralNotice.objects.select_related("subject").get(pk=referral.pk)
    for party in (world.th_sender, world.kh_recipient):
        ensure_may_disclose(case=referral, agency=party)
    Subject.objects.filter(pk=referral.subject_id).update(**REFUSED)
    referral.subject.refresh_from_db()
    from referrals.services import case_share

    with pytest.raises(Exception, match="consent"):
        ensure_may_disclose(case=referral, agency=world.kh_ngo)
    Subject.objects.filter(pk=referral.subject_id).update(**COVERED)
    case_share(case=referral, actor=caller(world.th_sender), agency=world.kh_ngo)
    Subject.objects.filter(pk=referral.subject_id).update(**REFUSED)
    referral.subject.refresh_from_db()
    ensure_may_disclose(case=referral, agency=world.kh_ngo)  # already takes part
