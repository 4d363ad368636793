"""The sealer: committed audit rows become Merkle tree leaves under a signed, published head."""

import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from agencies.models import Agency
from protocol.models import Counter

from . import merkle
from .audit import TREE_HEAD_EVENT, audit_leaf
from .audit_signing import head_sign
from .audit_tree import tree_head_latest, tree_nodes, tree_root
from .models import AuditEvent, AuditLeaf, AuditTreeHead, AuditTreeNode, Event
from .services import event_emit

# pg_try_advisory_xact_lock key: one active sealer per database.
SEALER_LOCK = 0x6D656B6F6E67
SQLITE_SEALER = "audit-sealer"
DRAIN_POLL_SECONDS = 0.02

_TABLE = AuditEvent._meta.db_table
_HOLDERS = (
    "SELECT virtualtransaction FROM pg_locks WHERE locktype = 'relation' "  # noqa: S608
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    f"AND relation = '{_TABLE}'::regclass AND mode = 'RowExclusiveLock' "
    "AND pid <> pg_backend_pid()"
)


def _sole_sealer() -> bool:
    """Take the sealer's lock for this transaction; False when another sealer holds it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEALER_LOCK])
            return cursor.fetchone()[0]
        # SQLite has one writer at a time: writing first makes this transaction that writer.
        Counter.objects.get_or_create(name=SQLITE_SEALER)
        Counter.objects.filter(name=SQLITE_SEALER).update(value=0)
        return True


def _settled_through(drain_seconds: float) -> int | None:
    """The highest sequence below which every row is committed or will never be.

    A sequence is taken inside an INSERT, which holds the table's ROW EXCLUSIVE lock from
    before it takes the value until its transaction ends: once every transaction holding that
    lock when the value was read has ended, no row at or below it can still appear. None when
    they do not end in time (the next run tries again).
    """
    if connection.vendor != "postgresql":
        return AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence(%s, 'sequence')"  # noqa: S608
            f"::regclass), (SELECT MAX(sequence) FROM {_TABLE}), 0)",
            [_TABLE],
        )
        watermark = cursor.fetchone()[0]
        cursor.execute(_HOLDERS)
        holders = [row[0] for row in cursor.fetchall()]
        deadline = time.monotonic() + drain_seconds
        while holders:
            if time.monotonic() > deadline:
                return None
            time.sleep(DRAIN_POLL_SECONDS)
            cursor.execute(f"{_HOLDERS} AND virtualtransaction = ANY(%s)", [holders])
            holders = [row[0] for row in cursor.fetchall()]
    return watermark


_LEAF = AuditLeaf._meta.db_table
_NODE = AuditTreeNode._meta.db_table
# The next committed rows, in sequence order, numbered as leaves from %s: read by the primary
# key's range (a join with the leaves would read the whole trail).
_BATCH = (
    "SELECT %s + row_number() OVER (ORDER BY sequence) - 1 AS leaf, sequence, hash "  # noqa: S608
    f"FROM (SELECT sequence, hash FROM {_TABLE} WHERE sequence > %s AND sequence <= %s "
    "ORDER BY sequence LIMIT %s) batch"
)
_SEAL_LEAVES = f'INSERT INTO "{_LEAF}" ("index", sequence) SELECT leaf, sequence FROM ({_BATCH}) b'  # noqa: S608
# RFC 9162 leaf hash, SHA-256(0x00 || leaf), of the same rows; audit_leaf in SQL: int8send is
# the sequence as 8 bytes, big-endian, followed by the 32 bytes of the row's hash.
_SEAL_LEAF_HASHES = (
    f'INSERT INTO "{_NODE}" (level, "index", hash) SELECT 0, leaf, '  # noqa: S608
    f"sha256('\\x00'::bytea || int8send(sequence) || decode(hash, 'hex')) FROM ({_BATCH}) b"
)
# RFC 9162 node hash, SHA-256(0x01 || left || right), of one level's complete subtrees whose
# children are the nodes [%s, %s) of the level below.
_SEAL_NODES = (
    f'INSERT INTO "{_NODE}" (level, "index", hash) '  # noqa: S608
    "SELECT %s, lower.index / 2, sha256('\\x01'::bytea || lower.hash || upper.hash) "
    f"FROM {_NODE} lower JOIN {_NODE} upper "
    'ON upper.level = lower.level AND upper."index" = lower."index" + 1 '
    'WHERE lower.level = %s AND lower."index" >= %s AND lower."index" < %s '
    'AND lower."index" %% 2 = 0 AND upper."index" > %s AND upper."index" <= %s'
)


def _store(size: int, after: int, settled: int, batch_size: int) -> tuple[int, bytes] | None:
    """Append the next committed rows as leaves after ``size`` leaves, hashed by PostgreSQL
    in a few statements whatever the batch; the new size and root, None when none is ready."""
    batch = [size, after, settled, batch_size]
    with connection.cursor() as cursor:
        cursor.execute(_SEAL_LEAVES, batch)
        added = cursor.rowcount
        if not added:
            return None
        new_size = size + added
        # The same rows: every one up to the settled sequence has committed or never will.
        cursor.execute(_SEAL_LEAF_HASHES, batch)
        level = 1
        while (1 << level) <= new_size:
            first, last = 2 * (size >> level), 2 * (new_size >> level)
            if first < last:
                cursor.execute(_SEAL_NODES, [level, level - 1, first, last, first, last])
            level += 1
    return new_size, tree_root(new_size)


def _store_in_python(size: int, rows: list[tuple[int, str]]) -> tuple[int, bytes]:
    """As ``_store``, hashed in Python (SQLite, the embedded default)."""
    edge = tree_nodes(merkle.range_keys(0, size))
    made = merkle.new_nodes(size, [merkle.leaf_hash(audit_leaf(*row)) for row in rows], edge)
    AuditLeaf.objects.bulk_create(
        (AuditLeaf(index=size + n, sequence=sequence) for n, (sequence, _) in enumerate(rows)),
        batch_size=5000,
    )
    AuditTreeNode.objects.bulk_create(
        (AuditTreeNode(level=key[0], index=key[1], hash=digest) for key, digest in made.items()),
        batch_size=5000,
    )
    new_size = size + len(rows)
    return new_size, merkle.range_hash(0, new_size, {**edge, **made})


def audit_seal(*, batch_size: int | None = None) -> AuditTreeHead | None:
    """Seal the next committed rows, in sequence order, under a new signed head.

    None when another sealer is active, when no row is ready, or when appends in flight did
    not settle in time. Never skips a row: only rows below the settled watermark are sealed.
    """
    batch_size = batch_size or settings.AUDIT_SEAL_BATCH
    with transaction.atomic():
        if not _sole_sealer():
            return None
        settled = _settled_through(settings.AUDIT_SEAL_DRAIN_SECONDS)
        latest = tree_head_latest()
        size = latest.tree_size if latest else 0
        sealed = AuditLeaf.objects.filter(index=size - 1).values_list("sequence", flat=True)
        after = sealed.first() if size else 0
        if settled is None or settled <= after:
            return None
        if connection.vendor == "postgresql":
            stored = _store(size, after, settled, batch_size)
        else:
            rows = list(
                AuditEvent.objects.filter(sequence__gt=after, sequence__lte=settled)
                .order_by("sequence")
                .values_list("sequence", "hash")[:batch_size]
            )
            stored = _store_in_python(size, rows) if rows else None
        if stored is None:
            return None
        new_size, root = stored
        timestamp = int(timezone.now().timestamp() * 1000)
        key_id, signature = head_sign(new_size, root.hex(), timestamp)
        head = AuditTreeHead.objects.create(
            tree_size=new_size,
            root_hash=root.hex(),
            timestamp=timestamp,
            key_id=key_id,
            signature=signature,
        )
        _publish_if_due(head, latest)
        return head


def audit_seal_pending(*, budget_seconds: float = 0.9) -> int:
    """Seal every committed row under one head, a batch at a time when a backlog exceeds
    ``AUDIT_SEAL_BATCH``, until caught up or out of time; the number of leaves sealed."""
    batch_size = settings.AUDIT_SEAL_BATCH
    started, first, last = time.monotonic(), None, None
    while time.monotonic() - started < budget_seconds:
        head = audit_seal(batch_size=batch_size)
        if head is None:
            break
        if first is None:
            previous = AuditTreeHead.objects.filter(tree_size__lt=head.tree_size).first()
            first = last = previous.tree_size if previous else 0
        caught_up = head.tree_size - last < batch_size
        last = head.tree_size
        if caught_up:
            break
    return 0 if first is None else last - first


def tree_head_data(head: AuditTreeHead) -> dict:
    """A head as published and served: what a partner keeps and verifies."""
    return {
        "tree_size": head.tree_size,
        "root_hash": head.root_hash,
        "timestamp": head.timestamp,
        "key_id": head.key_id,
        "signature": head.signature,
    }


def _publish_if_due(head: AuditTreeHead, previous: AuditTreeHead | None) -> Event | None:
    """Publish to every active agency the first head of each AUDIT_HEAD_PUBLISH_EVERY window,
    so that each partner keeps heads the operator cannot rewrite."""
    window = int(settings.AUDIT_HEAD_PUBLISH_EVERY.total_seconds() * 1000)
    if previous is not None and previous.timestamp // window == head.timestamp // window:
        return None
    return event_emit(
        type=TREE_HEAD_EVENT,
        object_type="audit_tree",
        object_id=None,
        agencies=Agency.objects.filter(is_active=True),
        data=tree_head_data(head),
    )
