"""What a document may be: its type from its content, its structure whole, photos without location.

``cleaned`` reads a file as a stream of pieces and yields the bytes to keep, raising a problem as
soon as the file is found truncated, malformed or also a ZIP archive (a polyglot). Its output is
complete only when the generator finishes: callers store nothing before that.

A photo taken with the camera turned carries an Exif orientation that viewers apply; the metadata
goes, so such a photo is turned upright in its pixels first (decoded and encoded again), and one
without an orientation keeps its bytes, minus the metadata.
"""

import io
import zlib
from collections.abc import Callable, Iterator

import filetype
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, JpegImagePlugin
from rest_framework import status

from protocol.problems import Problem

EXTENSIONS = {
    "application/pdf": ("pdf",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
    "image/webp": ("webp",),
}
ANY_TYPE = ("", "application/octet-stream")
HEAD_BYTES = 8192
# A ZIP reader finds its end-of-directory record in the last 64 KiB (+22 bytes) of a file.
ZIP_END = b"PK\x05\x06"
TAIL_BYTES = 65536 + 22 + 4
JPEG_HEADER_MAX = 4 * 1024 * 1024
EXIF_ORIENTATION = 0x0112
EXIF_MAX = 65536
# A photo turned upright is decoded whole: 50 megapixels (a phone's largest) at most.
UPRIGHT_MAX_PIXELS = 50_000_000


class UnsupportedDocumentType(Problem):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    problem_type = "unsupported-document-type"
    title = _("Unsupported document type")
    default_detail = _("Documents are PDF, JPEG, PNG or WebP files, named and labelled as such.")


class MalformedDocument(Problem):
    problem_type = "malformed-document"
    title = _("Malformed document")
    default_detail = _("The file is truncated or damaged; nothing was stored.")


class TooLargeToTurn(UnsupportedDocumentType):
    default_detail = _(
        "The photo was taken turned and is too large (or animated) to be turned upright; "
        "send it upright or smaller."
    )


def sniffed_type(head: bytes) -> str | None:
    """The media type the first bytes show, if it is one a document may have."""
    kind = filetype.guess(head)
    return kind.mime if kind and kind.mime in EXTENSIONS else None


def check_type(head: bytes, *, declared: str, file_name: str) -> str:
    """The document's type, from its content; its label and name must not say otherwise."""
    mime = sniffed_type(head)
    if mime is None:
        raise UnsupportedDocumentType()
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if declared.split(";")[0].strip().lower() not in (*ANY_TYPE, mime) or (
        extension and extension not in EXTENSIONS[mime]
    ):
        raise UnsupportedDocumentType(
            _("The file's content is %(type)s, but it is labelled or named otherwise.")
            % {"type": mime}
        )
    return mime


class _Reader:
    """Exact reads over a stream of pieces, holding only what a read asks for."""

    def __init__(self, pieces: Iterator[bytes]):
        self.pieces, self.buffer, self.offset = iter(pieces), b"", 0

    def read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            piece = next(self.pieces, None)
            if piece is None:
                break
            self.buffer += piece
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        self.offset += len(data)
        return data

    def exact(self, size: int) -> bytes:
        data = self.read(size)
        if len(data) < size:
            raise MalformedDocument(_("The file ends before its structure does: truncated."))
        return data

    def stream(self, size: int) -> Iterator[bytes]:
        while size:
            data = self.exact(min(size, 65536))
            size -= len(data)
            yield data

    def rest(self) -> Iterator[bytes]:
        if self.buffer:
            data, self.buffer = self.buffer, b""
            yield data
        yield from self.pieces


def _keep_tail(pieces: Iterator[bytes], tail: list) -> Iterator[bytes]:
    """Pass pieces through, keeping the file's last bytes in ``tail[0]``."""
    for piece in pieces:
        tail[0] = (tail[0] + piece)[-TAIL_BYTES:]
        yield piece


def _refuse_zip(tail: bytes) -> None:
    if ZIP_END in tail:
        raise UnsupportedDocumentType(_("The file is also a ZIP archive; it was refused."))


def _pdf(reopen: Callable) -> Iterator[bytes]:
    tail = [b""]
    pieces = _keep_tail(reopen(), tail)
    first = next(pieces, b"")
    if not first.startswith(b"%PDF-"):
        raise MalformedDocument()
    yield first
    yield from pieces
    if b"%%EOF" not in tail[0][-1024:] or b"startxref" not in tail[0]:
        raise MalformedDocument(_("The PDF has no end of file marker: truncated."))
    _refuse_zip(tail[0])


def _exif_orientation(segment: bytes) -> int | None:
    exif = Image.Exif()
    try:
        exif.load(segment)
        orientation = exif.get(EXIF_ORIENTATION)
    except Exception:  # unreadable metadata is dropped whole
        return None
    return orientation if orientation in range(2, 9) else None


def _jpeg_segment(code: int, data: bytes) -> bytes:
    return bytes([0xFF, code]) + (len(data) + 2).to_bytes(2, "big") + data


def _jpeg(reopen: Callable, found: dict) -> Iterator[bytes]:
    """Metadata that may hold a location (Exif, XMP: APP1; IPTC: APP13) is dropped; the
    orientation goes into ``found``."""
    reader = _Reader(reopen())
    if reader.exact(2) != b"\xff\xd8":
        raise MalformedDocument()
    kept, frame, header = [], False, 0
    while True:
        marker = reader.exact(2)
        code = marker[1]
        while code == 0xFF:
            code = reader.exact(1)[0]
        if marker[0] != 0xFF or code in (0x01, 0xD8, 0xD9) or 0xD0 <= code <= 0xD7:
            raise MalformedDocument()
        length = int.from_bytes(reader.exact(2), "big")
        header += length
        if length < 2 or header > JPEG_HEADER_MAX:
            raise MalformedDocument()
        data = reader.exact(length - 2)
        if code == 0xE1:
            if data.startswith(b"Exif\x00\x00") and "orientation" not in found:
                found["orientation"] = _exif_orientation(data)
            continue
        if code == 0xED:
            continue
        frame = frame or code in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB)
        kept.append(_jpeg_segment(code, data))
        if code == 0xDA:
            break
    if not frame:
        raise MalformedDocument()
    yield b"\xff\xd8"
    if kept[0][1] == 0xE0:
        yield kept.pop(0)
    yield from kept
    tail = [b""]
    yield from _keep_tail(reader.rest(), tail)
    if not tail[0].endswith(b"\xff\xd9"):
        raise MalformedDocument(_("The image does not end where a JPEG ends: truncated."))
    _refuse_zip(tail[0])


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DROPPED = {b"eXIf", b"tEXt", b"zTXt", b"iTXt"}


def _png(reopen: Callable, found: dict) -> Iterator[bytes]:
    """Every chunk's checksum is verified; Exif and text chunks (where XMP lives) are dropped,
    the orientation of the first Exif going into ``found``."""
    reader = _Reader(reopen())
    if reader.exact(8) != PNG_SIGNATURE:
        raise MalformedDocument()
    yield PNG_SIGNATURE
    first = True
    while True:
        head = reader.exact(8)
        length, kind = int.from_bytes(head[:4], "big"), head[4:]
        if length >= 2**31 or not kind.isalpha() or (first and kind != b"IHDR"):
            raise MalformedDocument()
        first, keep, crc = False, kind not in PNG_DROPPED, zlib.crc32(kind)
        exif = kind == b"eXIf" and "orientation" not in found and length <= EXIF_MAX
        if keep:
            yield head
        for part in reader.stream(length):
            crc = zlib.crc32(part, crc)
            if keep:
                yield part
            elif exif:
                found["exif"] = found.get("exif", b"") + part
        stored = reader.exact(4)
        if int.from_bytes(stored, "big") != crc:
            raise MalformedDocument(_("A part of the image is damaged (checksum)."))
        if keep:
            yield stored
        if exif:
            found["orientation"] = _exif_orientation(found.pop("exif", b""))
        if kind == b"IEND":
            break
    if reader.read(1):
        raise MalformedDocument(_("The file goes on after the image ends."))


WEBP_DROPPED = {b"EXIF", b"XMP "}
WEBP_IMAGE = {b"VP8 ", b"VP8L", b"ANMF"}
VP8X_METADATA_FLAGS = 0x08 | 0x04


def _webp_chunks(reader: _Reader) -> Iterator[tuple[bytes, int]]:
    header = reader.exact(12)
    if header[:4] != b"RIFF" or header[8:] != b"WEBP":
        raise MalformedDocument()
    end = int.from_bytes(header[4:8], "little") + 8
    while reader.offset < end:
        head = reader.exact(8)
        yield head, int.from_bytes(head[4:], "little")
    if reader.offset != end or reader.read(1):
        raise MalformedDocument(_("The file's length does not match its header."))


def _webp(reopen: Callable, found: dict) -> Iterator[bytes]:
    """Exif and XMP chunks are dropped (first pass: measure and read the orientation into
    ``found``; second: write)."""
    reader, dropped, image = _Reader(reopen()), 0, False
    for head, size in _webp_chunks(reader):
        padded = size + (size & 1)
        if head[:4] == b"EXIF" and size <= EXIF_MAX and "orientation" not in found:
            found["orientation"] = _exif_orientation(reader.exact(padded))
        else:
            for _part in reader.stream(padded):
                pass
        image = image or head[:4] in WEBP_IMAGE
        found["lossless"] = found.get("lossless", False) or head[:4] == b"VP8L"
        dropped += 8 + padded if head[:4] in WEBP_DROPPED else 0
    if not image:
        raise MalformedDocument()
    reader = _Reader(reopen())
    end = int.from_bytes(reader.exact(12)[4:8], "little") + 8
    yield b"RIFF" + (end - 8 - dropped).to_bytes(4, "little") + b"WEBP"
    while reader.offset < end:
        head = reader.exact(8)
        kind, size = head[:4], int.from_bytes(head[4:], "little")
        padded = size + (size & 1)
        if kind in WEBP_DROPPED:
            for _part in reader.stream(padded):
                pass
        elif kind == b"VP8X":
            data = reader.exact(padded)
            yield head + bytes([data[0] & ~VP8X_METADATA_FLAGS & 0xFF]) + data[1:]
        else:
            yield head
            yield from reader.stream(padded)


IMAGE_CLEANERS = {"image/jpeg": _jpeg, "image/png": _png, "image/webp": _webp}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def _encoded_upright(mime: str, content: bytes, found: dict) -> bytes:
    """The photo with its orientation applied to the pixels, encoded again without metadata."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            animated = mime != "image/jpeg" and getattr(image, "is_animated", False)
            if animated or image.width * image.height > UPRIGHT_MAX_PIXELS:
                raise TooLargeToTurn()
            options = {"icc_profile": image.info.get("icc_profile") or None}
            if mime == "image/jpeg":
                # The original's quantisation and subsampling keep its quality and size.
                options.update(
                    qtables=image.quantization,
                    subsampling=JpegImagePlugin.get_sampling(image),
                    progressive=bool(image.info.get("progressive")),
                )
            elif mime == "image/webp":
                options.update(lossless=found.get("lossless", False), quality=90, exact=True)
            upright = ImageOps.exif_transpose(image)
            options = {key: value for key, value in options.items() if value is not None}
            output = io.BytesIO()
            upright.save(output, PILLOW_FORMATS[mime], **options)
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise MalformedDocument() from error
    return output.getvalue()


def _upright(mime: str, reopen: Callable) -> Iterator[bytes]:
    """A photo's bytes to keep; turned upright first if its Exif says it was taken turned."""
    found = {}
    for _piece in IMAGE_CLEANERS[mime](reopen, found):  # the whole structure, checked first
        pass
    if not found.get("orientation"):
        yield from IMAGE_CLEANERS[mime](reopen, {})
        return
    content = _encoded_upright(mime, b"".join(reopen()), found)
    yield from IMAGE_CLEANERS[mime](lambda: iter((content,)), {})


def cleaned(mime: str, reopen: Callable[[], Iterator[bytes]]) -> Iterator[bytes]:
    """The bytes to store of a file of type ``mime``; ``reopen()`` reads it again from the start."""
    if mime == "application/pdf":
        return _pdf(reopen)
    return _upright(mime, reopen)
