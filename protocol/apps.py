"""The protocol app: how every endpoint speaks HTTP."""

from django.apps import AppConfig


class ProtocolConfig(AppConfig):
    name = "protocol"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import (
            hooks,  # noqa: F401  (registers its system check)
            lookups,  # noqa: F401  (registers ``__any``)
        )
