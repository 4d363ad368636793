"""Production settings: DEBUG off, a real SECRET_KEY, HTTPS behind a proxy."""

import os

from django.core.exceptions import ImproperlyConfigured

os.environ["DEBUG"] = "0"
if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")

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
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = True
# Admins and auditors sign in with a second factor (TOTP) in production.
PORTAL_TWO_FACTOR_ROLES = env.list(  # noqa: F405
    "PORTAL_TWO_FACTOR_ROLES", default=["admin", "auditor"]
)

if not ENCRYPTION_KEYS:  # noqa: F405
    raise environ.ImproperlyConfigured(  # noqa: F405
        "ENCRYPTION_KEYS must be set in production: id:base64(32 bytes), the active key first."
    )
