"""Files sealed piece by piece under their own AES-GCM data key, so neither side holds a whole file.

Each piece of 64 KiB is sealed with a nonce made of its index and a last-piece flag (the STREAM
construction): pieces cannot be reordered, dropped or the file cut short without ``BrokenSeal``.
"""

from collections.abc import Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keyring import BrokenSeal

MAGIC = b"MKX1"
PIECE = 64 * 1024
TAG = 16


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def sealed_size(size: int) -> int:
    """The bytes a sealed file of ``size`` plaintext bytes takes."""
    pieces = max(1, -(-size // PIECE))
    return len(MAGIC) + size + pieces * TAG


class SealingWriter:
    """Seals what is written to it, in pieces, into ``sink`` (a binary file open for writing)."""

    def __init__(self, sink, *, key: bytes, aad: bytes):
        self.sink, self.cipher, self.aad = sink, AESGCM(key), aad
        self.buffer = bytearray()
        self.index = 0
        self.size = 0
        sink.write(MAGIC)

    def write(self, data: bytes) -> None:
        self.buffer += data
        self.size += len(data)
        while len(self.buffer) > PIECE:  # the last piece is sealed by close(), never here
            self._seal(bytes(self.buffer[:PIECE]), last=False)
            del self.buffer[:PIECE]

    def close(self) -> None:
        self._seal(bytes(self.buffer), last=True)
        self.buffer.clear()

    def _seal(self, piece: bytes, *, last: bool) -> None:
        self.sink.write(self.cipher.encrypt(_nonce(self.index, last), piece, self.aad))
        self.index += 1


def _read_exact(source, size: int) -> bytes:
    parts, missing = [], size
    while missing:
        part = source.read(missing)
        if not part:
            break
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def open_pieces(source, *, key: bytes, aad: bytes) -> Iterator[bytes]:
    """The plaintext of a sealed file, piece by piece; ``BrokenSeal`` on any alteration."""
    if _read_exact(source, len(MAGIC)) != MAGIC:
        raise BrokenSeal("Not a sealed file.")
    cipher = AESGCM(key)
    index, record = 0, _read_exact(source, PIECE + TAG)
    while True:
        following = _read_exact(source, PIECE + TAG)
        last = not following
        try:
            yield cipher.decrypt(_nonce(index, last), record, aad)
        except InvalidTag:
            raise BrokenSeal("A piece of the file does not authenticate.") from None
        if last:
            return
        index, record = index + 1, following
