"""Files for document tests, made as cameras and scanners make them, and an upload helper."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageChops, ImageOps

ORIENTATION = 0x0112
GPS_LATITUDE = 2


def pdf(text: str = "Consent form signed at Poipet", *, padding: int = 0) -> bytes:
    body = f"BT /F1 12 Tf ({text}) Tj ET".encode() + b" " * padding
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n2 0 obj\n<< /Length "
        + str(len(body)).encode()
        + b" >>\nstream\n"
        + body
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"
    )


def zip_archive() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return buffer.getvalue()


def located_exif() -> Image.Exif:
    """Exif as a phone writes it: the orientation and where the photo was taken."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1] = "N"
    gps[GPS_LATITUDE] = (13.0, 39.0, 31.0)
    gps[3] = "E"
    gps[4] = (102.0, 33.0, 49.0)
    return exif


def photo(fmt: str = "JPEG", size=(32, 24), orientation: int | None = 6) -> bytes:
    """A red picture whose top-left quarter is blue, so which way it turns can be seen."""
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 40, 210), (0, 0, size[0] // 2, size[1] // 2))
    exif = located_exif()
    if orientation is None:
        del exif[ORIENTATION]
    else:
        exif[ORIENTATION] = orientation
    image.save(buffer, fmt, exif=exif, **({"quality": 95} if fmt != "PNG" else {}))
    return buffer.getvalue()


def as_shown(content: bytes) -> Image.Image:
    """The picture as a viewer shows it: its Exif orientation applied."""
    return ImageOps.exif_transpose(Image.open(io.BytesIO(content))).convert("RGB")


def pixels_differ(first: Image.Image, second: Image.Image) -> float:
    """The mean difference of two pictures' pixels, 0 to 255 (lossy formats differ a little)."""
    difference = ImageChops.difference(first, second).convert("L")
    return sum(index * count for index, count in enumerate(difference.histogram())) / (
        first.width * first.height
    )


def exif_of(content: bytes) -> Image.Exif:
    return Image.open(io.BytesIO(content)).getexif()


def upload(client, path: str, content: bytes, name: str, content_type: str, kind: str = "other"):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(
        f"{path}documents/", {"file": file, "kind": kind, "description": "scan"}, format="multipart"
    )
