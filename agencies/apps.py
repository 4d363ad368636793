"""Agencies app: the bottom layer (who takes part and what each role may do)."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from .roles import Role


class AgenciesConfig(AppConfig):
    name = "agencies"
    default_auto_field = "django.db.models.BigAutoField"

    # Model permissions each role group carries; higher apps add theirs the same way.
    role_permissions = {
        Role.OFFICER: ["agencies.view_agency", "agencies.view_checkpoint"],
        Role.VIEWER: ["agencies.view_agency", "agencies.view_checkpoint"],
        Role.AUDITOR: ["agencies.view_agency", "agencies.view_checkpoint"],
        Role.ADMIN: [
            "agencies.view_agency",
            "agencies.view_checkpoint",
            "agencies.view_membership",
            "agencies.add_membership",
            "agencies.change_membership",
            "agencies.view_apiclient",
            "agencies.add_apiclient",
            "agencies.change_apiclient",
        ],
    }

    def ready(self):
        from . import schema  # noqa: F401  (registers the auth extension)
        from .selectors import forget_permission_ids
        from .services import role_groups_sync

        def sync_role_groups(**kwargs):
            role_groups_sync(using=kwargs.get("using", "default"))

        post_migrate.connect(sync_role_groups, dispatch_uid="agencies.role_groups_sync", weak=False)
        post_migrate.connect(forget_permission_ids, dispatch_uid="agencies.forget_permission_ids")
