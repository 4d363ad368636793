"""STORAGE_URL to a Django storage: a directory by default, ``s3://bucket`` object storage."""

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit


def storage_from_url(url: str, default_dir: Path) -> dict:
    """``s3://bucket/prefix?endpoint_url=https://...&region_name=...`` or ``file:///dir``.

    S3 credentials come from the usual AWS variables (AWS_ACCESS_KEY_ID, ...), never the URL.
    """
    if not url:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(default_dir)},
        }
    parts = urlsplit(url)
    if parts.scheme == "file":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": parts.path},
        }
    if parts.scheme != "s3":
        raise ValueError(f"STORAGE_URL: unsupported scheme {parts.scheme!r} (s3 or file).")
    options = dict(parse_qsl(parts.query))
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": parts.netloc,
            "location": parts.path.strip("/"),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            # Downloads spool the (sealed) object to disk past 1 MiB rather than hold it in memory.
            "max_memory_size": 1024 * 1024,
            **options,
        },
    }
