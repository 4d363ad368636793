"""Where agencies' access changes are recorded: the audit trail, wired in by settings.

The trail lives in a higher layer (exchange); settings name it (``ACCESS_AUDIT_RECORDER``) so
this layer never imports it, and a system check refuses to start without it.
"""

import functools

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string


@functools.cache
def access_recorder():
    return import_string(settings.ACCESS_AUDIT_RECORDER)


@checks.register(checks.Tags.security)
def check_access_recorder(app_configs=None, **kwargs):
    try:
        recorder = import_string(getattr(settings, "ACCESS_AUDIT_RECORDER", ""))
    except ImportError:
        recorder = None
    if callable(recorder):
        return []
    return [
        checks.Error(
            "ACCESS_AUDIT_RECORDER must name the function that records access changes.",
            hint="Set it to 'exchange.audit.audit_record'.",
            id="agencies.E001",
        )
    ]
