"""RFC 9162 Merkle tree arithmetic over stored subtree hashes: roots, inclusion and consistency."""

import hashlib
from collections.abc import Iterable, Mapping

# A complete subtree aligned on its size: (level, index) covers leaves [index << level, ...).
NodeKey = tuple[int, int]


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def range_keys(lo: int, hi: int) -> list[NodeKey]:
    """The complete aligned subtrees that make up leaves [lo, hi), left to right."""
    keys = []
    while lo < hi:
        size = hi - lo
        if size & (size - 1) == 0 and lo % size == 0:
            keys.append((size.bit_length() - 1, lo >> (size.bit_length() - 1)))
            break
        left = _split(size)
        keys.append((left.bit_length() - 1, lo >> (left.bit_length() - 1)))
        lo += left
    return keys


def range_hash(lo: int, hi: int, nodes: Mapping[NodeKey, bytes]) -> bytes:
    """MTH(D[lo:hi]) from stored complete subtrees: the right edge is folded right to left."""
    if lo == hi:
        return EMPTY_ROOT
    parts = [nodes[key] for key in range_keys(lo, hi)]
    digest = parts.pop()
    while parts:
        digest = node_hash(parts.pop(), digest)
    return digest


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """PATH(m, D[n]) of RFC 9162 section 2.1.3.1, as the leaf ranges whose hashes it lists."""
    path, lo, hi = [], 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append((lo + k, hi))
            hi = lo + k
        else:
            path.append((lo, lo + k))
            lo += k
    return path[::-1]


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """PROOF(m, D[n]) of RFC 9162 section 2.1.4.1, as leaf ranges (empty when m is 0 or n)."""
    if old == 0 or old == new:
        return []
    proof, lo, hi, complete = [], 0, new, True
    while True:
        if old == hi:
            if not complete:
                proof.append((lo, hi))
            break
        k = _split(hi - lo)
        if old <= lo + k:
            proof.append((lo + k, hi))
            hi = lo + k
        else:
            proof.append((lo, lo + k))
            lo, complete = lo + k, False
    return proof[::-1]


def keys_of(ranges: Iterable[tuple[int, int]]) -> set[NodeKey]:
    return {key for lo, hi in ranges for key in range_keys(lo, hi)}


def hashes_of(ranges: Iterable[tuple[int, int]], nodes: Mapping[NodeKey, bytes]) -> list[bytes]:
    return [range_hash(lo, hi, nodes) for lo, hi in ranges]


def new_nodes(
    old_size: int, leaves: list[bytes], edge: Mapping[NodeKey, bytes]
) -> dict[NodeKey, bytes]:
    """The complete subtrees that appending ``leaves`` (leaf hashes) to a tree of ``old_size``
    leaves completes, leaves included. ``edge`` holds the old tree's ``range_keys(0, size)``:
    the only older nodes that new ones are built on."""
    size = old_size + len(leaves)
    made = {(0, old_size + n): digest for n, digest in enumerate(leaves)}
    level = 1
    while (1 << level) <= size:
        for index in range(old_size >> level, size >> level):
            left, right = (level - 1, 2 * index), (level - 1, 2 * index + 1)
            made[(level, index)] = node_hash(made.get(left) or edge[left], made[right])
        level += 1
    return made


def root_from_inclusion(
    index: int, size: int, leaf_digest: bytes, path: list[bytes]
) -> bytes | None:
    """RFC 9162 section 2.1.3.2: the root a path leads to, or None when it cannot be one."""
    if index >= size:
        return None
    fn, sn, digest = index, size - 1, leaf_digest
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            digest = node_hash(digest, sibling)
        fn, sn = fn >> 1, sn >> 1
    return digest if sn == 0 else None


def consistency_holds(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: the tree of ``new`` leaves extends the tree of ``old``."""
    if old > new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof
    if not proof and old & (old - 1) != 0:
        return False
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
