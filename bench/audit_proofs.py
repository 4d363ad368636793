"""The proof benchmark of bench/audit_tree.py: a tree of N leaves in bulk SQL, proofs timed."""

import random
import time

from django.db import connection

from bench.audit_append import _agency
from bench.audit_tree import _save
from exchange.audit import audit_record
from exchange.audit_tree import consistency_proof, inclusion_proof, tree_head_latest


def _build_tree(leaves: int) -> None:
    """N audit rows, their leaves and every complete subtree, in bulk SQL (sha256 in SQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM exchange_audittreehead")
        if cursor.fetchone()[0]:
            raise SystemExit("Run proofs on an empty audit trail: it builds its own tree.")
        cursor.execute("ALTER TABLE exchange_auditevent DISABLE TRIGGER USER")
        cursor.execute(
            "INSERT INTO exchange_auditevent (sequence, occurred_at, on_behalf_of, action, "
            "object_type, object_id, reference, outcome, request_id, detail, prev_hash, hash) "
            "SELECT n, now(), '', 'referral.read', 'referral', n::text, '', 'allowed', '', "
            "'{}', '', encode(sha256(n::text::bytea), 'hex') FROM generate_series(1, %s) n",
            [leaves],
        )
        cursor.execute("ALTER TABLE exchange_auditevent ENABLE TRIGGER USER")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('exchange_auditevent', 'sequence'), %s)",
            [leaves],
        )
        cursor.execute(
            "INSERT INTO exchange_auditleaf (index, sequence) SELECT n - 1, n "
            "FROM generate_series(1, %s) n",
            [leaves],
        )
        cursor.execute(
            "INSERT INTO exchange_audittreenode (level, index, hash) SELECT 0, sequence - 1, "
            "sha256('\\x00'::bytea || int8send(sequence) || decode(hash, 'hex')) "
            "FROM exchange_auditevent"
        )
        level = 1
        while (1 << level) <= leaves:
            cursor.execute(
                "INSERT INTO exchange_audittreenode (level, index, hash) SELECT %s, l.index / 2, "
                "sha256('\\x01'::bytea || l.hash || r.hash) FROM exchange_audittreenode l "
                "JOIN exchange_audittreenode r ON r.level = l.level AND r.index = l.index + 1 "
                "WHERE l.level = %s AND l.index %% 2 = 0",
                [level, level - 1],
            )
            level += 1
        cursor.execute("ANALYZE exchange_audittreenode")
        cursor.execute("ANALYZE exchange_auditleaf")


def _head_at(size: int):
    """A signed head for ``size`` leaves, as the sealer stores them."""
    from exchange.audit_signing import head_sign
    from exchange.audit_tree import tree_root
    from exchange.models import AuditTreeHead

    root = tree_root(size).hex()
    key_id, signature = head_sign(size, root, int(time.time() * 1000))
    return AuditTreeHead.objects.create(
        tree_size=size,
        root_hash=root,
        timestamp=int(time.time() * 1000),
        key_id=key_id,
        signature=signature,
    )


def _timed(calls) -> dict:
    times = []
    for call in calls:
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50": round(times[len(times) // 2], 2), "p95": round(times[int(len(times) * 0.95)], 2)}


def proofs(leaves: int, samples: int) -> None:
    from django.test import Client

    from exchange.audit_sealer import audit_seal
    from tests.factories import api_client_with_token

    started = time.perf_counter()
    _build_tree(leaves)
    built = time.perf_counter() - started
    earlier = _head_at(leaves // 3)
    head = _head_at(leaves)
    audit_record(actor=None, action="bench.after")
    assert audit_seal().tree_size == leaves + 1, "the sealer goes on from the bulk-built tree"
    head = tree_head_latest()
    rng = random.Random(7)
    sequences = [rng.randint(1, leaves) for _ in range(samples)]
    inclusion = _timed(lambda s=s: inclusion_proof(head=head, sequence=s) for s in sequences)
    firsts = [rng.randint(1, leaves) for _ in range(samples)]
    consistency = _timed(lambda f=f: consistency_proof(first=f, second=head) for f in firsts)
    oversight = _agency("UN-BENCH", "TH")
    oversight.audit_scope = "all"
    oversight.save(update_fields=["audit_scope"])
    _, token = api_client_with_token(oversight, "auditor", ["audit:read"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    base = f"/api/v1/audit/tree-heads/{head.tree_size}"
    api_inclusion = _timed(
        lambda s=s: client.get(f"{base}/inclusion/?sequence={s}") for s in sequences
    )
    api_consistency = _timed(
        lambda: client.get(f"{base}/consistency/?first={earlier.tree_size}") for _ in firsts
    )
    _save(
        {
            "audit_proof_leaves": head.tree_size,
            "audit_proof_tree_build_s": round(built, 1),
            "audit_inclusion_proof_ms": inclusion,
            "audit_consistency_proof_ms": consistency,
            "audit_inclusion_api_ms": api_inclusion,
            "audit_consistency_api_ms": api_consistency,
        }
    )
