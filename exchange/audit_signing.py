"""The Ed25519 key that signs audit tree heads, and what a signature covers."""

import base64
import hashlib
from functools import cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

HEAD_FORM = "mekong-audit-tree-head/1"


def head_message(tree_size: int, root_hash: str, timestamp: int) -> bytes:
    """The bytes a head's signature covers: form, size, root (hex) and time (ms), a line each."""
    return f"{HEAD_FORM}\n{tree_size}\n{root_hash}\n{timestamp}\n".encode()


@cache
def signing_key() -> Ed25519PrivateKey:
    if settings.AUDIT_SIGNING_KEY:
        try:
            seed = base64.b64decode(settings.AUDIT_SIGNING_KEY, validate=True)
        except ValueError as exc:
            raise ImproperlyConfigured("AUDIT_SIGNING_KEY is not base64.") from exc
        if len(seed) != 32:
            raise ImproperlyConfigured("AUDIT_SIGNING_KEY must hold 32 bytes.")
    else:
        # Development and tests only (production requires the key): the same in every process.
        seed = hashlib.sha256(f"mekong-audit-signing-key:{settings.SECRET_KEY}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(public: Ed25519PublicKey) -> str:
    """The first 8 bytes of SHA-256 over the raw public key, in hex."""
    return hashlib.sha256(_raw(public)).hexdigest()[:16]


def public_key_pem() -> str:
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def verifying_keys() -> dict[str, Ed25519PublicKey]:
    """The current public key and retired ones, by key id."""
    keys = [signing_key().public_key()] + [
        Ed25519PublicKey.from_public_bytes(base64.b64decode(raw))
        for raw in settings.AUDIT_RETIRED_PUBLIC_KEYS
    ]
    return {key_id_of(key): key for key in keys}


def head_sign(tree_size: int, root_hash: str, timestamp: int) -> tuple[str, str]:
    """(key id, base64 signature) for a head."""
    key = signing_key()
    signature = key.sign(head_message(tree_size, root_hash, timestamp))
    return key_id_of(key.public_key()), base64.b64encode(signature).decode()


def head_signature_holds(head, keys: dict[str, Ed25519PublicKey]) -> bool:
    key = keys.get(head.key_id)
    if key is None:
        return False
    try:
        key.verify(
            base64.b64decode(head.signature),
            head_message(head.tree_size, head.root_hash, head.timestamp),
        )
    except (InvalidSignature, ValueError):
        return False
    return True
