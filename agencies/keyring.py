"""The key ring: AES-GCM master keys from the environment that seal personal data and file keys."""

import base64
import binascii
import hashlib
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from protocol.problems import Problem

logger = logging.getLogger(__name__)

VERSION = 1
NONCE_BYTES = 12
KEY_BYTES = 32
DERIVED_KEY_ID = "derived"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class KeyRingError(Problem):
    """Sealed data the key ring cannot open: a 503 problem, never a wrong value."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    problem_type = "key-unavailable"
    title = _("Encryption key unavailable")
    default_detail = _(
        "The data was sealed with a key the server does not hold now; nothing was shown or "
        "changed. The operators must restore the key to the key ring."
    )

    def __init__(self, reason: str):
        super().__init__()
        self.reason = reason
        logger.error("Key ring: %s", reason)

    def __str__(self):
        return self.reason


class MissingKey(KeyRingError):
    """The data was sealed with a key the ring does not hold (yet, or any more)."""

    def __init__(self, key_id: str):
        super().__init__(f"the ring holds no key {key_id!r}")
        self.key_id = key_id


class BrokenSeal(KeyRingError):
    """The data does not authenticate under its key: altered, or sealed for another context."""

    problem_type = "seal-broken"
    title = _("Stored data cannot be authenticated")
    default_detail = _(
        "The stored data does not match its seal; nothing was shown or changed. "
        "The operators have been told."
    )


@dataclass(frozen=True)
class KeyRing:
    """The active key (seals) and every key that may still open (rotation without downtime)."""

    active_id: str
    keys: dict[str, AESGCM]

    def cipher(self, key_id: str) -> AESGCM:
        try:
            return self.keys[key_id]
        except KeyError:
            raise MissingKey(key_id) from None


def parse_keys(spec: str) -> dict[str, bytes]:
    """``id:base64(32 bytes)`` entries, comma-separated, the active one first."""
    keys = {}
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        key_id, _, encoded = entry.partition(":")
        if not _KEY_ID.match(key_id) or key_id in keys:
            raise ImproperlyConfigured(f"ENCRYPTION_KEYS: bad or repeated key id {key_id!r}.")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(f"ENCRYPTION_KEYS: key {key_id!r} is not 32 bytes.")
        keys[key_id] = key
    return keys


def _derived_key() -> dict[str, bytes]:
    """The embedded default and tests: one key derived from SECRET_KEY, so nothing needs setting."""
    seed = f"mekong-exchange key ring\0{settings.SECRET_KEY}".encode()
    return {DERIVED_KEY_ID: hashlib.sha256(seed).digest()}


@lru_cache(maxsize=4)
def _ring_from(spec: str) -> KeyRing:
    keys = parse_keys(spec) if spec else _derived_key()
    return KeyRing(active_id=next(iter(keys)), keys={k: AESGCM(v) for k, v in keys.items()})


def keyring() -> KeyRing:
    """The ring configured now (``settings.ENCRYPTION_KEYS``); cached per configuration."""
    return _ring_from(settings.ENCRYPTION_KEYS)


def new_key() -> str:
    """A fresh ``ENCRYPTION_KEYS`` value: a random 256-bit key in base64."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def _header_end(token: bytes) -> int:
    """Where the header (version, key id) of ``token`` ends; ``BrokenSeal`` if it has none."""
    if len(token) < 2 or token[0] != VERSION or len(token) < 2 + token[1] + NONCE_BYTES + 16:
        raise BrokenSeal("Not a sealed value.")
    return 2 + token[1]


def key_id_of(token: bytes) -> str:
    """The id of the key that sealed ``token``."""
    return token[2 : _header_end(token)].decode("ascii")


def seal(plaintext: bytes, *, context: bytes) -> bytes:
    """AES-GCM under the active key; ``context`` is authenticated, so a token opens only there."""
    ring = keyring()
    key_id = ring.active_id.encode("ascii")
    nonce = os.urandom(NONCE_BYTES)
    header = bytes([VERSION, len(key_id)]) + key_id
    return header + nonce + ring.cipher(ring.active_id).encrypt(nonce, plaintext, header + context)


def open_sealed(token: bytes, *, context: bytes) -> bytes:
    """The plaintext of a sealed token; ``MissingKey`` or ``BrokenSeal`` when it cannot be."""
    # Read on every sealed value of every page: the header is parsed once, nothing else done.
    start = _header_end(token)
    cipher = keyring().cipher(token[2:start].decode("ascii"))
    try:
        return cipher.decrypt(
            token[start : start + NONCE_BYTES],
            token[start + NONCE_BYTES :],
            token[:start] + context,
        )
    except InvalidTag:
        raise BrokenSeal("The sealed value does not authenticate under its key.") from None


def reseal(token: bytes, *, context: bytes) -> bytes:
    """The token sealed under the active key (unchanged when it already is)."""
    if key_id_of(token) == keyring().active_id:
        return token
    return seal(open_sealed(token, context=context), context=context)


def new_data_key() -> bytes:
    """A random 256-bit key for one file."""
    return AESGCM.generate_key(bit_length=256)


def wrap_key(data_key: bytes, *, context: bytes) -> bytes:
    """A file's data key sealed under the active master key."""
    return seal(data_key, context=b"data-key\0" + context)


def unwrap_key(wrapped: bytes, *, context: bytes) -> bytes:
    return open_sealed(wrapped, context=b"data-key\0" + context)


def rewrap_key(wrapped: bytes, *, context: bytes) -> bytes:
    return reseal(wrapped, context=b"data-key\0" + context)


def seal_text(value: str, *, context: bytes) -> str:
    """``seal`` for text columns: the token in base64."""
    return base64.b64encode(seal(value.encode(), context=context)).decode("ascii")


def open_text(value: str, *, context: bytes) -> str:
    try:
        token = binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError):
        raise BrokenSeal("Not a sealed value.") from None
    return open_sealed(token, context=context).decode()


def text_key_id(value: str) -> str:
    """The id of the key that sealed a base64 token of a text column."""
    return key_id_of(base64.b64decode(value))


def reseal_text(value: str, *, context: bytes) -> str:
    if text_key_id(value) == keyring().active_id:
        return value
    return seal_text(open_text(value, context=context), context=context)
