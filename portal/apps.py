"""The portal: web pages for officers, agency admins and auditors."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from axes.signals import user_locked_out

        from .accounts import on_locked_out

        user_locked_out.connect(on_locked_out, dispatch_uid="portal-audit-lockout")
