"""Recording audit rows without a shared lock, the database refusing changes, the first hash
chain kept verifiable as the tree's first leaves, and tampering named by verify_audit."""

import io
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from agencies.authentication import Caller
from agencies.models import Membership
from agencies.roles import Role
from exchange.audit import (
    AUDIT_SEQUENCE,
    GENESIS_HASH,
    HASHED_FIELDS,
    audit_record,
    audit_sequence_resume,
    row_hash,
)
from exchange.audit_sealer import audit_seal
from exchange.audit_signing import head_sign
from exchange.audit_tree import tree_root
from exchange.audit_verify import audit_verify
from exchange.models import AuditEvent, AuditEventAgency, AuditLeaf, AuditTreeHead
from protocol.context import request_id_var
from protocol.models import Counter

from ..factories import member

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


def test_a_row_is_stored_as_hashed_with_a_sequence_from_the_database(kh_agency, th_agency):
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
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.sequence > previous.sequence
    assert stored.prev_hash == ""
    assert (stored.actor, stored.agency, stored.on_behalf_of) == (officer, kh_agency, "desk-7")
    assert stored.request_id == "req-42"
    assert {a.code for a in stored.agencies.all()} == {"KH-MOSVY", "TH-MSDHS"}
    assert set(AuditEventAgency.objects.filter(audit_event=stored).values_list("country")) == {
        ("KH",),
        ("TH",),
    }
    values = AuditEvent.objects.filter(pk=event.pk).values_list(*HASHED_FIELDS).get()
    parties = [(kh_agency.pk, "KH"), (th_agency.pk, "TH")]
    assert row_hash(values, parties, "") == stored.hash == event.hash
    assert audit_verify().intact


def test_recording_takes_no_lock_another_request_waits_on(kh_agency):
    """A transaction holding its audit row open does not hold up another's."""
    with transaction.atomic():
        first = audit_record(actor=None, action="test.open", agencies=[kh_agency])
        params = connection.get_connection_params()
        params["options"] = f"{params.get('options', '')} -c lock_timeout=1s"
        with psycopg.connect(**params) as other:
            [[second]] = other.execute(
                "INSERT INTO exchange_auditevent (occurred_at, on_behalf_of, action, object_type,"
                " object_id, reference, outcome, request_id, detail, prev_hash, hash) VALUES "
                "(now(), '', 'test.other', '', '', '', 'allowed', '', '{}', '', '') "
                "RETURNING sequence"
            ).fetchall()
            other.rollback()
    assert second > first.sequence


def test_a_row_rolls_back_with_the_change_it_records(db):
    [before] = _append(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action="test.undone")
        raise RuntimeError("the change failed")
    [after] = _append(1)
    assert after.sequence > before.sequence
    assert not AuditEvent.objects.filter(action="test.undone").exists()
    audit_seal()
    assert audit_verify().intact


def test_values_json_cannot_hold_are_stored_as_hashed(kh_agency):
    event = audit_record(actor=None, action="test.act", detail={"agency": kh_agency.pk})
    assert AuditEvent.objects.get(pk=event.pk).detail == {"agency": str(kh_agency.pk)}
    assert audit_verify().intact


# The database refuses changes ---------------------------------------------------------------

REFUSED = [
    "UPDATE exchange_auditevent SET action = 'referral.nothing'",
    "DELETE FROM exchange_auditevent",
    "TRUNCATE exchange_auditevent, exchange_auditeventagency",
    "UPDATE exchange_auditeventagency SET country = 'VN'",
    "DELETE FROM exchange_auditeventagency",
    "UPDATE exchange_auditleaf SET sequence = sequence + 1",
    "DELETE FROM exchange_auditleaf",
    "UPDATE exchange_audittreenode SET hash = hash",
    "DELETE FROM exchange_audittreenode",
    "UPDATE exchange_audittreehead SET root_hash = ''",
    "TRUNCATE exchange_audittreehead",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_raw_sql_cannot_change_or_remove_audit_rows_or_the_tree(statement, kh_agency):
    _append(2, agencies=[kh_agency])
    audit_seal()
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as outside a test's transaction
        cursor.execute(statement)
    assert audit_verify().intact


OUTCOMES = ("SEALED", "REFUSED", "ALLOWED", "INTACT")


def test_sqlite_seals_and_refuses_changes_too(tmp_path):
    """The embedded default: migrate a fresh SQLite file, append, seal, then try to change it."""
    check = textwrap.dedent(
        """
        from django.contrib.auth.models import Group
        from django.db import IntegrityError, connection, transaction
        from agencies.models import Agency
        from exchange.audit import audit_record
        from exchange.audit_sealer import audit_seal
        from exchange.audit_verify import audit_verify
        agency = Agency.objects.create(
            code="KH-TEST", name="Test", country="KH", kind="ngo", group=Group.objects.create()
        )
        for n in range(3):
            audit_record(actor=None, action="test.act", agencies=[agency])
        print("SEALED", audit_seal().tree_size)
        for statement in (
            "UPDATE exchange_auditevent SET action = 'x'",
            "DELETE FROM exchange_auditevent",
            "UPDATE exchange_auditeventagency SET country = 'VN'",
            "DELETE FROM exchange_auditeventagency",
            "DELETE FROM exchange_audittreenode",
            "UPDATE exchange_audittreehead SET root_hash = ''",
        ):
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(statement)
                print("ALLOWED", statement)
            except IntegrityError as exc:
                print("REFUSED", exc)
        print("INTACT", audit_verify().intact)
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
    assert [line.split()[0] for line in lines] == ["SEALED"] + ["REFUSED"] * 6 + ["INTACT"]
    assert lines[0] == "SEALED 3"
    assert all("append-only" in line for line in lines[1:7])
    assert lines[-1] == "INTACT True"


# The first hash chain: its rows are the tree's first leaves ----------------------------------


def _legacy_chain(count: int, agencies) -> list[AuditEvent]:
    """Rows as the hash chain wrote them before the tree: sequences 1 to count, linked."""
    prev, rows = GENESIS_HASH, []
    for sequence in range(1, count + 1):
        event = AuditEvent(
            sequence=sequence,
            occurred_at=timezone.now(),
            action="legacy.act",
            object_id=str(sequence),
            outcome="allowed",
            detail={},
            prev_hash=prev,
        )
        parties = [(agency.pk, agency.country) for agency in agencies]
        event.hash = prev = row_hash([getattr(event, f) for f in HASHED_FIELDS], parties, prev)
        event.save(force_insert=True)
        AuditEventAgency.objects.bulk_create(
            AuditEventAgency(audit_event=event, agency=agency, country=agency.country)
            for agency in agencies
        )
        rows.append(event)
    Counter.objects.update_or_create(name=AUDIT_SEQUENCE, defaults={"value": count})
    audit_sequence_resume()
    return rows


@pytest.fixture
def chain(kh_agency, th_agency, audit_tampering):
    """Three rows of the first hash chain, the first rows of the trail."""
    with audit_tampering() as cursor:
        cursor.execute("DELETE FROM exchange_auditeventagency")
        cursor.execute("DELETE FROM exchange_auditevent")
    return _legacy_chain(3, [kh_agency])


@pytest.fixture
def trail(chain, kh_agency, th_agency):
    """The chain's rows, then six recorded since, some concerning two agencies, all sealed."""
    _append(3, agencies=[kh_agency])
    _append(3, agencies=[kh_agency, th_agency])
    audit_seal()
    return list(AuditEvent.objects.order_by("sequence"))


def test_the_chain_rows_are_the_first_leaves_and_the_chain_still_verifies(trail):
    leaves = list(AuditLeaf.objects.order_by("index").values_list("sequence", flat=True))
    assert leaves == [row.sequence for row in trail]
    assert leaves[:3] == [1, 2, 3]
    assert [row.prev_hash for row in trail[1:3]] == [trail[0].hash, trail[1].hash]
    assert trail[3].sequence > 3
    out = _verify()
    assert "9 rows (0 not sealed yet), 1 signed heads" in out
    assert f"latest head 9:{tree_root(9).hex()}" in out


# Tampering is named -------------------------------------------------------------------------


def test_an_edited_chain_row_is_named(trail, audit_tampering):
    with audit_tampering() as cursor:
        cursor.execute("UPDATE exchange_auditevent SET reference = 'REF-X' WHERE sequence = 2")
    assert "broken at row 2: its content does not match its hash" in _broken()


def test_an_edited_row_is_named(trail, audit_tampering):
    target = trail[5].sequence
    with audit_tampering() as cursor:
        cursor.execute(
            "UPDATE exchange_auditevent SET reference = 'REF-X' WHERE sequence = %s", [target]
        )
    assert f"broken at row {target}: its content does not match its hash" in _broken()


def _rehash(target: AuditEvent, **changes) -> str:
    forged = list(AuditEvent.objects.filter(pk=target.pk).values_list(*HASHED_FIELDS).get())
    for field, value in changes.items():
        forged[HASHED_FIELDS.index(field)] = value
    parties = target.parties.values_list("agency_id", "country")
    return row_hash(forged, parties, target.prev_hash)


def test_an_edited_chain_row_given_a_new_hash_breaks_the_next_link(chain, audit_tampering):
    with audit_tampering() as cursor:
        cursor.execute(
            "UPDATE exchange_auditevent SET reference = 'REF-X', hash = %s WHERE sequence = 2",
            [_rehash(chain[1], reference="REF-X")],
        )
    assert "broken at row 3: it does not link to row 2" in _broken()


def test_a_sealed_chain_row_given_a_new_hash_no_longer_matches_its_leaf(trail, audit_tampering):
    with audit_tampering() as cursor:
        cursor.execute(
            "UPDATE exchange_auditevent SET reference = 'REF-X', hash = %s WHERE sequence = 2",
            [_rehash(trail[1], reference="REF-X")],
        )
    assert "broken at row 2: it does not match leaf 1 of the tree" in _broken()


def test_an_edited_row_given_a_new_hash_no_longer_matches_its_leaf(trail, audit_tampering):
    target = trail[6]
    with audit_tampering() as cursor:
        cursor.execute(
            "UPDATE exchange_auditevent SET reference = 'REF-X', hash = %s WHERE sequence = %s",
            [_rehash(target, reference="REF-X"), target.sequence],
        )
    assert f"broken at row {target.sequence}: it does not match leaf 6 of the tree" in _broken()


def test_a_removed_agency_is_named(trail, audit_tampering):
    target = trail[-2]
    assert target.agencies.count() == 2
    with audit_tampering() as cursor:
        cursor.execute(
            "DELETE FROM exchange_auditeventagency WHERE audit_event_id = %s AND country = 'TH'",
            [target.sequence],
        )
    assert f"broken at row {target.sequence}: its content does not match" in _broken()


@pytest.mark.parametrize(
    ("position", "named"),
    [(1, "it is missing from the hash chain"), (4, "it is missing: leaf 4 names it")],
)
def test_a_deleted_row_is_named(trail, audit_tampering, position, named):
    target = trail[position].sequence
    with audit_tampering() as cursor:
        cursor.execute("DELETE FROM exchange_auditeventagency WHERE audit_event_id = %s", [target])
        cursor.execute("DELETE FROM exchange_auditevent WHERE sequence = %s", [target])
    assert f"broken at row {target}: {named}" in _broken()


def test_two_swapped_rows_are_named(trail, audit_tampering):
    first, second = trail[4].sequence, trail[5].sequence
    with audit_tampering() as cursor:
        swap = "UPDATE exchange_auditevent SET sequence = %s WHERE sequence = %s"
        cursor.execute(swap, [-1, first])
        cursor.execute(swap, [first, second])
        cursor.execute(swap, [second, -1])
    assert f"broken at row {first}:" in _broken()


def test_an_altered_tree_node_is_named(trail, audit_tampering):
    with audit_tampering() as cursor:
        cursor.execute(
            "UPDATE exchange_audittreenode SET hash = %s WHERE level = 1 AND index = 2",
            [b"\x00" * 32],
        )
    assert "broken at tree node 1/2: it is not the hash of its children" in _broken()


def test_a_forged_head_is_named(trail, audit_tampering):
    forged = "ab" * 32
    with audit_tampering() as cursor:
        cursor.execute("UPDATE exchange_audittreehead SET root_hash = %s", [forged])
    assert "broken at tree head 9: its root is not the tree's root at its size" in _broken()


def test_a_head_with_a_bad_signature_is_named(trail, audit_tampering):
    with audit_tampering() as cursor:
        cursor.execute("UPDATE exchange_audittreehead SET signature = %s", ["A" * 88])
    assert "broken at tree head 9: its signature does not hold" in _broken()


def _cut_after(cursor, leaves: int) -> None:
    """What a careful operator would do: remove the rows and every trace of them in the tree."""
    sequences = AuditLeaf.objects.filter(index__gte=leaves).values_list("sequence", flat=True)
    sequences = list(sequences)
    cursor.execute(
        "DELETE FROM exchange_auditeventagency WHERE audit_event_id = ANY(%s)", [sequences]
    )
    cursor.execute("DELETE FROM exchange_auditevent WHERE sequence = ANY(%s)", [sequences])
    cursor.execute("DELETE FROM exchange_auditleaf WHERE index >= %s", [leaves])
    cursor.execute("DELETE FROM exchange_audittreenode WHERE (index + 1) << level > %s", [leaves])
    cursor.execute("DELETE FROM exchange_audittreehead")
    # The operator holds the signing key: the cut tree gets a head that verifies.
    root = tree_root(leaves).hex()
    key_id, signature = head_sign(leaves, root, 1)
    AuditTreeHead.objects.create(
        tree_size=leaves, root_hash=root, timestamp=1, key_id=key_id, signature=signature
    )


def test_a_cut_tail_is_found_through_a_head_a_partner_kept(trail, audit_tampering):
    kept = f"9:{tree_root(9).hex()}"
    with audit_tampering() as cursor:
        _cut_after(cursor, 6)
    _append(1)
    audit_seal()  # a new, smaller tree
    assert "holds" in _verify()
    message = _broken("--against", kept)
    assert "broken at tree head 9: the partner kept it, but the tree ends at 7 leaves" in message


def test_rewritten_history_is_found_through_a_head_a_partner_kept(trail, audit_tampering):
    kept = f"9:{tree_root(9).hex()}"
    with audit_tampering() as cursor:
        _cut_after(cursor, 6)
    _append(5)
    audit_seal()  # a new, self-consistent history in place of the old one
    assert "holds" in _verify()
    message = _broken("--against", kept)
    assert "broken at tree head 9: the tree's first leaves no longer give the root kept" in message


def test_a_kept_head_the_tree_extends_verifies(trail):
    kept = f"5:{tree_root(5).hex()}"
    _append(4)
    audit_seal()
    assert "The latest head extends the head kept, 5:" in _verify("--against", kept)


def test_a_malformed_head_is_refused(trail):
    with pytest.raises(CommandError, match="<tree size>:"):
        _verify("--against", "12:not-a-hash")


# Concurrency --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_are_all_kept_and_sealed_in_sequence_order(kh_agency):
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
    written = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert AuditEvent.objects.filter(action="test.act").count() == writers * appends * 4 // 5
    audit_seal()
    assert list(AuditLeaf.objects.order_by("index").values_list("sequence", flat=True)) == written
    report = audit_verify()
    assert report.intact, report.problem
    assert report.rows == report.leaves == len(written)
