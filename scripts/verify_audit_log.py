#!/usr/bin/env python3
"""A partner's check of the Mekong Exchange audit log: standalone (Python 3.11+, cryptography).

    python verify_audit_log.py --base-url https://exchange.example.org --token "$TOKEN" \
        --public-key audit-key.pem --heads saved-heads.json [--rows our-rows.json] [--keep]

It verifies the signature of every head you saved (from audit.tree_head events), fetches the
latest head and checks that it extends each saved one (RFC 9162 consistency proofs), then that
each of your audit rows is in it (inclusion proofs), its content as you recorded it. ``--keep``
adds the latest head to the saved heads once verified. Exit status 0 when all holds, 1 if not.
"""

import argparse
import base64
import hashlib
import json
import sys
import urllib.error
import urllib.request
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import load_pem_public_key

HEAD_FORM = "mekong-audit-tree-head/1"
ROW_FORM = "mekong-audit-row/2"
# The row fields in the order of its canonical JSON (the server's HASHED_FIELDS).
ROW_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "agency_id",
    "api_client_id",
    "on_behalf_of",
    "action",
    "object_type",
    "object_id",
    "reference",
    "outcome",
    "status_code",
    "request_id",
    "detail",
)
# What a partner can compare with its own records of a row.
COMPARED = ("occurred_at", "action", "object_type", "object_id", "reference", "outcome")


class Failure(Exception):
    pass


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(leaf: bytes) -> bytes:
    return _sha256(b"\x00" + leaf)


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right)


def root_from_inclusion(index: int, size: int, digest: bytes, path: list[bytes]):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return None
    fn, sn = index, size - 1
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


def consistency_holds(old: int, new: int, old_root: bytes, new_root: bytes, proof: list) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if old > new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof
    if not proof and old & (old - 1) != 0:
        return False
    path = [old_root, *proof] if old & (old - 1) == 0 else list(proof)
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


def check_signature(head: dict, public_key) -> None:
    message = f"{HEAD_FORM}\n{head['tree_size']}\n{head['root_hash']}\n{head['timestamp']}\n"
    try:
        public_key.verify(base64.b64decode(head["signature"]), message.encode())
    except (InvalidSignature, ValueError, KeyError) as exc:
        raise Failure(f"head {head.get('tree_size')}: the signature does not hold") from exc


def row_fields(canonical: str) -> dict:
    """The named fields of a row's canonical JSON, in either of its two forms."""
    body = json.loads(canonical)
    if body and body[0] == ROW_FORM:
        return dict(zip(ROW_FIELDS[1:], body[1:], strict=False))
    return dict(zip(ROW_FIELDS, body, strict=False))


def _same(field: str, kept, served) -> bool:
    if field == "occurred_at":
        return datetime.fromisoformat(str(kept)) == datetime.fromisoformat(str(served))
    return str(kept or "") == str(served or "")


def check_row(row: dict, proof: dict, head: dict) -> None:
    sequence = row["sequence"]
    canonical = proof["canonical"]
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    if digest != proof["row_hash"] or row.get("hash", digest) != digest:
        raise Failure(f"row {sequence}: its content does not match its hash")
    served = row_fields(canonical)
    for field in COMPARED:
        if field in row and not _same(field, row[field], served.get(field)):
            raise Failure(f"row {sequence}: {field} differs from your record")
    leaf = sequence.to_bytes(8, "big") + bytes.fromhex(digest)
    path = [bytes.fromhex(h) for h in proof["audit_path"]]
    root = root_from_inclusion(proof["leaf_index"], head["tree_size"], leaf_hash(leaf), path)
    if root is None or root.hex() != head["root_hash"]:
        raise Failure(f"row {sequence}: it is not in the head of {head['tree_size']} leaves")


class Log:
    def __init__(self, base_url: str, token: str):
        if not base_url.startswith(("https://", "http://")):
            raise Failure("the base URL must start with https:// (or http:// on a closed network)")
        self.base_url, self.token = base_url.rstrip("/"), token

    def get(self, path: str) -> dict:
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            f"{self.base_url}/api/v1/audit/tree-heads/{path}",
            headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.load(response)


def verify(log: Log, public_key, heads: list[dict], rows: list[dict], say=print) -> dict:
    """Check saved heads, the latest head against each, and rows in it; the latest head."""
    for head in heads:
        check_signature(head, public_key)
    say(f"OK   {len(heads)} saved heads carry valid signatures")
    latest = log.get("latest/")
    check_signature(latest, public_key)
    size, root = latest["tree_size"], bytes.fromhex(latest["root_hash"])
    say(f"OK   latest head {size}:{latest['root_hash']} is signed")
    for head in sorted(heads, key=lambda h: h["tree_size"]):
        old = head["tree_size"]
        if old > size:
            raise Failure(f"head {old}: you kept it, but the log now ends at {size} leaves")
        proof = log.get(f"{size}/consistency/?first={old}")["consistency_path"]
        if not consistency_holds(
            old, size, bytes.fromhex(head["root_hash"]), root, [bytes.fromhex(h) for h in proof]
        ):
            raise Failure(f"head {old}: the latest head does not extend it")
        say(f"OK   latest head extends saved head {old}")
    for row in rows:
        proof = log.get(f"{size}/inclusion/?sequence={row['sequence']}")
        check_row(row, proof, latest)
        say(f"OK   row {row['sequence']} (leaf {proof['leaf_index']}) is in the latest head")
    return latest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True, help="an access token with audit:read")
    parser.add_argument("--public-key", required=True, help="the operator's Ed25519 key, PEM")
    parser.add_argument("--heads", required=True, help="JSON list of the heads you saved")
    parser.add_argument("--rows", help="JSON list of your audit rows (sequence, fields, hash)")
    parser.add_argument("--keep", action="store_true", help="save the latest head once verified")
    args = parser.parse_args(argv)
    with open(args.public_key, "rb") as pem:
        public_key = load_pem_public_key(pem.read())
    try:
        with open(args.heads) as saved:
            heads = json.load(saved)
    except FileNotFoundError:
        heads = []
    rows = []
    if args.rows:
        with open(args.rows) as kept:
            rows = json.load(kept)
    try:
        latest = verify(Log(args.base_url, args.token), public_key, heads, rows)
    except Failure as failure:
        print(f"FAIL {failure}")
        return 1
    except urllib.error.HTTPError as refused:
        print(f"FAIL the log answered {refused.code} to {refused.url}")
        return 1
    if args.keep and all(h["tree_size"] != latest["tree_size"] for h in heads):
        fields = ("tree_size", "root_hash", "timestamp", "key_id", "signature")
        with open(args.heads, "w") as saved:
            json.dump([*heads, {key: latest[key] for key in fields}], saved, indent=1)
    print("The audit log holds for everything you kept.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
