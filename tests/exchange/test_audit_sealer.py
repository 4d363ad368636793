"""The sealer's guarantees, with real processes: no row skipped when it commits late, none
lost when a sealer is killed mid-batch, no fork with two sealers, steady-state lag under 2 s."""

import importlib.util
import itertools
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from agencies.authentication import Caller
from agencies.roles import Role
from exchange import merkle
from exchange.audit import audit_bulk_append, audit_leaf, audit_record
from exchange.audit_sealer import audit_seal, audit_seal_pending
from exchange.audit_tree import inclusion_proof, tree_root
from exchange.audit_verify import audit_verify
from exchange.models import AuditEvent, AuditLeaf, AuditTreeHead, AuditTreeNode
from exchange.tasks import seal_audit_log

from ..factories import member
from ..processes import PROJECT, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _leaves() -> list[int]:
    return list(AuditLeaf.objects.order_by("index").values_list("sequence", flat=True))


def _sealer(*args: str, batch: int = 10000) -> subprocess.Popen:
    """``manage.py audit_seal`` in a process of its own, on the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "AUDIT_SEAL_BATCH": str(batch),
        "PYTHONPATH": str(PROJECT),
    }
    return subprocess.Popen(
        [sys.executable, str(PROJECT / "manage.py"), "audit_seal", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _bulk(count: int) -> None:
    for first in range(0, count, 5000):
        audit_bulk_append(
            [
                (AuditEvent(action="test.bulk", object_id=str(n), outcome="allowed"), [])
                for n in range(first, min(first + 5000, count))
            ]
        )


def test_a_row_that_commits_after_a_later_one_is_sealed_in_its_place(db, settings):
    settings.AUDIT_SEAL_DRAIN_SECONDS = 0.3
    appended, commit = threading.Event(), threading.Event()
    late = {}

    def slow_request():
        try:
            with transaction.atomic():
                late["row"] = audit_record(actor=None, action="test.late")
                appended.set()
                commit.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_request)
    thread.start()
    assert appended.wait(timeout=30)
    early = audit_record(actor=None, action="test.early")
    assert early.sequence > late["row"].sequence
    # The later row is committed, the earlier one not yet: nothing may be sealed past it.
    assert audit_seal() is None
    assert early.sequence not in _leaves()
    commit.set()
    thread.join()
    audit_seal()
    assert _leaves()[-2:] == [late["row"].sequence, early.sequence]
    assert audit_verify().intact


def test_a_row_rolled_back_leaves_a_gap_the_sealer_passes(db):
    with transaction.atomic():
        gone = audit_record(actor=None, action="test.undone")
        transaction.set_rollback(True)
    kept = audit_record(actor=None, action="test.kept")
    audit_seal()
    assert gone.sequence not in _leaves()
    assert _leaves()[-1] == kept.sequence
    assert audit_verify().intact


def test_a_sealer_killed_mid_batch_loses_nothing_and_the_next_run_seals_it(db):
    _bulk(3)
    audit_seal()
    _bulk(40000)
    sealer = _sealer(batch=40000)
    with connection.cursor() as cursor:
        # Killed while it writes the batch's leaves and nodes, before its commit.
        def writing() -> bool:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state = 'active' AND query LIKE 'INSERT INTO \"exchange_audit%%'"
            )
            return cursor.fetchone()[0] > 0

        assert wait_until(writing, timeout=120, interval=0.01), sealer.communicate()
    sealer.send_signal(signal.SIGKILL)
    sealer.wait(timeout=30)
    assert sealer.returncode == -signal.SIGKILL
    assert AuditTreeHead.objects.get().tree_size == 3
    assert AuditLeaf.objects.count() == 3
    # Its backend ends the transaction once it finds the client gone, and frees the lock.
    assert wait_until(lambda: audit_seal_pending(budget_seconds=60) > 0, timeout=60)
    assert len(_leaves()) == AuditEvent.objects.count()
    report = audit_verify()
    assert report.intact, report.problem
    assert report.leaves == report.rows == AuditEvent.objects.count()


def test_two_sealers_started_together_never_fork_the_tree(db):
    _bulk(12000)
    sealers = [_sealer(batch=1000), _sealer(batch=1000)]
    outputs = [sealer.communicate(timeout=300) for sealer in sealers]
    assert [sealer.returncode for sealer in sealers] == [0, 0], outputs
    sequences = _leaves()
    assert sequences == sorted(set(sequences))
    assert len(sequences) == AuditEvent.objects.count()
    heads = list(AuditTreeHead.objects.order_by("tree_size"))
    assert [head.tree_size for head in heads] == sorted({head.tree_size for head in heads})
    assert all(head.root_hash == tree_root(head.tree_size).hex() for head in heads)
    assert audit_verify().intact


def test_a_second_sealer_in_the_same_instant_leaves_it_to_the_first(db):
    audit_record(actor=None, action="test.act")
    holding, release = threading.Event(), threading.Event()

    def first_sealer():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x6D656B6F6E67])
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=first_sealer)
    thread.start()
    assert holding.wait(timeout=30)
    assert audit_seal() is None
    release.set()
    thread.join()
    assert audit_seal().tree_size == AuditEvent.objects.count()


def test_in_steady_state_no_row_waits_more_than_two_seconds_to_be_sealed(db):
    audit_record(actor=None, action="test.first")
    sealer = _sealer("--loop", "--interval", "0.2")
    # Steady state: the sealer is up once it has sealed the first row.
    assert wait_until(AuditTreeHead.objects.exists, timeout=120)
    stop = threading.Event()

    def request_stream(writer: int):
        try:
            while not stop.is_set():
                with transaction.atomic():
                    audit_record(actor=None, action="test.read", detail={"writer": writer})
                time.sleep(0.005)
        finally:
            connection.close()

    writers = [threading.Thread(target=request_stream, args=(n,)) for n in range(4)]
    try:
        for writer in writers:
            writer.start()
        time.sleep(8)
        stop.set()
        for writer in writers:
            writer.join()
        rows = AuditEvent.objects.count()
        assert wait_until(lambda: AuditLeaf.objects.count() == rows, timeout=10)
    finally:
        sealer.kill()
        sealer.wait(timeout=30)
    with connection.cursor() as cursor:
        # Each row's wait: from its time to the time of the first head that holds it.
        cursor.execute(
            "SELECT max(extract(epoch FROM to_timestamp(head.timestamp / 1000.0) "
            "- event.occurred_at)), count(*) FROM exchange_auditevent event "
            "JOIN exchange_auditleaf leaf ON leaf.sequence = event.sequence "
            "CROSS JOIN LATERAL (SELECT timestamp FROM exchange_audittreehead "
            "WHERE tree_size > leaf.index ORDER BY tree_size LIMIT 1) head "
            "WHERE event.action = 'test.read'"
        )
        longest, sealed = cursor.fetchone()
    assert sealed == rows - 1 > 200
    assert longest < 2, f"a row waited {longest:.2f} s"


def test_the_sealer_runs_each_second_and_its_task_seals():
    entry = settings.CELERY_BEAT_SCHEDULE["seal-audit-log"]
    assert entry["task"] == seal_audit_log.name
    assert entry["schedule"].total_seconds() == 1
    audit_record(actor=None, action="test.act")
    assert seal_audit_log() == AuditEvent.objects.count()


def _standalone_verifier():
    spec = importlib.util.spec_from_file_location(
        "verify_audit_log", PROJECT / "scripts" / "verify_audit_log.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_tree_postgresql_hashes_is_the_tree_python_and_the_verifier_hash(kh_agency, th_agency):
    """Leaves and nodes hashed in SQL, in uneven batches, are RFC 9162 as exchange.merkle and
    the standalone verifier hash them, for rows with unicode and nulls."""
    officer = member(kh_agency, Role.OFFICER)
    caller = Caller(user=officer, membership=officer.membership, on_behalf_of="bàn 7 ห้อง")
    for n in range(29):
        audit_record(
            actor=caller if n % 2 else None,
            action="test.act",
            object_id=None if n % 3 else f"ក-{n}",
            reference="REF-ณ-文字" if n % 5 else "",
            status_code=None if n % 4 else 404,
            agencies=[th_agency] if n % 3 else [],
            detail={"note": 'ข้อความ "文字" ✓', "none": None, "n": n} if n % 2 else None,
        )
    for batch in itertools.cycle((1, 2, 5, 7, 3)):
        if audit_seal(batch_size=batch) is None:
            break
    rows = AuditEvent.objects.order_by("sequence").values_list("sequence", "hash")
    leaves = [merkle.leaf_hash(audit_leaf(sequence, digest)) for sequence, digest in rows]
    expected = merkle.new_nodes(0, leaves, {})
    stored = AuditTreeNode.objects.values_list("level", "index", "hash")
    assert {(level, index): bytes(digest) for level, index, digest in stored} == expected
    heads = list(AuditTreeHead.objects.order_by("tree_size"))
    assert len(heads) > 5
    assert heads[-1].tree_size == len(leaves) > 30
    assert all(h.root_hash == merkle.range_hash(0, h.tree_size, expected).hex() for h in heads)
    verifier = _standalone_verifier()
    latest = heads[-1]
    for sequence, _ in rows:
        proof = inclusion_proof(head=latest, sequence=sequence)
        served = {key: getattr(proof, key) for key in ("leaf_index", "row_hash", "canonical")}
        served["audit_path"] = proof.audit_path
        head = {"tree_size": latest.tree_size, "root_hash": latest.root_hash}
        verifier.check_row({"sequence": sequence}, served, head)
    assert audit_verify().intact
