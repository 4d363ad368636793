"""Reads of the audit Merkle tree: stored subtrees, heads, inclusion and consistency proofs."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from . import merkle
from .audit import HASHED_FIELDS, row_canonical
from .models import AuditEvent, AuditEventAgency, AuditLeaf, AuditTreeHead, AuditTreeNode

_NODE_CHUNK = 500


def tree_nodes(keys: Iterable[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
    """The stored hashes of these complete subtrees, in as few queries as chunks of keys."""
    keys, found = sorted(set(keys)), {}
    table = AuditTreeNode._meta.db_table
    for start in range(0, len(keys), _NODE_CHUNK):
        chunk = keys[start : start + _NODE_CHUNK]
        pairs = ", ".join(["(%s, %s)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT level, "index", hash FROM {table} WHERE (level, "index") IN ({pairs})',  # noqa: S608
                [value for key in chunk for value in key],
            )
            found.update(((level, index), bytes(digest)) for level, index, digest in cursor)
    return found


def tree_head_latest() -> AuditTreeHead | None:
    return AuditTreeHead.objects.order_by("-tree_size").first()


class ProofUnavailable(Exception):
    """The head or the row asked about is not in the tree."""


@dataclass(frozen=True)
class InclusionProof:
    head: AuditTreeHead
    leaf_index: int
    sequence: int
    row_hash: str
    canonical: str
    audit_path: list[str]


def _row_canonical(sequence: int) -> tuple[str, str]:
    values = AuditEvent.objects.filter(sequence=sequence).values_list(
        *HASHED_FIELDS, "prev_hash", "hash"
    )
    row = values.first()
    if row is None:
        raise ProofUnavailable(f"Row {sequence} is not in the audit trail.")
    parties = AuditEventAgency.objects.filter(audit_event_id=sequence).values_list(
        "agency_id", "country"
    )
    return row_canonical(row[:-2], parties, row[-2]), row[-1]


def inclusion_proof(*, head: AuditTreeHead, sequence: int) -> InclusionProof:
    """The audit path from a row's leaf to the root of ``head`` (RFC 9162 section 2.1.3)."""
    leaf = AuditLeaf.objects.filter(sequence=sequence).values_list("index", flat=True).first()
    if leaf is None or leaf >= head.tree_size:
        raise ProofUnavailable(f"Row {sequence} is not in the tree of {head.tree_size} leaves.")
    canonical, digest = _row_canonical(sequence)
    ranges = merkle.inclusion_ranges(leaf, head.tree_size)
    path = merkle.hashes_of(ranges, tree_nodes(merkle.keys_of(ranges)))
    return InclusionProof(head, leaf, sequence, digest, canonical, [h.hex() for h in path])


def consistency_proof(*, first: int, second: AuditTreeHead) -> list[str]:
    """The hashes proving that the tree of ``second`` extends its first ``first`` leaves."""
    if not 0 < first <= second.tree_size:
        raise ProofUnavailable(f"No tree of {first} leaves precedes {second.tree_size}.")
    ranges = merkle.consistency_ranges(first, second.tree_size)
    return [h.hex() for h in merkle.hashes_of(ranges, tree_nodes(merkle.keys_of(ranges)))]


def tree_root(size: int) -> bytes:
    """The root of the first ``size`` leaves, from stored subtrees."""
    return merkle.range_hash(0, size, tree_nodes(merkle.range_keys(0, size)))
