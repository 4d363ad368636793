"""Production settings: DEBUG off, a real SECRET_KEY, HTTPS behind a proxy."""

import os

os.environ["DEBUG"] = "0"

from .base import *  # noqa: F403

if not AUDIT_SIGNING_KEY:  # noqa: F405
    raise environ.ImproperlyConfigured("AUDIT_SIGNING_KEY must be set in production.")  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)  # noqa: F405
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)  # noqa: F405
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_REFERRER_POLICY = "same-origin"
