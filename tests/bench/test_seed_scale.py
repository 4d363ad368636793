"""seed_scale leaves the rows the services would have left, and refuses a database with cases."""

import io
import re
from collections import defaultdict
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Max
from django.utils import timezone

from agencies.authentication import Caller
from agencies.models import Agency, Membership
from bench.seed import scale_agency
from exchange.models import Event, EventAudience
from referrals import services
from referrals.models import (
    ReferralNotice,
    ReferralNoticeGroupObjectPermission,
    ReminderSchedule,
    ReturnRequest,
    ReturnRequestGroupObjectPermission,
    Share,
    Subject,
)

pytestmark = pytest.mark.django_db

CASES = 400
AGENCIES = 12
REFERENCE = re.compile(r"^(REF|RET)-(KH|TH|VN)-(KH|TH|VN)-20\d\d-\d{6}$")


@pytest.fixture
def seeded():
    call_command(
        "seed_scale", cases=CASES, agencies=AGENCIES, stdout=io.StringIO(), stderr=io.StringIO()
    )


def _held(perm_model) -> dict:
    held = defaultdict(set)
    for case_id, group_id, codename in perm_model.objects.values_list(
        "content_object_id", "group_id", "permission__codename"
    ):
        held[case_id].add((group_id, codename.split("_", 1)[0]))
    return held


@pytest.mark.parametrize(
    ("model", "perm_model"),
    [
        (ReferralNotice, ReferralNoticeGroupObjectPermission),
        (ReturnRequest, ReturnRequestGroupObjectPermission),
    ],
)
def test_every_case_carries_exactly_the_grants_of_its_parties_and_shares(seeded, model, perm_model):
    held = _held(perm_model)
    field = "referral" if model is ReferralNotice else "return_request"
    shared = defaultdict(set)
    for case_id, group_id in Share.objects.filter(
        **{f"{field}__isnull": False}, revoked_at__isnull=True
    ).values_list(f"{field}_id", "agency__group_id"):
        shared[case_id].add((group_id, "view"))
    sent_at = "sent_at" if model is ReferralNotice else "requested_at"
    cases = model.objects.select_related("sender_agency", "recipient_agency")
    for case in cases:
        expected = {(case.sender_agency.group_id, "view"), (case.sender_agency.group_id, "change")}
        if getattr(case, sent_at):
            expected |= {
                (case.recipient_agency.group_id, "view"),
                (case.recipient_agency.group_id, "respond"),
            }
        assert held[case.id] == expected | shared[case.id], case.status


def test_cases_span_the_three_countries_the_years_and_the_workflow(seeded):
    assert ReferralNotice.objects.count() + ReturnRequest.objects.count() == CASES
    assert Subject.objects.count() == CASES
    referrals = ReferralNotice.objects.select_related("sender_agency", "recipient_agency")
    assert {r.sender_agency.country for r in referrals} == {"KH", "TH", "VN"}
    assert all(r.sender_agency.country != r.recipient_agency.country for r in referrals)
    oldest = ReferralNotice.objects.order_by("created_at").first().created_at
    assert timezone.now() - oldest > timedelta(days=4 * 365)
    statuses = set(ReferralNotice.objects.values_list("status", flat=True))
    assert {"draft", "accepted", "closed", "rejected"} <= statuses


def test_sent_cases_have_a_reference_and_deadlines_and_unsent_ones_have_neither(seeded):
    for referral in ReferralNotice.objects.all():
        if referral.sent_at is None:
            assert referral.status in ("draft", "withdrawn")
            assert referral.reference is None and referral.respond_due_at is None
        else:
            assert REFERENCE.match(referral.reference), referral.reference
            assert referral.acknowledge_due_at > referral.sent_at
            assert referral.respond_due_at > referral.sent_at
            assert referral.version >= 2
    for return_request in ReturnRequest.objects.exclude(requested_at=None):
        assert REFERENCE.match(return_request.reference)
        assert return_request.verification_due_at > return_request.requested_at


def test_every_change_has_an_event_for_the_agencies_it_concerns(seeded):
    created = Event.objects.filter(type="referral.created").values_list("object_id", flat=True)
    assert set(created) == set(ReferralNotice.objects.values_list("id", flat=True))
    sent = ReferralNotice.objects.exclude(sent_at=None).select_related(
        "sender_agency", "recipient_agency"
    )
    for referral in sent[:50]:
        event = Event.objects.get(object_id=referral.id, type="referral.sent")
        audience = set(EventAudience.objects.filter(event=event).values_list("agency", flat=True))
        assert audience == {referral.sender_agency_id, referral.recipient_agency_id}
        assert event.data["recipient"] == referral.recipient_agency.code
        assert "given_name" not in str(event.data)


def test_sends_after_the_seed_continue_the_references_and_the_event_sequence(seeded):
    sender = Agency.objects.get(code=scale_agency(0)[0])
    recipient = Agency.objects.get(code=scale_agency(1)[0])
    membership = Membership.objects.select_related("user", "agency").get(
        agency=sender, is_service_account=False
    )
    actor = Caller(user=membership.user, membership=membership)
    last = Event.objects.aggregate(last=Max("sequence"))["last"]
    referral = services.referral_create(
        actor=actor,
        recipient_agency=recipient,
        subject={"given_name": "Sokha"},
        category="trafficking_victim",
        identified_on=timezone.localdate(),
    )
    sent = services.referral_send(referral=referral, actor=actor)
    prefix = sent.reference.rsplit("-", 1)[0]
    seeded_numbers = [
        int(ref.rsplit("-", 1)[1])
        for ref in ReferralNotice.objects.filter(reference__startswith=prefix)
        .exclude(pk=sent.pk)
        .values_list("reference", flat=True)
    ]
    assert int(sent.reference.rsplit("-", 1)[1]) == max(seeded_numbers, default=0) + 1
    assert Event.objects.filter(object_id=sent.id).aggregate(first=Max("sequence"))["first"] > last


def test_a_database_with_cases_is_refused(seeded):
    with pytest.raises(CommandError, match="already holds 400 cases"):
        call_command("seed_scale", cases=10, agencies=AGENCIES, stderr=io.StringIO())
    assert ReferralNotice.objects.count() + ReturnRequest.objects.count() == CASES


def test_a_seeded_agency_lists_only_its_own_cases(seeded, as_partner):
    agency = Agency.objects.get(code=scale_agency(0)[0])
    response = as_partner(agency).get("/api/v1/referrals/?limit=200")
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids
    visible = ReferralNoticeGroupObjectPermission.objects.filter(
        group=agency.group, permission__codename="view_referralnotice"
    ).values_list("content_object_id", flat=True)
    assert {str(pk) for pk in visible} >= set(ids)


def test_every_change_has_an_audit_row_that_seals_and_verifies(seeded):
    from exchange.audit import audit_record
    from exchange.audit_sealer import audit_seal_pending
    from exchange.audit_verify import audit_verify
    from exchange.models import AuditEvent, Event

    cases = {"object_type__in": ["referral", "return"]}
    assert AuditEvent.objects.filter(**cases).count() == Event.objects.filter(**cases).count()
    after = audit_record(actor=None, action="test.after_seeding")
    assert after.sequence > AuditEvent.objects.exclude(pk=after.pk).latest("sequence").sequence
    assert audit_seal_pending(budget_seconds=120) == AuditEvent.objects.count()
    report = audit_verify()
    assert report.intact, report
    assert report.leaves == report.rows == AuditEvent.objects.count()


def test_a_case_with_a_running_clock_is_due_a_reminder_and_no_other_is(seeded):
    from referrals.deadlines import running_clocks

    cases = [
        case
        for model in (ReferralNotice, ReturnRequest)
        for case in model.objects.select_related("sender_agency", "recipient_agency")
    ]
    running = [case for case in cases if running_clocks(case)]
    assert running
    scheduled = set(ReminderSchedule.objects.values_list("case_id", flat=True))
    assert scheduled == {case.pk for case in running}
