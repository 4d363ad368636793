"""What the layers above lend this one, named in settings: who calls, and how it is audited.

The protocol layer imports no app of the project. Settings name a caller resolver
(``PROTOCOL_CALLER``), an identity for rate limits and idempotency (``PROTOCOL_CALLER_IDENTITY``),
the audit recorder (``AUDIT_RECORDER``) and the recorder of refused requests
(``AUDIT_DENIAL_RECORDER``); a system check refuses to start without them.
"""

import functools

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

HOOK_SETTINGS = {
    "PROTOCOL_CALLER": "agencies.authentication.caller_of",
    "PROTOCOL_CALLER_IDENTITY": "agencies.authentication.caller_identity",
    "AUDIT_RECORDER": "exchange.audit.audit_record",
    "AUDIT_DENIAL_RECORDER": "exchange.audit.audit_request_denied",
}


@functools.cache
def _hook(name: str):
    return import_string(getattr(settings, name))


def caller_of(request):
    """The caller of an authenticated request (``None`` for anonymous ones)."""
    return _hook("PROTOCOL_CALLER")(request)


def caller_identity(request) -> str | None:
    """A stable key for the caller (``client:<id>`` or ``user:<id>``), ``None`` when anonymous."""
    return _hook("PROTOCOL_CALLER_IDENTITY")(request)


def audit_recorder():
    """The function that appends a row to the audit trail."""
    return _hook("AUDIT_RECORDER")


def denial_recorder():
    """The function that records a refused request (401, 403, 404)."""
    return _hook("AUDIT_DENIAL_RECORDER")


@checks.register(checks.Tags.security)
def check_hooks(app_configs=None, **kwargs):
    errors = []
    for name, example in HOOK_SETTINGS.items():
        try:
            hook = import_string(getattr(settings, name, ""))
        except ImportError:
            hook = None
        if not callable(hook):
            errors.append(
                checks.Error(
                    f"{name} must name a function.",
                    hint=f"Set it to '{example}'.",
                    id="protocol.E001",
                )
            )
    return errors
