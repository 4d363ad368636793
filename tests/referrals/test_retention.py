"""Retention: ended cases are pseudonymised once their agreement's period has passed."""

from datetime import UTC, date, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from agencies.models import Agreement
from exchange.models import AuditEvent, Event
from referrals import services
from referrals.models import CaseMessage, ReferralNotice, Subject
from referrals.services.retention import retention_due, retention_sweep

from .conftest import caller, new_referral, new_return, sides, subject_data

ENDED_ON = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FIVE_YEARS_ON = datetime(2031, 12, 1, 10, 0, tzinfo=UTC)
PERSON = subject_data(
    aliases=["Sok"],
    identity_documents=[{"type": "passport", "number": "N0123456", "issuing_country": "KH"}],
    home_address={"province": "Banteay Meanchey", "district": "Poipet", "village": "Kbal Spean"},
    family_contact={"name": "Chan Dara", "phone": "+85512345678"},
    vulnerabilities=["pregnant"],
)


def _closed_referral(world, when=ENDED_ON, **kwargs):
    with time_machine.travel(when, tick=False):
        referral = new_referral(world, "accepted", subject=dict(PERSON), **kwargs)
        sender, _recipient = sides(world)
        services.case_message_post(
            case=referral, actor=sender, body="Her sister Chan Dara waits in Poipet."
        )
        services.referral_close(
            referral=referral, actor=caller(world.kh_recipient), outcome="Back with Chan Dara."
        )
    referral.refresh_from_db()
    return referral


def test_ending_a_case_starts_its_retention_clock(world):
    referral = _closed_referral(world)
    assert referral.ended_at == ENDED_ON
    assert referral.redacted_at is None


def test_a_case_past_retention_is_pseudonymised_and_its_metadata_kept(world, audit_watch):
    referral = _closed_referral(world)
    before = Subject.objects.get(pk=referral.subject_id)
    assert before.given_name == "Sokha" and before.birth_date == date(1999, 3, 14)
    events_before = Event.objects.filter(object_id=referral.id).count()

    with time_machine.travel(FIVE_YEARS_ON, tick=False):
        assert retention_sweep() == 1

    referral.refresh_from_db()
    after = Subject.objects.get(pk=referral.subject_id)
    assert (after.given_name, after.family_name, after.name_native, after.aliases) == (
        "",
        "",
        "",
        [],
    )
    assert after.birth_date is None and after.birth_year == 1999
    assert after.home_address == {"province": "Banteay Meanchey"}
    assert after.identity_documents == [] and after.family_contact == {}
    assert after.vulnerabilities == []
    # What statistics and oversight need stays.
    assert (after.sex, after.nationality_claimed, after.is_minor) == ("female", "KH", False)
    assert referral.summary == "" and referral.outcome == ""
    assert referral.reference and referral.status == "closed" and referral.closed_at
    assert referral.redacted_at == FIVE_YEARS_ON
    assert list(CaseMessage.objects.filter(referral=referral).values_list("body", flat=True)) == [
        ""
    ]
    # Events and audit rows stay; one more of each says what happened, naming no one.
    events = Event.objects.filter(object_id=referral.id).order_by("sequence")
    assert events.count() == events_before + 1
    redacted = events.last()
    assert redacted.type == "case.redacted"
    assert "Sokha" not in str(redacted.data) and "Chan" not in str(redacted.data)
    rows = [row for row in audit_watch.new() if row.action == "case.redacted"]
    assert len(rows) == 1 and rows[0].actor is None and rows[0].object_id == str(referral.id)


def test_the_sweep_is_idempotent(world):
    _closed_referral(world)
    with time_machine.travel(FIVE_YEARS_ON, tick=False):
        assert retention_sweep() == 1
        assert retention_sweep() == 0
    assert Event.objects.filter(type="case.redacted").count() == 1


def test_a_case_within_its_period_is_kept(world):
    referral = _closed_referral(world)
    with time_machine.travel(datetime(2031, 11, 30, 23, 0, tzinfo=UTC), tick=False):
        assert retention_sweep() == 0
    assert Subject.objects.get(pk=referral.subject_id).given_name == "Sokha"


def test_open_cases_are_never_pseudonymised(world):
    with time_machine.travel(ENDED_ON, tick=False):
        referral = new_referral(world, "accepted", subject=dict(PERSON))
    with time_machine.travel(datetime(2045, 1, 1, tzinfo=UTC), tick=False):
        assert retention_sweep() == 0
    assert Subject.objects.get(pk=referral.subject_id).given_name == "Sokha"


def test_each_agreement_keeps_data_for_its_own_period(world):
    Agreement.objects.filter(country_a="KH", country_b="TH").update(retention_years=10)
    referral = _closed_referral(world)
    with time_machine.travel(FIVE_YEARS_ON, tick=False):
        assert retention_sweep() == 0
    with time_machine.travel(datetime(2036, 12, 1, 10, 0, tzinfo=UTC), tick=False):
        assert retention_sweep() == 1
    assert Subject.objects.get(pk=referral.subject_id).given_name == ""


@pytest.mark.parametrize("status", ["rejected", "handed_over", "cancelled"])
def test_every_final_state_of_a_return_ends_the_case(world, status):
    with time_machine.travel(ENDED_ON, tick=False):
        return_request = new_return(world, status, subject=dict(PERSON))
    assert return_request.ended_at == ENDED_ON
    with time_machine.travel(FIVE_YEARS_ON, tick=False):
        assert retention_sweep() == 1
    return_request.refresh_from_db()
    assert return_request.subject.given_name == "" and return_request.redacted_at


def test_handover_and_verification_notes_go_and_the_facts_stay(world):
    with time_machine.travel(ENDED_ON, tick=False):
        return_request = new_return(world, "handed_over", subject=dict(PERSON))
    return_request.verification = {**return_request.verification, "notes": "Mother: Chan Dara"}
    return_request.save()
    with time_machine.travel(FIVE_YEARS_ON, tick=False):
        retention_sweep()
    return_request.refresh_from_db()
    assert "notes" not in return_request.verification
    assert return_request.verification["identity_confirmed"] is True
    assert "notes" not in return_request.handover and return_request.handover["at"]


def test_withdrawn_and_rejected_referrals_end_too(world):
    with time_machine.travel(ENDED_ON, tick=False):
        withdrawn = new_referral(world, "withdrawn")
        rejected = new_referral(world, "rejected")
    with time_machine.travel(FIVE_YEARS_ON, tick=False):
        assert retention_sweep() == 2
    for case in (withdrawn, rejected):
        case.refresh_from_db()
        assert case.subject.given_name == "" and case.withdrawal_reason == ""
        assert case.rejection_reason == ""


def test_dry_run_lists_what_would_go_and_changes_nothing(world):
    referral = _closed_referral(world)
    kept = _closed_referral(world, when=datetime(2027, 6, 1, tzinfo=UTC))
    out = StringIO()
    with time_machine.travel(FIVE_YEARS_ON, tick=False):
        call_command("retention_sweep", "--dry-run", stdout=out)
    assert referral.reference in out.getvalue() and kept.reference not in out.getvalue()
    assert "1 case(s) would be pseudonymised" in out.getvalue()
    assert Subject.objects.get(pk=referral.subject_id).given_name == "Sokha"
    assert not AuditEvent.objects.filter(action="case.redacted").exists()
    with time_machine.travel(FIVE_YEARS_ON, tick=False):
        call_command("retention_sweep", stdout=StringIO())
    assert Subject.objects.get(pk=referral.subject_id).given_name == ""
    assert Subject.objects.get(pk=kept.subject_id).given_name == "Sokha"


def test_due_cases_are_read_through_the_retention_index(world):
    _closed_referral(world)
    query = retention_due(ReferralNotice, now=FIVE_YEARS_ON).values("id")
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "referral_retention_idx" in plan
