"""The audit chain: appended in order under concurrency, refused changes, and tampering found
by verify_audit, naming the first broken row."""

import io
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from agencies.authentication import Caller
from agencies.models import Agency, Membership
from agencies.roles import Role
from exchange.audit import (
    GENESIS_HASH,
    HASHED_FIELDS,
    ChainHead,
    audit_chain_verify,
    audit_record,
    row_hash,
)
from exchange.models import AuditEvent, AuditEventAgency, Event
from exchange.tasks import publish_audit_checkpoint
from protocol.context import request_id_var

from ..factories import AgencyFactory, member

pytestmark = pytest.mark.django_db


def _append(count: int, **fields) -> list[AuditEvent]:
    return [
        audit_record(actor=None, action="test.act", object_id=n, **fields) for n in range(count)
    ]


def _verify(*args) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


def _broken(*args) -> str:
    with pytest.raises(CommandError) as refused:
        _verify(*args)
    return str(refused.value)


def test_rows_are_chained_from_the_genesis_hash(kh_agency, th_agency):
    officer = member(kh_agency, Role.OFFICER)
    caller = Caller(user=officer, membership=officer.membership, on_behalf_of="desk-7")
    [previous] = _append(1)
    token = request_id_var.set("req-42")
    try:
        event = audit_record(
            actor=caller,
            action="referral.read",
            object_type="referral",
            object_id="7c0e4f6e-1f56-4d7a-9f0c-2f0b8c3c2a11",
            reference="REF-TH-KH-2026-000042",
            agencies=[th_agency],
            detail={"ids": [1, 2]},
        )
    finally:
        request_id_var.reset(token)
    first = AuditEvent.objects.order_by("sequence").first()
    assert first.prev_hash == GENESIS_HASH
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.sequence == previous.sequence + 1
    assert stored.prev_hash == previous.hash
    assert (stored.actor, stored.agency, stored.on_behalf_of) == (officer, kh_agency, "desk-7")
    assert stored.request_id == "req-42"
    assert {a.code for a in stored.agencies.all()} == {"KH-MOSVY", "TH-MSDHS"}
    assert set(AuditEventAgency.objects.filter(audit_event=stored).values_list("country")) == {
        ("KH",),
        ("TH",),
    }
    values = AuditEvent.objects.filter(pk=event.pk).values_list(*HASHED_FIELDS).get()
    parties = [(kh_agency.pk, "KH"), (th_agency.pk, "TH")]
    assert row_hash(values, parties, stored.prev_hash) == stored.hash == event.hash
    assert audit_chain_verify().intact


def test_a_row_rolls_back_with_the_change_it_records_and_leaves_no_gap(db):
    [before] = _append(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action="test.undone")
        raise RuntimeError("the change failed")
    [after] = _append(1)
    assert after.sequence == before.sequence + 1
    assert not AuditEvent.objects.filter(action="test.undone").exists()
    assert audit_chain_verify().intact


def test_values_json_cannot_hold_are_stored_as_hashed(kh_agency):
    event = audit_record(actor=None, action="test.act", detail={"agency": kh_agency.pk})
    assert AuditEvent.objects.get(pk=event.pk).detail == {"agency": str(kh_agency.pk)}
    assert audit_chain_verify().intact


# The database refuses changes ---------------------------------------------------------------

REFUSED = [
    "UPDATE exchange_auditevent SET action = 'referral.nothing'",
    "DELETE FROM exchange_auditevent",
    "TRUNCATE exchange_auditevent, exchange_auditeventagency",
    "UPDATE exchange_auditeventagency SET country = 'VN'",
    "DELETE FROM exchange_auditeventagency",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_raw_sql_cannot_change_or_remove_audit_rows(statement, kh_agency):
    _append(2, agencies=[kh_agency])
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as outside a test's transaction
        cursor.execute(statement)
    assert audit_chain_verify().intact


OUTCOMES = ("REFUSED", "ALLOWED", "INTACT")


def test_sqlite_refuses_changes_too(tmp_path):
    """The embedded default: migrate a fresh SQLite file, append, then try to change it."""
    check = textwrap.dedent(
        """
        from django.contrib.auth.models import Group
        from django.db import IntegrityError, connection, transaction
        from agencies.models import Agency
        from exchange.audit import audit_chain_verify, audit_record
        agency = Agency.objects.create(
            code="KH-TEST", name="Test", country="KH", kind="ngo", group=Group.objects.create()
        )
        audit_record(actor=None, action="test.act", agencies=[agency])
        for statement in (
            "UPDATE exchange_auditevent SET action = 'x'",
            "DELETE FROM exchange_auditevent",
            "UPDATE exchange_auditeventagency SET country = 'VN'",
            "DELETE FROM exchange_auditeventagency",
        ):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(statement)
                print("ALLOWED", statement)
            except IntegrityError as exc:
                print("REFUSED", exc)
        print("INTACT", audit_chain_verify().intact)
        """
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings.base",
    )
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    result = subprocess.run(
        [*manage, "shell", "-c", check],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(OUTCOMES)]
    assert [line.split()[0] for line in lines] == ["REFUSED"] * 4 + ["INTACT"]
    assert all("append-only" in line for line in lines[:4])
    assert lines[-1] == "INTACT True"


# Tampering is found -------------------------------------------------------------------------


@pytest.fixture
def chain(kh_agency, th_agency):
    """Six rows, some concerning two agencies."""
    _append(3, agencies=[kh_agency])
    _append(3, agencies=[kh_agency, th_agency])
    return list(AuditEvent.objects.order_by("sequence"))


def test_an_intact_chain_verifies(chain):
    out = _verify()
    assert f"{len(chain)} rows" in out
    assert f"head {chain[-1].sequence}:{chain[-1].hash}" in out


def _remove_rows(cursor, *, after: int, wind_back_counter: bool = False):
    cursor.execute("DELETE FROM exchange_auditeventagency WHERE audit_event_id > %s", [after])
    cursor.execute("DELETE FROM exchange_auditevent WHERE sequence > %s", [after])
    if wind_back_counter:
        cursor.execute("UPDATE exchange_counter SET value = %s WHERE name = 'audit'", [after])


def _publish_checkpoint() -> str:
    call_command("audit_checkpoint", stdout=io.StringIO())
    published = Event.objects.get(type="audit.checkpoint").data
    return f"{published['sequence']}:{published['hash']}"


def test_an_edited_row_is_found(chain, audit_tampering):
    target = chain[2].sequence
    with audit_tampering() as cursor:
        cursor.execute(
            "UPDATE exchange_auditevent SET reference = 'REF-X' WHERE sequence = %s", [target]
        )
    assert f"broken at row {target}: its content does not match its hash" in _broken()


def test_an_edited_row_given_a_new_hash_breaks_the_next_link(chain, audit_tampering):
    target = chain[2]
    forged = list(AuditEvent.objects.filter(pk=target.pk).values_list(*HASHED_FIELDS).get())
    forged[HASHED_FIELDS.index("reference")] = "REF-X"
    parties = target.parties.values_list("agency_id", "country")
    with audit_tampering() as cursor:
        cursor.execute(
            "UPDATE exchange_auditevent SET reference = 'REF-X', hash = %s WHERE sequence = %s",
            [row_hash(forged, parties, target.prev_hash), target.sequence],
        )
    message = _broken()
    assert f"broken at row {target.sequence + 1}: it does not link to row {target.sequence}" in (
        message
    )


def test_a_removed_agency_is_found(chain, audit_tampering):
    target = chain[-2]
    assert target.agencies.count() == 2
    with audit_tampering() as cursor:
        cursor.execute(
            "DELETE FROM exchange_auditeventagency WHERE audit_event_id = %s AND country = 'TH'",
            [target.sequence],
        )
    assert f"broken at row {target.sequence}: its content does not match" in _broken()


def test_a_deleted_row_is_found(chain, audit_tampering):
    target = chain[3].sequence
    with audit_tampering() as cursor:
        cursor.execute("DELETE FROM exchange_auditeventagency WHERE audit_event_id = %s", [target])
        cursor.execute("DELETE FROM exchange_auditevent WHERE sequence = %s", [target])
    assert f"broken at row {target}: row {target} is missing" in _broken()


def test_two_swapped_rows_are_found(chain, audit_tampering):
    first, second = chain[1].sequence, chain[2].sequence
    with audit_tampering() as cursor:
        swap = "UPDATE exchange_auditevent SET sequence = %s WHERE sequence = %s"
        cursor.execute(swap, [-1, first])
        cursor.execute(swap, [first, second])
        cursor.execute(swap, [second, -1])
    assert f"broken at row {first}:" in _broken()


def test_a_truncated_tail_is_found_by_the_counter(chain, audit_tampering):
    with audit_tampering() as cursor:
        _remove_rows(cursor, after=4)
    assert f"broken at row 5: rows 5 to {chain[-1].sequence} are missing" in _broken()


def test_a_truncated_tail_is_found_through_a_published_checkpoint(chain, audit_tampering):
    published = _publish_checkpoint()
    _append(2)
    keep = chain[-1].sequence - 2
    with audit_tampering() as cursor:
        # A careful operator winds the counter back too: only a partner's head shows the cut.
        _remove_rows(cursor, after=keep, wind_back_counter=True)
    assert "holds" in _verify()
    message = _broken("--against", published)
    assert f"broken at row {chain[-1].sequence}: the checkpoint names it" in message
    assert f"the chain ends at {keep}" in message


def test_rewritten_history_is_found_through_a_published_checkpoint(chain, audit_tampering):
    published = _publish_checkpoint()
    with audit_tampering() as cursor:
        _remove_rows(cursor, after=chain[-1].sequence - 2, wind_back_counter=True)
    _append(3)  # a new, self-consistent history in place of the old one
    assert "holds" in _verify()
    message = _broken("--against", published)
    assert f"broken at row {chain[-1].sequence}: it differs from the checkpoint" in message


def test_a_malformed_head_is_refused(chain):
    with pytest.raises(CommandError, match="<sequence>:"):
        _verify("--against", "12:not-a-hash")


# Checkpoints --------------------------------------------------------------------------------


def test_a_checkpoint_reaches_every_active_agency(chain, kh_agency, th_agency):
    AgencyFactory(code="VN-OLD", country="VN")
    Agency.objects.filter(code="VN-OLD").update(is_active=False)
    last = AuditEvent.objects.order_by("sequence").last()
    head = ChainHead(last.sequence, last.hash)
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)
    event = Event.objects.get(type="audit.checkpoint")
    assert event.data == {"sequence": head.sequence, "hash": head.hash}
    assert set(event.audience.values_list("agency__code", flat=True)) == {"KH-MOSVY", "TH-MSDHS"}
    assert str(head) in out.getvalue()
    assert audit_chain_verify(against=ChainHead.parse(str(head))).intact


def test_a_checkpoint_is_published_only_when_the_head_moved(chain):
    assert publish_audit_checkpoint() == chain[-1].sequence
    assert publish_audit_checkpoint() is None
    [moved] = _append(1)
    assert publish_audit_checkpoint() == moved.sequence
    assert Event.objects.filter(type="audit.checkpoint").count() == 2


def test_a_broken_chain_is_not_published(chain, audit_tampering):
    _publish_checkpoint()
    _append(1)
    with audit_tampering() as cursor:
        cursor.execute(
            "UPDATE exchange_auditevent SET action = 'x' WHERE sequence = %s", [chain[-1].sequence]
        )
    with pytest.raises(CommandError, match=f"Audit row {chain[-1].sequence}"):
        call_command("audit_checkpoint", stdout=io.StringIO())
    assert Event.objects.filter(type="audit.checkpoint").count() == 1


def test_the_checkpoint_is_scheduled_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["publish-audit-checkpoint"]
    assert entry["task"] == publish_audit_checkpoint.name
    assert entry["schedule"].minute == {0}
    assert entry["schedule"].hour == set(range(24))


# Concurrency --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_leave_one_chain_without_gaps(kh_agency):
    officer = Membership.objects.get(user=member(kh_agency, Role.OFFICER))
    caller = Caller(user=officer.user, membership=officer)
    writers, appends = 6, 15
    barrier = threading.Barrier(writers)
    failures = []

    def write(writer: int):
        try:
            barrier.wait()
            for n in range(appends):
                with transaction.atomic():
                    audit_record(actor=caller, action="test.act", detail={"writer": writer})
                    if n % 5 == 4:
                        # A change that fails after its row was appended: the row goes with it.
                        transaction.set_rollback(True)
        except Exception as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    written = list(
        AuditEvent.objects.filter(action="test.act")
        .order_by("sequence")
        .values_list("sequence", flat=True)
    )
    kept = writers * appends * 4 // 5
    assert len(written) == kept
    assert written == list(range(written[0], written[0] + kept))
    report = audit_chain_verify()
    assert report.intact, report.problem
    assert report.rows == AuditEvent.objects.count()
