"""The case rules: best interests, consent, drafts, sides, and bad input that changes nothing."""

import json

import django_filters
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from agencies.models import Agency
from agencies.roles import Role
from exchange.models import Event
from protocol.etags import etag_of
from protocol.filters import StrictFilterSet
from referrals.filters import ReferralFilter
from referrals.models import ReferralNotice, ReturnRequest

from .conftest import new_referral, new_return, partner, referral_payload, subject_data

pytestmark = pytest.mark.django_db

VERIFIED = {"identity_confirmed": True, "nationality_confirmed": True, "family_traced": False}


def test_a_minor_is_not_verified_until_the_family_is_traced(world):
    child = new_return(world, "requested", subject=subject_data(birth_date=None, age_estimate=15))
    kh = partner(world.kh_recipient)
    url = f"/api/v1/returns/{child.id}/verify/"

    refused = kh.post(url, {"verification": VERIFIED}, format="json")
    assert refused.status_code == 400
    assert "family_traced" in refused.json()["errors"]["verification"]
    child.refresh_from_db()
    assert child.status == "requested"

    traced = kh.post(url, {"verification": {**VERIFIED, "family_traced": True}}, format="json")
    assert traced.status_code == 200
    assert traced.json()["status"] == "verified"


def test_an_adult_is_verified_without_family_tracing(world):
    adult = new_return(world, "requested")
    response = partner(world.kh_recipient).post(
        f"/api/v1/returns/{adult.id}/verify/", {"verification": VERIFIED}, format="json"
    )
    assert response.status_code == 200


def test_verification_needs_identity_and_nationality_confirmed(world):
    case = new_return(world, "requested")
    response = partner(world.kh_recipient).post(
        f"/api/v1/returns/{case.id}/verify/",
        {"verification": {**VERIFIED, "nationality_confirmed": False}},
        format="json",
    )
    assert response.status_code == 400
    assert "nationality_confirmed" in response.json()["errors"]["verification"]


def test_a_share_within_consent_lets_a_third_agency_read_but_never_act(world):
    case = new_referral(world, "sent")
    th = partner(world.th_sender)
    shared = th.post(f"/api/v1/referrals/{case.id}/shares/", {"agency": "KH-NGO"}, format="json")
    assert shared.status_code == 201

    ngo = partner(world.kh_ngo)
    assert ngo.get(f"/api/v1/referrals/{case.id}/").status_code == 200
    assert ngo.get(f"/api/v1/referrals/{case.id}/").json()["allowed_actions"] == []
    assert ngo.post(f"/api/v1/referrals/{case.id}/accept/").status_code == 403
    message = ngo.post(f"/api/v1/referrals/{case.id}/messages/", {"body": "hello"}, format="json")
    assert message.status_code == 403

    revoke = th.delete(f"/api/v1/referrals/{case.id}/shares/{shared.json()['id']}/")
    assert revoke.status_code == 204
    assert ngo.get(f"/api/v1/referrals/{case.id}/").status_code == 404
    assert case.id not in [r["id"] for r in ngo.get("/api/v1/referrals/").json()["results"]]


@pytest.mark.parametrize(
    "consent",
    [
        {"consent_status": "given", "consent_scope": ["social_welfare"]},
        {"consent_status": "refused", "consent_scope": ["ngo"]},
        {"consent_status": "not_asked", "consent_scope": []},
    ],
)
def test_a_share_outside_the_consent_scope_is_409(world, consent):
    case = new_referral(world, "sent", subject=subject_data(**consent))
    response = partner(world.th_sender).post(
        f"/api/v1/referrals/{case.id}/shares/", {"agency": "KH-NGO"}, format="json"
    )
    assert response.status_code == 409
    assert "consent" in response.json()["detail"]
    assert partner(world.kh_ngo).get(f"/api/v1/referrals/{case.id}/").status_code == 404


def test_only_the_sender_edits_and_only_a_draft_with_if_match(world):
    draft = new_referral(world, "draft")
    th = partner(world.th_sender)
    url = f"/api/v1/referrals/{draft.id}/"
    etag = th.get(url)["ETag"]

    assert th.patch(url, {"urgency": "urgent"}, format="json").status_code == 428
    edited = th.patch(url, {"urgency": "urgent"}, format="json", HTTP_IF_MATCH=etag)
    assert edited.status_code == 200
    assert edited.json()["urgency"] == "urgent"
    assert edited["ETag"] != etag
    stale = th.patch(url, {"urgency": "emergency"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412

    sent = new_referral(world, "sent")
    etag = th.get(f"/api/v1/referrals/{sent.id}/")["ETag"]
    locked = th.patch(
        f"/api/v1/referrals/{sent.id}/", {"urgency": "urgent"}, format="json", HTTP_IF_MATCH=etag
    )
    assert locked.status_code == 409
    by_recipient = partner(world.kh_recipient).patch(
        f"/api/v1/referrals/{sent.id}/", {"urgency": "urgent"}, format="json", HTTP_IF_MATCH=etag
    )
    assert by_recipient.status_code == 403


def test_actions_honour_if_match(world):
    case = new_referral(world, "sent")
    kh = partner(world.kh_recipient)
    stale = etag_of(case)
    kh.post(f"/api/v1/referrals/{case.id}/acknowledge/", {"focal_point": "Dara"}, format="json")
    late = kh.post(f"/api/v1/referrals/{case.id}/accept/", HTTP_IF_MATCH=stale)
    assert late.status_code == 412
    case.refresh_from_db()
    assert case.status == "acknowledged"


def test_the_recipient_sees_nothing_of_a_draft(world):
    draft = new_referral(world, "draft")
    kh = partner(world.kh_recipient)
    assert kh.get(f"/api/v1/referrals/{draft.id}/").status_code == 404
    assert kh.get(f"/api/v1/referrals/{draft.id}/messages/").status_code == 404
    assert kh.get("/api/v1/referrals/").json()["results"] == []
    assert not Event.objects.filter(
        object_id=draft.id, audience__agency=world.kh_recipient
    ).exists()


def test_references_count_per_country_pair_and_year(world):
    first, second = new_referral(world, "sent"), new_referral(world, "sent")
    ret = new_return(world, "requested")
    assert first.reference == "REF-TH-KH-2026-000001"
    assert second.reference == "REF-TH-KH-2026-000002"
    assert ret.reference == "RET-TH-KH-2026-000001"


def test_no_serializer_exposes_user_ids_emails_or_permission_rows(world):
    case = new_referral(world, "sent")
    th = partner(world.th_sender)
    th.post(f"/api/v1/referrals/{case.id}/messages/", {"body": "Please confirm."}, format="json")
    creator = case.created_by
    for client in (th, partner(world.kh_recipient)):
        for url in (
            f"/api/v1/referrals/{case.id}/",
            "/api/v1/referrals/",
            f"/api/v1/referrals/{case.id}/messages/",
            f"/api/v1/referrals/{case.id}/shares/",
        ):
            text = client.get(url).content.decode()
            assert creator.email not in text
            assert f'"{creator.pk}"' not in text and f": {creator.pk}," not in text
            assert "permission" not in text and "group" not in text


def _nothing_written(counts_before):
    return (
        ReferralNotice.objects.count(),
        ReturnRequest.objects.count(),
        Event.objects.count(),
    ) == counts_before


BAD_REFERRALS = [
    ("unknown agency", {"recipient_agency": "XX-NOBODY"}, "recipient_agency"),
    ("own agency", {"recipient_agency": "TH-MSDHS"}, "recipient_agency"),
    ("no agreement between the countries", {"recipient_agency": "TH-RTP"}, "recipient_agency"),
    ("identified in the future", {"identified_on": "2999-01-01"}, "identified_on"),
    ("wrong type", {"urgency": 3}, "urgency"),
    ("unknown category", {"category": "tourist"}, "category"),
    ("not a list", {"requested_actions": "repatriation"}, "requested_actions"),
    ("missing subject", {"subject": None}, "subject"),
    (
        "born after identified",
        {"subject": {"given_name": "A", "birth_date": "2026-11-21"}},
        "subject",
    ),
]


@pytest.mark.parametrize(
    ("label", "change", "field"), BAD_REFERRALS, ids=[b[0] for b in BAD_REFERRALS]
)
def test_bad_referral_input_is_400_and_writes_nothing(world, label, change, field):
    before = (ReferralNotice.objects.count(), ReturnRequest.objects.count(), Event.objects.count())
    response = partner(world.th_sender).post(
        "/api/v1/referrals/", referral_payload(**change), format="json"
    )
    assert response.status_code == 400, response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert _nothing_written(before)


def test_malformed_json_writes_nothing(world):
    before = (ReferralNotice.objects.count(), ReturnRequest.objects.count(), Event.objects.count())
    response = partner(world.th_sender).post(
        "/api/v1/referrals/", data='{"recipient_agency": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert _nothing_written(before)


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("reject", {}, "reason"),
        ("reject", {"reason": "  "}, "reason"),
        ("acknowledge", {}, "focal_point"),
        ("acknowledge", {"focal_point": ["x"]}, "focal_point"),
    ],
)
def test_missing_or_wrong_reasons_are_400_and_change_nothing(world, action, body, field):
    case = new_referral(world, "sent")
    events = Event.objects.count()
    response = partner(world.kh_recipient).post(
        f"/api/v1/referrals/{case.id}/{action}/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    case.refresh_from_db()
    assert case.status == "sent" and Event.objects.count() == events


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2020-01-01", "checkpoint": "KH-TH-POIPET"}, "date"),
        ({"date": "2999-01-01", "checkpoint": "XX-NOWHERE"}, "checkpoint"),
        ({"date": "2999-01-01", "checkpoint": "KH-VN-BAVET"}, "checkpoint"),
        ({"date": "not a date", "checkpoint": "KH-TH-POIPET"}, "date"),
    ],
)
def test_bad_schedules_are_400(world, body, field):
    case = new_return(world, "verified")
    response = partner(world.th_sender).post(
        f"/api/v1/returns/{case.id}/schedule/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    case.refresh_from_db()
    assert case.status == "verified"


def test_a_handover_in_the_future_is_400(world):
    case = new_return(world, "scheduled")
    response = partner(world.kh_recipient).post(
        f"/api/v1/returns/{case.id}/confirm_handover/",
        {"handover": {"at": "2999-01-01T00:00:00Z", "received_by": "Mr Vuthy"}},
        format="json",
    )
    assert response.status_code == 400
    assert "handover" in response.json()["errors"]


def test_a_return_may_only_cite_a_referral_of_its_own_agency(world):
    referral = new_referral(world, "sent")
    vn = partner(world.vn_agency)
    response = vn.post(
        "/api/v1/returns/",
        {"recipient_agency": "KH-MOSVY", "referral": str(referral.id), "basis": "voluntary_return"},
        format="json",
    )
    assert response.status_code == 400
    assert "referral" in response.json()["errors"]


def test_a_return_from_a_referral_copies_its_subject(world):
    referral = new_referral(world, "accepted")
    response = partner(world.th_sender).post(
        "/api/v1/returns/",
        {
            "recipient_agency": "KH-MOSVY",
            "referral": str(referral.id),
            "basis": "victim_repatriation",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["subject"]["given_name"] == "Sokha"
    assert response.json()["referral"] == str(referral.id)


@pytest.mark.parametrize("path", ["", "send/", "messages/"])
def test_foreign_and_unknown_case_ids_are_404(world, path):
    case = new_referral(world, "sent")
    vn = partner(world.vn_agency)
    method = vn.get if path in ("", "messages/") else vn.post
    assert method(f"/api/v1/referrals/{case.id}/{path}").status_code == 404
    assert (
        method(f"/api/v1/referrals/00000000-0000-4000-8000-000000000000/{path}").status_code == 404
    )
    assert method(f"/api/v1/referrals/not-a-uuid/{path}").status_code == 404


def test_viewers_read_but_cannot_act(world):
    case = new_referral(world, "sent")
    viewer = partner(world.kh_recipient, Role.VIEWER)
    detail = viewer.get(f"/api/v1/referrals/{case.id}/")
    assert detail.status_code == 200
    assert detail.json()["allowed_actions"] == []
    assert viewer.post(f"/api/v1/referrals/{case.id}/accept/").status_code == 403


def test_auditors_see_metadata_without_personal_data(world):
    canary = "Canaryname Zz"
    case = new_referral(world, "sent", subject=subject_data(given_name=canary))
    partner(world.th_sender).post(
        f"/api/v1/referrals/{case.id}/messages/", {"body": f"About {canary}"}, format="json"
    )
    partner(world.kh_recipient).post(
        f"/api/v1/referrals/{case.id}/acknowledge/", {"focal_point": canary}, format="json"
    )
    auditor = partner(world.kh_oversight, Role.AUDITOR)
    for url in (
        f"/api/v1/referrals/{case.id}/",
        "/api/v1/referrals/",
        f"/api/v1/referrals/{case.id}/messages/",
        f"/api/v1/referrals/{case.id}/shares/",
        "/api/v1/audit-events/",
        "/api/v1/audit-events/?format=csv",
        "/api/v1/reports/sla/",
        "/api/v1/reports/sla/?format=csv",
        "/api/v1/events/",
    ):
        response = auditor.get(url)
        assert response.status_code == 200, url
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert canary not in content.decode(), url
    detail = auditor.get(f"/api/v1/referrals/{case.id}/").json()
    assert detail["reference"] == case.reference and detail["status"] == "acknowledged"
    assert (
        partner(world.vn_oversight, Role.AUDITOR).get(f"/api/v1/referrals/{case.id}/").status_code
        == 404
    )


def test_auditors_see_return_metadata_without_personal_data(world):
    canary = "Canaryname Zz"
    case = new_return(world, "scheduled", subject=subject_data(given_name=canary))
    path = f"/api/v1/returns/{case.id}/"
    partner(world.th_sender).post(f"{path}messages/", {"body": f"About {canary}"}, format="json")
    handover = partner(world.kh_recipient).post(
        f"{path}confirm_handover/",
        {
            "handover": {
                "at": timezone.now().isoformat(),
                "received_by": canary,
                "notes": f"Met by {canary}",
            }
        },
        format="json",
        HTTP_IF_MATCH="*",
    )
    assert handover.status_code == 200
    assert canary in partner(world.th_sender).get(path).content.decode()  # the parties see it
    auditor = partner(world.kh_oversight, Role.AUDITOR)
    for url in (
        path,
        "/api/v1/returns/",
        f"{path}messages/",
        "/api/v1/audit-events/",
        "/api/v1/audit-events/?format=csv",
        "/api/v1/events/",
    ):
        response = auditor.get(url)
        assert response.status_code == 200, url
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert canary not in content.decode(), url
    assert auditor.get(path).json()["status"] == "handed_over"


def test_an_international_auditor_reads_every_sent_case_redacted_and_no_draft(world):
    from ..factories import AgencyFactory

    iom = AgencyFactory(code="IOM-ROB", country="LA", kind="oversight", audit_scope="all")
    th = partner(world.th_sender)
    sent = th.post("/api/v1/referrals/", referral_payload("VN-MOLISA"), format="json").json()
    th.post(f"/api/v1/referrals/{sent['id']}/send/")
    draft = th.post("/api/v1/referrals/", referral_payload("VN-MOLISA"), format="json").json()
    kh_only = new_referral(world, "sent")

    listed = partner(iom, Role.AUDITOR).get("/api/v1/referrals/").json()["results"]
    assert {case["id"] for case in listed} == {sent["id"], str(kh_only.id)}
    assert all("subject" not in case and "summary" not in case for case in listed)
    assert all(case["status"] == "sent" for case in listed)
    assert partner(iom, Role.AUDITOR).get(f"/api/v1/referrals/{draft['id']}/").status_code == 404
    national = partner(world.kh_oversight, Role.AUDITOR)
    assert national.get(f"/api/v1/referrals/{sent['id']}/").status_code == 404


def test_messages_thread_between_the_two_sides(world):
    case = new_referral(world, "acknowledged")
    th, kh = partner(world.th_sender), partner(world.kh_recipient, **{})
    th.post(f"/api/v1/referrals/{case.id}/messages/", {"body": "Any news?"}, format="json")
    kh.post(f"/api/v1/referrals/{case.id}/messages/", {"body": "Family found."}, format="json")
    thread = kh.get(f"/api/v1/referrals/{case.id}/messages/").json()["results"]
    assert [(m["author_agency"], m["body"]) for m in thread] == [
        ("KH-MOSVY", "Family found."),
        ("TH-MSDHS", "Any news?"),
    ]
    posted = Event.objects.filter(object_id=case.id, type="message.posted")
    assert posted.count() == 2
    assert all("Family" not in json.dumps(e.data) for e in posted)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("updated_after=7462-03-24T02:38:05-21:40", 200),
        ("updated_after=9999-12-31T23:00:00-23:00", 400),
        ("updated_after=yesterday", 400),
        ("overdue=maybe", 400),
        ("status=lost", 400),
        ("counterpart=XX-NOBODY", 400),
        ("direction=sideways", 400),
    ],
)
def test_list_filters_refuse_what_they_cannot_read(world, query, status):
    response = partner(world.th_sender).get(f"/api/v1/referrals/?{query}")
    assert response.status_code == status


def test_a_filter_set_builds_its_form_class_once():
    first = ReferralFilter(data={}, queryset=ReferralNotice.objects.none())
    second = ReferralFilter(data={"status": "sent"}, queryset=ReferralNotice.objects.none())
    assert type(first.form) is type(second.form)
    assert first.form is not second.form
    assert first.form.fields["status"] is not second.form.fields["status"]
    with translation.override("th"):
        thai = ReferralFilter(data={}, queryset=ReferralNotice.objects.none())
        assert type(thai.form) is not type(first.form)


class _PerRequestFilter(StrictFilterSet):
    agency = django_filters.ModelChoiceFilter(queryset=lambda request: Agency.objects.all())

    class Meta:
        model = Agency
        fields = []


def test_a_filter_set_whose_queryset_depends_on_the_request_builds_a_form_class_each_time():
    forms = [_PerRequestFilter(data={}, queryset=Agency.objects.none()).form for _ in range(2)]
    assert type(forms[0]) is not type(forms[1])


def test_nested_strings_must_be_json_strings(world):
    payload = referral_payload(subject={"given_name": 7, "aliases": ["Srey", 3]})
    response = partner(world.th_sender).post("/api/v1/referrals/", payload, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]["subject"]) == {"given_name", "aliases"}


def test_a_reference_finds_its_case_in_any_letter_case_through_its_unique_index(world):
    wanted, _ = new_referral(world, "sent"), new_referral(world, "sent")
    with CaptureQueriesContext(connection) as captured:
        response = partner(world.th_sender).get(
            f"/api/v1/referrals/?reference={wanted.reference.lower()}"
        )
    assert response.status_code == 200
    assert [case["id"] for case in response.json()["results"]] == [str(wanted.pk)]
    lists = [
        q["sql"] for q in captured if "referrals_referralnotice" in q["sql"] and "LIMIT" in q["sql"]
    ]
    assert lists and all("UPPER" not in sql for sql in lists)
