"""Verifying the audit trail: rows against their hashes, the first hash chain, the Merkle tree
rebuilt from the rows, every signed head, and a head a partner kept."""

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import models

from protocol.models import Counter

from . import merkle
from .audit import AUDIT_SEQUENCE, GENESIS_HASH, HASHED_FIELDS, audit_leaf, row_hash
from .audit_signing import head_signature_holds, verifying_keys
from .audit_tree import consistency_proof, tree_nodes, tree_root
from .models import AuditEvent, AuditEventAgency, AuditLeaf, AuditTreeHead, AuditTreeNode


@dataclass(frozen=True)
class KeptHead:
    """A tree head a partner kept: its size and root."""

    tree_size: int
    root_hash: str

    def __str__(self):
        return f"{self.tree_size}:{self.root_hash}"

    @classmethod
    def parse(cls, text: str) -> "KeptHead":
        match = re.fullmatch(r"([1-9]\d*):([0-9a-fA-F]{64})", text.strip())
        if match is None:
            raise ValueError("A tree head is <tree size>:<the 64 hex digits of its root>.")
        return cls(int(match[1]), match[2].lower())


@dataclass(frozen=True)
class AuditReport:
    """What a verification found; ``broken`` names the first thing that does not hold."""

    rows: int = 0
    leaves: int = 0
    heads: int = 0
    latest: AuditTreeHead | None = None
    broken: str = ""
    problem: str = ""

    @property
    def intact(self) -> bool:
        return not self.broken


class AuditBroken(Exception):
    def __init__(self, report: AuditReport):
        super().__init__(f"{report.broken}: {report.problem}")
        self.report = report


def _parties(chunk_size: int) -> Iterator[tuple[int, list]]:
    parties = (
        AuditEventAgency.objects.order_by("audit_event_id")
        .values_list("audit_event_id", "agency_id", "country")
        .iterator(chunk_size=chunk_size)
    )
    for sequence, group in itertools.groupby(parties, key=lambda party: party[0]):
        yield sequence, [(agency, country) for _, agency, country in group]


def _rows(chunk_size: int) -> Iterator[tuple[tuple, list]]:
    """Every row's values, prev_hash and hash, in sequence order, with its agencies."""
    rows = (
        AuditEvent.objects.order_by("sequence")
        .values_list(*HASHED_FIELDS, "prev_hash", "hash")
        .iterator(chunk_size=chunk_size)
    )
    parties = _parties(chunk_size)
    pending = next(parties, None)
    for row in rows:
        row_parties = []
        while pending is not None and pending[0] <= row[0]:
            if pending[0] == row[0]:
                row_parties = pending[1]
            pending = next(parties, None)
        yield row, row_parties


def _level(level: int, chunk_size: int) -> Iterator[tuple[int, bytes]]:
    nodes = AuditTreeNode.objects.filter(level=level).order_by("index")
    for index, digest in nodes.values_list("index", "hash").iterator(chunk_size=chunk_size):
        yield index, bytes(digest)


class _Verifier:
    def __init__(self, chunk_size: int):
        self.chunk_size = chunk_size
        self.rows = self.leaves = self.heads = 0

    def fail(self, broken: str, problem: str) -> AuditBroken:
        return AuditBroken(AuditReport(self.rows, self.leaves, self.heads, None, broken, problem))

    def check_rows(self, size: int) -> None:
        """Each row matches its hash (and the chain, for the first rows) and its leaf."""
        chained = Counter.objects.filter(name=AUDIT_SEQUENCE).values_list("value", flat=True)
        chain_end, prev, chained_rows = chained.first() or 0, GENESIS_HASH, 0
        leaves = AuditLeaf.objects.filter(index__lt=size).order_by("index")
        leaves = leaves.values_list("index", "sequence").iterator(chunk_size=self.chunk_size)
        stored = _level(0, self.chunk_size)
        leaf = next(leaves, None)
        for values, parties in _rows(self.chunk_size):
            sequence, prev_hash, digest = values[0], values[-2], values[-1]
            row = f"row {sequence}"
            if sequence <= chain_end:
                if sequence != chained_rows + 1:
                    raise self.fail(f"row {chained_rows + 1}", "it is missing from the hash chain.")
                if prev_hash != prev:
                    raise self.fail(row, f"it does not link to row {sequence - 1}.")
                prev, chained_rows = digest, chained_rows + 1
            elif prev_hash:
                raise self.fail(row, "it claims a link in a hash chain that had ended.")
            if row_hash(values[:-2], parties, prev_hash) != digest:
                raise self.fail(row, "its content does not match its hash.")
            if leaf is not None and leaf[1] < sequence:
                raise self.fail(f"row {leaf[1]}", f"it is missing: leaf {leaf[0]} names it.")
            if leaf is not None and leaf[1] == sequence:
                index = leaf[0]
                if index != self.leaves:
                    raise self.fail(f"leaf {self.leaves}", "it is missing.")
                expected = merkle.leaf_hash(audit_leaf(sequence, digest))
                if next(stored, (None, None)) != (index, expected):
                    raise self.fail(row, f"it does not match leaf {index} of the tree.")
                self.leaves += 1
                leaf = next(leaves, None)
            elif leaf is not None:
                raise self.fail(row, "it was never sealed, yet later rows were.")
            self.rows += 1
        if chained_rows < chain_end:
            raise self.fail(f"row {chained_rows + 1}", f"rows up to {chain_end} are missing.")
        if leaf is not None:
            raise self.fail(f"row {leaf[1]}", f"it is missing: leaf {leaf[0]} names it.")
        if self.leaves != size:
            raise self.fail(f"leaf {self.leaves}", f"it is missing: the tree holds {size}.")

    def check_nodes(self, size: int) -> None:
        """Each stored subtree hash is the hash of its two children, level by level."""
        level = 1
        while (1 << level) <= size:
            children = _level(level - 1, self.chunk_size)
            expected_count = size >> level
            count = 0
            for index, digest in _level(level, self.chunk_size):
                left, right = next(children, (None, b"")), next(children, (None, b""))
                name = f"tree node {level}/{index}"
                if index != count or left[0] != 2 * index or right[0] != 2 * index + 1:
                    raise self.fail(name, "it or one of its children is missing.")
                if merkle.node_hash(left[1], right[1]) != digest:
                    raise self.fail(name, "it is not the hash of its children.")
                count += 1
            if count != expected_count:
                raise self.fail(f"tree node {level}/{count}", "it is missing.")
            level += 1

    def check_heads(self) -> AuditTreeHead | None:
        """Every head's root is the tree's at its size, and its signature holds."""
        keys, latest, previous = verifying_keys(), None, None
        heads = AuditTreeHead.objects.order_by("tree_size").iterator(chunk_size=self.chunk_size)
        for batch in itertools.batched(heads, 500):
            nodes = tree_nodes(k for head in batch for k in merkle.range_keys(0, head.tree_size))
            for head in batch:
                name = f"tree head {head.tree_size}"
                if merkle.range_hash(0, head.tree_size, nodes).hex() != head.root_hash:
                    raise self.fail(name, "its root is not the tree's root at its size.")
                if not head_signature_holds(head, keys):
                    raise self.fail(name, f"its signature does not hold (key {head.key_id}).")
                if previous is not None and head.timestamp < previous.timestamp:
                    raise self.fail(name, "it is dated before the smaller head before it.")
                previous = latest = head
                self.heads += 1
        return latest

    def check_kept(self, kept: KeptHead, latest: AuditTreeHead | None) -> None:
        """The tree still holds a head a partner kept, and the latest head extends it."""
        name = f"tree head {kept.tree_size}"
        size = latest.tree_size if latest else 0
        if kept.tree_size > size:
            raise self.fail(name, f"the partner kept it, but the tree ends at {size} leaves.")
        root = tree_root(kept.tree_size)
        if root.hex() != kept.root_hash:
            raise self.fail(name, "the tree's first leaves no longer give the root kept.")
        proof = [bytes.fromhex(h) for h in consistency_proof(first=kept.tree_size, second=latest)]
        latest_root = bytes.fromhex(latest.root_hash)
        if not merkle.consistency_holds(kept.tree_size, size, root, latest_root, proof):
            raise self.fail(name, f"the head of {size} leaves does not extend it.")


def audit_verify(*, against: KeptHead | None = None, chunk_size: int = 5000) -> AuditReport:
    """Check rows, chain, tree and heads, and a kept head; the report names the first break."""
    verifier = _Verifier(chunk_size)
    latest_size = AuditTreeHead.objects.aggregate(size=models.Max("tree_size"))["size"] or 0
    try:
        verifier.check_rows(latest_size)
        verifier.check_nodes(latest_size)
        latest = verifier.check_heads()
        if against is not None:
            verifier.check_kept(against, latest)
    except AuditBroken as broken:
        return broken.report
    return AuditReport(verifier.rows, verifier.leaves, verifier.heads, latest)
